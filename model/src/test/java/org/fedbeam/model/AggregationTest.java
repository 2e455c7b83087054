package org.fedbeam.model;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.allOf;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.lessThanOrEqualTo;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.junit.jupiter.api.Test;

/** FedAvg's server step as a pure function of updates and weights. */
class AggregationTest {
  private static final ModelSpec TINY = ModelSpec.of(1, List.of(), 2);
  private static final ModelSpec OTHER = ModelSpec.of(2, List.of(), 2);
  private static final ModelSpec MID = ModelSpec.of(40, List.of(8), 3);
  private static final Parameters A = Parameters.copyOf(TINY, new float[] {0, 4, -8, 1});
  private static final Parameters B = Parameters.copyOf(TINY, new float[] {4, 8, 0, 1});

  @Test
  void weightsOneAndThreeGiveTheHandComputedAverage() {
    Parameters average = Aggregation.weightedAverage(List.of(A, B), List.of(1, 3));

    // (0 + 12)/4 = 3, (4 + 24)/4 = 7, (-8 + 0)/4 = -2, (1 + 3)/4 = 1
    assertThat(average, equalTo(Parameters.copyOf(TINY, new float[] {3, 7, -2, 1})));
  }

  @Test
  void equalWeightsGiveThePlainMean() {
    Parameters average = Aggregation.weightedAverage(List.of(A, B), List.of(2.5, 2.5));

    assertThat(average, equalTo(Parameters.copyOf(TINY, new float[] {2, 6, -4, 1})));
  }

  @Test
  void aSingleUpdateIsItsOwnAverage() {
    assertThat(Aggregation.weightedAverage(List.of(A), List.of(600L)), equalTo(A));
  }

  @Test
  void manyUpdatesMatchADoubleReference() {
    List<Parameters> updates = WeightedSumTest.randomParameters(MID, 20, 31L);
    double[] weights = WeightedSumTest.randomWeights(20, 32L);
    List<Double> boxed = java.util.Arrays.stream(weights).boxed().toList();

    Parameters average = Aggregation.weightedAverage(updates, boxed);

    assertThat(WeightedSumTest.maxAbsDifference(average, WeightedSumTest.reference(updates, weights)),
        lessThanOrEqualTo(1e-6));
  }

  @Test
  void differentLengthsAreRejectedWithBothCounts() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> Aggregation.weightedAverage(List.of(A, B), List.of(1)));

    assertThat(e.getMessage(), allOf(containsString("2 updates"), containsString("1 weights")));
  }

  @Test
  void noUpdatesAreRejected() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> Aggregation.weightedAverage(List.of(), List.of()));

    assertThat(e.getMessage(), containsString("no updates"));
  }

  @Test
  void mixedSpecsAreRejectedNamingBothSpecs() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> Aggregation.weightedAverage(List.of(A, Parameters.zeros(OTHER)), List.of(1, 1)));

    assertThat(e.getMessage(), allOf(containsString(TINY.describe()), containsString(OTHER.describe())));
  }

  @Test
  void aZeroWeightIsRejected() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> Aggregation.weightedAverage(List.of(A, B), List.of(1, 0)));

    assertThat(e.getMessage(), allOf(containsString("weight"), containsString("was 0.0")));
  }
}
