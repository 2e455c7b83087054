package org.fedbeam.preprocess;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.closeTo;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import java.util.Map;
import org.fedbeam.data.Dataset;
import org.fedbeam.data.table.CategoricalColumn;
import org.fedbeam.data.table.NumericColumn;
import org.fedbeam.data.table.Table;
import org.fedbeam.preprocess.Preprocessing.Impute;
import org.fedbeam.preprocess.Preprocessing.Options;
import org.fedbeam.preprocess.Preprocessing.Scaling;
import org.junit.jupiter.api.Test;

class PreprocessingApplyTest {
  private static final double NA = Double.NaN;
  // colour: red x3, blue x2, green x1 (rare at k = 2), one missing; label "c" only once
  private static final Table TABLE = new Table("silo-a/train.fbtb", List.of(
      new NumericColumn("x", new double[] {1, 3, NA, 5, 7, 2, 3, 6}),
      new CategoricalColumn("colour", List.of("red", "blue", "green"), new int[] {0, 1, 0, -1, 2, 0, 1, 0})),
      new CategoricalColumn("y", List.of("a", "b", "c"), new int[] {0, 1, 0, 1, 0, 2, 1, 0}));

  @Test
  void pooledFactsAreTheTwoPassMeanPopulationVarianceAndEveryCount() {
    PooledFacts facts = PooledFacts.of(TABLE);

    var x = facts.columns().get(0);
    assertThat(x.count(), equalTo(7L));
    assertThat(x.missing(), equalTo(1L));
    assertThat(x.mean(), closeTo(27.0 / 7, 1e-15));
    double m = 27.0 / 7;
    double v = 0;
    for (double d : new double[] {1, 3, 5, 7, 2, 3, 6}) {
      v += (d - m) * (d - m);
    }
    assertThat(x.variance(), closeTo(v / 7, 1e-15));
    assertThat(x.min().getAsDouble(), equalTo(1.0));
    assertThat(x.max().getAsDouble(), equalTo(7.0));
    assertThat(x.quantile(0.5).getAsDouble(), equalTo(3.0));
    assertThat(facts.columns().get(1).categories(), equalTo(Map.of("red", 4L, "blue", 2L, "green", 1L)));
    assertThat(facts.labels(), equalTo(Map.of("a", 4L, "b", 3L, "c", 1L)));
  }

  @Test
  void imputesScalesOneHotEncodesFoldsRareValuesAndDropsUnreleasedLabels() {
    // the facts a federation releases at k = 2: green and class c are never named
    Facts facts = new Facts(8, List.of(Facts.numeric("x", 7, 1, 4.0, 4.0),
        Facts.categorical("colour", 1, Map.of("red", 4L, "blue", 2L))), "y", Map.of("a", 4L, "b", 3L));
    Preprocessing p = Preprocessing.fit(facts, new Options(Scaling.STANDARDIZE, Impute.MEAN, 2));

    Preprocessing.Applied applied = p.transform(TABLE);

    Dataset d = applied.dataset();
    assertThat(p.featureNames(), equalTo(List.of("x", "colour=blue", "colour=red", "colour=other")));
    assertThat(applied.droppedRows(), equalTo(1L));
    assertThat(applied.droppedLabels(), equalTo(Map.of("c", 1L)));
    assertThat(d.size(), equalTo(7));
    float[][] expected = {
        {-1.5f, 0, 1, 0}, // 1, red
        {-0.5f, 1, 0, 0}, // 3, blue
        {0f, 0, 1, 0}, // missing x -> mean 4
        {0.5f, 0, 1, 0}, // missing colour -> most frequent, red
        {1.5f, 0, 0, 1}, // green, rarer than k -> other
        {-0.5f, 1, 0, 0},
        {1f, 0, 1, 0}};
    int[] labels = {0, 1, 0, 1, 0, 1, 0};
    for (int r = 0; r < expected.length; r++) {
      float[] row = new float[4];
      d.copyRow(r, row, 0);
      assertArrayEquals(expected[r], row, "row " + r);
      assertThat("label of row " + r, d.label(r), equalTo(labels[r]));
    }
  }

  @Test
  void unseenCategoryValuesGoToOther() {
    Preprocessing p = new Preprocessing("y", List.of("a", "b"), List.of(new CategoricalSpec("colour",
        List.of("blue"), "blue")));
    Table t = new Table("new.csv", List.of(new CategoricalColumn("colour", List.of("purple", "blue"),
        new int[] {0, 1, -1})), new CategoricalColumn("y", List.of("a"), new int[] {0, 0, 0}));

    assertArrayEquals(new double[] {0, 1, 1, 0, 1, 0}, p.encode(t));
  }

  @Test
  void aMissingColumnIsNamedWithTheTableSource() {
    Preprocessing p = new Preprocessing("y", List.of("a", "b"), List.of(new NumericSpec("age", Scaling.NONE, 0, 0, 1)));

    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> p.apply(TABLE));

    assertThat(e.getMessage(), equalTo("silo-a/train.fbtb: column 'age' is missing (the preprocessing expects a"
        + " numeric column)"));
  }

  @Test
  void aColumnOfAnotherTypeIsNamedWithTheTableSource() {
    Preprocessing p = new Preprocessing("y", List.of("a", "b"), List.of(new NumericSpec("colour", Scaling.NONE, 0, 0, 1)));

    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> p.apply(TABLE));

    assertThat(e.getMessage(), equalTo("silo-a/train.fbtb: column 'colour' is categorical here, the preprocessing"
        + " expects it numeric"));
  }

  @Test
  void anAllMissingColumnInASilosTableIsRefused() {
    Table t = new Table("silo-b", List.of(new NumericColumn("x", new double[] {NA, NA})),
        new CategoricalColumn("y", List.of("a"), new int[] {0, 0}));
    Preprocessing p = new Preprocessing("y", List.of("a", "b"), List.of(new NumericSpec("x", Scaling.NONE, 0, 0, 1)));

    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> p.apply(t));

    assertThat(e.getMessage(), equalTo("silo-b: column 'x' has no value in any of its 2 rows"));
  }

  @Test
  void anotherLabelColumnIsRefused() {
    Preprocessing p = new Preprocessing("species", List.of("a", "b"), List.of(new NumericSpec("x", Scaling.NONE, 0, 0, 1)));

    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> p.apply(TABLE));

    assertThat(e.getMessage(), containsString("its label column is 'y', the preprocessing's is 'species'"));
  }
}
