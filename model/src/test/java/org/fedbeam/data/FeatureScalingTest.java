package org.fedbeam.data;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.allOf;
import static org.hamcrest.Matchers.closeTo;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** Per-feature standardisation fitted on one data set and applied to others. */
class FeatureScalingTest {
  private static final int ROWS = 500;
  private static final int FEATURES = 3;
  private static final float CONSTANT = 0.3f;
  /** Column 0 ~ N(5, 2^2), column 1 ~ U(-100, 300), column 2 constant. */
  private static final Dataset DATA = mixedColumns(ROWS, 1L);

  @Test
  void standardizedColumnsHaveMeanZeroAndStandardDeviationOne() {
    Dataset scaled = FeatureScaling.fit(DATA).apply(DATA);

    for (int c = 0; c < 2; c++) {
      assertThat("mean of column " + c, mean(scaled, c), closeTo(0, 1e-5));
      assertThat("std of column " + c, std(scaled, c), closeTo(1, 1e-5));
    }
  }

  @Test
  void fittedMeanAndScaleAreTheColumnsMomentsInDouble() {
    FeatureScaling scaling = FeatureScaling.fit(DATA);

    assertThat((double) scaling.mean()[1], closeTo(mean(DATA, 1), 1e-3));
    assertThat((double) scaling.scale()[1], closeTo(std(DATA, 1), 1e-3));
  }

  @Test
  void aConstantColumnKeepsScaleOneAndBecomesZero() {
    FeatureScaling scaling = FeatureScaling.fit(DATA);
    Dataset scaled = scaling.apply(DATA);

    assertThat(scaling.scale()[2], equalTo(1f));
    assertThat(scaling.mean()[2], equalTo(CONSTANT));
    assertThat(scaled.feature(0, 2), equalTo(0f));
    assertThat(scaled.feature(ROWS - 1, 2), equalTo(0f));
  }

  @Test
  void scalingFittedOnOneSetIsAppliedAsIsToAnother() {
    FeatureScaling scaling = FeatureScaling.fit(DATA);
    Dataset other = new Dataset("test-split", new float[] {5f, 100f, 1.3f}, new int[] {1}, FEATURES, 2);

    Dataset scaled = scaling.apply(other);

    assertThat(scaled.feature(0, 0), equalTo((5f - scaling.mean()[0]) / scaling.scale()[0]));
    assertThat(scaled.feature(0, 2), equalTo(1.3f - CONSTANT)); // constant column: shifted, not scaled
  }

  @Test
  void applyKeepsLabelsNameAndClasses() {
    Dataset scaled = FeatureScaling.fit(DATA).apply(DATA);

    assertThat(scaled.name(), equalTo(DATA.name()));
    assertThat(scaled.classes(), equalTo(DATA.classes()));
    assertThat(scaled.label(17), equalTo(DATA.label(17)));
  }

  @Test
  void dataWithAnotherFeatureCountIsRejectedNamingItAndBothCounts() {
    FeatureScaling scaling = FeatureScaling.fit(DATA);
    Dataset wide = new Dataset("silo-9", new float[4], new int[] {0}, 4, 2);

    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> scaling.apply(wide));

    assertThat(e.getMessage(), allOf(containsString("silo-9"), containsString("4 features"), containsString("fitted on 3")));
  }

  private static Dataset mixedColumns(int rows, long seed) {
    SplittableRandom random = new SplittableRandom(seed);
    float[] x = new float[rows * FEATURES];
    int[] y = new int[rows];
    for (int r = 0; r < rows; r++) {
      x[r * FEATURES] = (float) (5 + 2 * random.nextGaussian());
      x[r * FEATURES + 1] = (float) (-100 + 400 * random.nextDouble());
      x[r * FEATURES + 2] = CONSTANT;
      y[r] = random.nextInt(2);
    }
    return new Dataset("mixed", x, y, FEATURES, 2);
  }

  private static double mean(Dataset data, int column) {
    double sum = 0;
    for (int r = 0; r < data.size(); r++) {
      sum += data.feature(r, column);
    }
    return sum / data.size();
  }

  /** Population standard deviation, two-pass. */
  private static double std(Dataset data, int column) {
    double m = mean(data, column);
    double sum = 0;
    for (int r = 0; r < data.size(); r++) {
      double d = data.feature(r, column) - m;
      sum += d * d;
    }
    return Math.sqrt(sum / data.size());
  }
}
