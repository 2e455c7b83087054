package org.fedbeam.transforms;

import static org.fedbeam.transforms.Fixtures.SPEC;
import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.equalTo;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.beam.sdk.testing.CombineFnTester;
import org.apache.beam.sdk.util.CoderUtils;
import org.fedbeam.model.SiloUpdate;
import org.fedbeam.model.aggregate.Aggregator;
import org.fedbeam.model.strategy.Strategies;
import org.fedbeam.model.strategy.Strategy;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every aggregator of every registered strategy, through the one generic CombineFn: Beam's
 * CombineFnTester re-shards, re-orders and merges the inputs in many ways, and each way must give
 * the aggregate of adding the updates one by one; the accumulator survives its coder. What each
 * aggregator computes is checked against its pure-math definition in model/'s tests.
 */
class EveryAggregatorCombineFnTest {
  private static final int ROUND = 3;
  /** More updates than the weighted sum holds back before a fold, and enough for Krum's default. */
  private static final int SILOS = 17;
  private static final double TOLERANCE = 1e-6;

  static Stream<Aggregator<?>> aggregators() {
    Map<String, Aggregator<?>> distinct = new LinkedHashMap<>();
    for (Strategies.Entry entry : Strategies.all()) {
      Strategy strategy = Strategies.create(entry.name(), Map.of());
      distinct.putIfAbsent(strategy.aggregator().name() + strategy.parameters(), strategy.aggregator());
    }
    // parameters that choose another aggregator than the default's
    Aggregator<?> capped = Strategies.create("fedavg", Map.of("max_silo_share", 0.3)).aggregator();
    distinct.putIfAbsent(capped.name(), capped);
    return distinct.values().stream();
  }

  @ParameterizedTest
  @MethodSource("aggregators")
  <A> void anyShardingAndOrderGiveTheAggregateOfAddingOneByOne(Aggregator<A> aggregator) {
    List<SiloUpdate> updates = Fixtures.updates(SILOS, ROUND, 5L);
    AggregateUpdates.AggregateCombineFn<A> fn = AggregateUpdates.combineFn(SPEC, ROUND, aggregator);
    AggregateUpdates.Accumulator<A> acc = fn.createAccumulator();
    for (SiloUpdate u : updates) {
      fn.addInput(acc, u);
    }
    AggregateResult expected = fn.extractOutput(acc);

    CombineFnTester.testCombineFn(fn, new ArrayList<>(updates), AggregateResultMatcher.closeTo(expected, TOLERANCE));
  }

  @ParameterizedTest
  @MethodSource("aggregators")
  <A> void theAccumulatorSurvivesItsCoder(Aggregator<A> aggregator) throws Exception {
    List<SiloUpdate> updates = Fixtures.updates(SILOS, ROUND, 9L);
    AggregateUpdates.AggregateCombineFn<A> fn = AggregateUpdates.combineFn(SPEC, ROUND, aggregator);
    AggregateUpdates.Accumulator<A> first = fn.createAccumulator();
    AggregateUpdates.Accumulator<A> second = fn.createAccumulator();
    for (int i = 0; i < updates.size(); i++) {
      fn.addInput(i % 2 == 0 ? first : second, updates.get(i));
    }
    var coder = fn.getAccumulatorCoder(null, FedBeamCoders.SiloUpdateCoder.of());
    AggregateUpdates.Accumulator<A> a = CoderUtils.decodeFromByteArray(coder, CoderUtils.encodeToByteArray(coder, first));
    AggregateUpdates.Accumulator<A> b = CoderUtils.decodeFromByteArray(coder, CoderUtils.encodeToByteArray(coder, second));

    AggregateResult viaCoder = fn.extractOutput(fn.mergeAccumulators(List.of(a, b)));
    AggregateResult direct = fn.extractOutput(fn.mergeAccumulators(List.of(first, second)));

    assertThat(viaCoder.model(), equalTo(direct.model()));
    assertThat(viaCoder.participants(), equalTo(direct.participants()));
    assertThat(viaCoder.totalSamples(), equalTo(direct.totalSamples()));
  }

  @org.junit.jupiter.api.Test
  void krumWithTooFewUpdatesGivesAFailureNamingWhyAndItSurvivesTheCoder() throws Exception {
    AggregateUpdates.AggregateCombineFn<?> fn = AggregateUpdates.combineFn(SPEC, ROUND,
        Strategies.create("krum", Map.of("byzantine", 1.0)).aggregator());
    AggregateResult result = extract(fn, Fixtures.updates(3, ROUND, 2L));

    AggregateResult decoded = CoderUtils.decodeFromByteArray(FedBeamCoders.AggregateResultCoder.of(),
        CoderUtils.encodeToByteArray(FedBeamCoders.AggregateResultCoder.of(), result));

    assertThat(result.succeeded(), equalTo(false));
    assertThat(result.failure(), org.hamcrest.Matchers.allOf(org.hamcrest.Matchers.containsString("round 3"),
        org.hamcrest.Matchers.containsString("krum"), org.hamcrest.Matchers.containsString("needs at least 5")));
    assertThat(decoded, equalTo(result));
  }

  private static <A> AggregateResult extract(AggregateUpdates.AggregateCombineFn<A> fn, List<SiloUpdate> updates) {
    AggregateUpdates.Accumulator<A> acc = fn.createAccumulator();
    updates.forEach(u -> fn.addInput(acc, u));
    return fn.extractOutput(acc);
  }
}
