package org.fedbeam.data;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.allOf;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.junit.jupiter.api.Test;

/** Shape checks, copies and row selection of {@link Dataset}. */
class DatasetTest {
  private static final float[] FEATURES = {1, 2, 3, 4, 5, 6};
  private static final int[] LABELS = {0, 2, 1};
  private static final Dataset DATA = new Dataset("three-rows", FEATURES, LABELS, 2, 3);

  @Test
  void theConstructorCopiesItsArrays() {
    float[] features = FEATURES.clone();
    int[] labels = LABELS.clone();
    Dataset data = new Dataset("copy", features, labels, 2, 3);

    features[0] = 99;
    labels[0] = 2;

    assertThat(data.feature(0, 0), equalTo(1f));
    assertThat(data.label(0), equalTo(0));
  }

  @Test
  void subsetTakesRowsInTheGivenOrder() {
    Dataset subset = DATA.subset("picked", new int[] {2, 0});

    assertThat(subset.name(), equalTo("picked"));
    assertThat(subset.size(), equalTo(2));
    assertThat(subset.feature(0, 1), equalTo(6f));
    assertThat(subset.label(0), equalTo(1));
    assertThat(subset.label(1), equalTo(0));
  }

  @Test
  void headStopsAtTheDataSize() {
    assertThat(DATA.head("first", 2).size(), equalTo(2));
    assertThat(DATA.head("all", 10).size(), equalTo(3));
  }

  @Test
  void concatKeepsRowOrder() {
    Dataset both = Dataset.concat("both", List.of(DATA, DATA.subset("one", new int[] {1})));

    assertThat(both.size(), equalTo(4));
    assertThat(both.feature(3, 0), equalTo(3f));
    assertThat(both.label(3), equalTo(2));
  }

  @Test
  void labelCountsCountEveryClass() {
    assertThat(DATA.labelCounts(), equalTo(new int[] {1, 1, 1}));
  }

  @Test
  void copyRowWritesIntoABuffer() {
    java.nio.FloatBuffer buffer = java.nio.FloatBuffer.allocate(5);

    DATA.copyRow(1, buffer, 3);

    assertThat(buffer.get(3), equalTo(3f));
    assertThat(buffer.get(4), equalTo(4f));
  }

  @Test
  void aLabelOutOfRangeIsRejectedNamingDataRowAndLabel() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> new Dataset("silo-1", FEATURES, new int[] {0, 3, 1}, 2, 3));

    assertThat(e.getMessage(), equalTo("silo-1: row 1 has label 3, expected [0, 3)"));
  }

  @Test
  void featuresThatDoNotFillTheRowsAreRejected() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> new Dataset("silo-1", new float[5], LABELS, 2, 3));

    assertThat(e.getMessage(), equalTo("silo-1: 3 labels need 6 feature values, found 5"));
  }

  @Test
  void zeroFeaturesAreRejected() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> new Dataset("silo-1", new float[0], new int[0], 0, 3));

    assertThat(e.getMessage(), equalTo("silo-1: featureCount must be >= 1, was 0"));
  }

  @Test
  void oneClassIsRejected() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> new Dataset("silo-1", FEATURES, new int[] {0, 0, 0}, 2, 1));

    assertThat(e.getMessage(), equalTo("silo-1: classes must be >= 2, was 1"));
  }

  @Test
  void concatOfNothingIsRejected() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Dataset.concat("pool", List.of()));

    assertThat(e.getMessage(), equalTo("pool: nothing to concatenate"));
  }

  @Test
  void concatOfDifferentShapesIsRejectedNamingBoth() {
    Dataset wide = new Dataset("wide", new float[3], new int[] {0}, 3, 3);

    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> Dataset.concat("pool", List.of(DATA, wide)));

    assertThat(e.getMessage(), allOf(containsString("pool"), containsString("wide has 3 features"),
        containsString("three-rows has 2")));
  }
}
