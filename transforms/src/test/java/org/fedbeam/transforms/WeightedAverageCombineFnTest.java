package org.fedbeam.transforms;

import static org.fedbeam.transforms.Fixtures.OTHER_SPEC;
import static org.fedbeam.transforms.Fixtures.SPEC;
import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.allOf;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import org.apache.beam.sdk.testing.CombineFnTester;
import org.fedbeam.model.Parameters;
import org.fedbeam.model.SiloUpdate;
import org.fedbeam.model.SystemMetadata;
import org.fedbeam.model.WeightedSum;
import org.fedbeam.model.aggregate.WeightedMean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** FedAvg's combine step: the sample-weighted mean, under any sharding, and every rejected update. */
class WeightedAverageCombineFnTest {
  private static final int ROUND = 4;
  /** More updates than {@link WeightedSum#PENDING}, so folds happen inside a shard. */
  private static final int SILOS = 12;
  private static final long UPDATES_SEED = 41L;
  private static final double TOLERANCE = 1e-6;
  private static final Parameters WEIGHTS = Fixtures.randomParameters(SPEC, 7L);

  @Test
  void anyShardingAndOrderGiveTheSampleWeightedMean() {
    List<SiloUpdate> updates = Fixtures.updates(SILOS, ROUND, UPDATES_SEED);
    AggregateResult expected = reference(updates, ROUND);

    CombineFnTester.testCombineFn(AggregateUpdates.combineFn(SPEC, ROUND, WeightedMean.INSTANCE), new ArrayList<>(updates),
        AggregateResultMatcher.closeTo(expected, TOLERANCE));
  }

  @Test
  void theMeanFollowsTheSampleCountsNotTheSiloCount() {
    Parameters ones = Parameters.copyOf(SPEC, filled(1f));
    Parameters fives = Parameters.copyOf(SPEC, filled(5f));
    AggregateUpdates.AggregateCombineFn<WeightedSum> fn = AggregateUpdates.combineFn(SPEC, ROUND, WeightedMean.INSTANCE);
    AggregateUpdates.Accumulator<WeightedSum> acc = fn.createAccumulator();
    fn.addInput(acc, Fixtures.update("silo-a", ROUND, ones, 3));
    fn.addInput(acc, Fixtures.update("silo-b", ROUND, fives, 1));

    AggregateResult result = fn.extractOutput(acc);

    // (3 * 1 + 1 * 5) / 4 = 2
    assertThat(result.model(), equalTo(Parameters.copyOf(SPEC, filled(2f))));
  }

  @Test
  void anUpdateOfAnotherShapeIsRejectedNamingTheSiloAndBothShapes() {
    AggregateUpdates.AggregateCombineFn<WeightedSum> fn = AggregateUpdates.combineFn(SPEC, ROUND, WeightedMean.INSTANCE);
    SiloUpdate wrongShape = Fixtures.update("silo-wide", ROUND, Fixtures.randomParameters(OTHER_SPEC, 1L), 10);

    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> fn.addInput(fn.createAccumulator(), wrongShape));

    assertThat(e.getMessage(), allOf(containsString("silo-wide"), containsString(OTHER_SPEC.describe()),
        containsString(SPEC.describe()), containsString("73 values"), containsString("53 values")));
  }

  @Test
  void anUpdateFromAnotherRoundIsRejectedNamingTheSiloAndBothRounds() {
    AggregateUpdates.AggregateCombineFn<WeightedSum> fn = AggregateUpdates.combineFn(SPEC, ROUND, WeightedMean.INSTANCE);
    SiloUpdate stale = Fixtures.update("silo-late", ROUND - 1, WEIGHTS, 10);

    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> fn.addInput(fn.createAccumulator(), stale));

    assertThat(e.getMessage(), allOf(containsString("silo-late"), containsString("round " + (ROUND - 1)),
        containsString("round " + ROUND)));
  }

  @Test
  void aRoundAgnosticAggregationTakesTheUpdatesRoundUnderAnySharding() {
    List<SiloUpdate> updates = Fixtures.updates(SILOS, ROUND, UPDATES_SEED);

    CombineFnTester.testCombineFn(AggregateUpdates.combineFn(SPEC, AggregateUpdates.ANY_ROUND, WeightedMean.INSTANCE), new ArrayList<>(updates),
        AggregateResultMatcher.closeTo(reference(updates, ROUND), TOLERANCE));
  }

  @Test
  void aRoundAgnosticAggregationRejectsUpdatesOfTwoRoundsNamingBoth() {
    AggregateUpdates.AggregateCombineFn<WeightedSum> fn = AggregateUpdates.combineFn(SPEC, AggregateUpdates.ANY_ROUND, WeightedMean.INSTANCE);
    AggregateUpdates.Accumulator<WeightedSum> acc = fn.addInput(fn.createAccumulator(), Fixtures.update("silo-now", ROUND, WEIGHTS, 10));

    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> fn.addInput(acc, Fixtures.update("silo-late", ROUND - 1, WEIGHTS, 10)));

    assertThat(e.getMessage(), allOf(containsString("silo-late"), containsString("round " + (ROUND - 1)),
        containsString("silo-now"), containsString("round " + ROUND)));
  }

  @Test
  void aRoundAgnosticAggregationRejectsMergingSumsOfTwoRounds() {
    AggregateUpdates.AggregateCombineFn<WeightedSum> fn = AggregateUpdates.combineFn(SPEC, AggregateUpdates.ANY_ROUND, WeightedMean.INSTANCE);
    AggregateUpdates.Accumulator<WeightedSum> now = fn.addInput(fn.createAccumulator(), Fixtures.update("silo-now", ROUND, WEIGHTS, 10));
    AggregateUpdates.Accumulator<WeightedSum> late = fn.addInput(fn.createAccumulator(), Fixtures.update("silo-late", ROUND + 1, WEIGHTS, 10));

    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> fn.mergeAccumulators(List.of(fn.createAccumulator(), now, late)));

    assertThat(e.getMessage(), allOf(containsString("two rounds"), containsString("silo-now"), containsString("silo-late")));
  }

  @Test
  void aSecondUpdateFromOneSiloIsRejectedNamingTheSilo() {
    AggregateUpdates.AggregateCombineFn<WeightedSum> fn = AggregateUpdates.combineFn(SPEC, ROUND, WeightedMean.INSTANCE);
    AggregateUpdates.Accumulator<WeightedSum> acc = fn.addInput(fn.createAccumulator(), Fixtures.update("silo-twice", ROUND, WEIGHTS, 10));

    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> fn.addInput(acc, Fixtures.update("silo-twice", ROUND, WEIGHTS, 20)));

    assertThat(e.getMessage(), allOf(containsString("silo-twice"), containsString("more than one update"),
        containsString("round " + ROUND)));
  }

  @Test
  void oneSiloInTwoAccumulatorsIsRejectedWhenMerging() {
    AggregateUpdates.AggregateCombineFn<WeightedSum> fn = AggregateUpdates.combineFn(SPEC, ROUND, WeightedMean.INSTANCE);
    AggregateUpdates.Accumulator<WeightedSum> first = fn.addInput(fn.createAccumulator(), Fixtures.update("silo-twice", ROUND, WEIGHTS, 10));
    AggregateUpdates.Accumulator<WeightedSum> second = fn.addInput(fn.createAccumulator(), Fixtures.update("silo-twice", ROUND, WEIGHTS, 20));

    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> fn.mergeAccumulators(List.of(first, second)));

    assertThat(e.getMessage(), allOf(containsString("silo-twice"), containsString("more than one update")));
  }

  @ParameterizedTest
  @ValueSource(floats = {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY})
  void aNonFiniteValueIsRejectedNamingTheSiloIndexAndValue(float bad) {
    float[] values = WEIGHTS.toArray();
    values[17] = bad;
    AggregateUpdates.AggregateCombineFn<WeightedSum> fn = AggregateUpdates.combineFn(SPEC, ROUND, WeightedMean.INSTANCE);
    SiloUpdate poisoned = Fixtures.update("silo-nan", ROUND, Parameters.copyOf(SPEC, values), 10);

    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> fn.addInput(fn.createAccumulator(), poisoned));

    assertThat(e.getMessage(), allOf(containsString("silo-nan"), containsString("non-finite"),
        containsString("index 17"), containsString(String.valueOf(bad))));
  }

  @Test
  void anUpdateWithZeroSamplesIsRejectedNamingTheSilo() {
    AggregateUpdates.AggregateCombineFn<WeightedSum> fn = AggregateUpdates.combineFn(SPEC, ROUND, WeightedMean.INSTANCE);
    SiloUpdate empty = Fixtures.update("silo-empty", ROUND, WEIGHTS, 0);

    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> fn.addInput(fn.createAccumulator(), empty));

    assertThat(e.getMessage(), allOf(containsString("silo-empty"), containsString("0 samples")));
  }

  @Test
  void aRejectedUpdateLeavesTheAccumulatorAsItWas() {
    AggregateUpdates.AggregateCombineFn<WeightedSum> fn = AggregateUpdates.combineFn(SPEC, ROUND, WeightedMean.INSTANCE);
    AggregateUpdates.Accumulator<WeightedSum> acc = fn.addInput(fn.createAccumulator(), Fixtures.update("silo-a", ROUND, WEIGHTS, 10));
    float[] poisoned = WEIGHTS.toArray();
    poisoned[0] = Float.NaN;
    assertThrows(IllegalArgumentException.class,
        () -> fn.addInput(acc, Fixtures.update("silo-b", ROUND, Parameters.copyOf(SPEC, poisoned), 10)));

    AggregateResult result = fn.extractOutput(acc);

    assertThat(result.model(), equalTo(WEIGHTS));
    assertThat(result.participants().keySet(), equalTo(Set.of("silo-a")));
  }

  /** The expected result by a plain double loop, independent of {@link WeightedSum}. */
  static AggregateResult reference(List<SiloUpdate> updates, int round) {
    double[] sum = new double[SPEC.parameterCount()];
    long total = 0;
    SortedMap<String, SystemMetadata> participants = new TreeMap<>();
    for (SiloUpdate u : updates) {
      long w = u.metadata().sampleCount();
      for (int i = 0; i < sum.length; i++) {
        sum[i] += w * (double) u.weights().get(i);
      }
      total += w;
      participants.put(u.siloId(), u.metadata());
    }
    float[] mean = new float[sum.length];
    for (int i = 0; i < sum.length; i++) {
      mean[i] = (float) (sum[i] / total);
    }
    return new AggregateResult(round, Parameters.copyOf(SPEC, mean), total, participants);
  }

  private static float[] filled(float value) {
    float[] values = new float[SPEC.parameterCount()];
    Arrays.fill(values, value);
    return values;
  }
}
