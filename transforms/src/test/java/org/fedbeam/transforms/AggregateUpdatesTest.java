package org.fedbeam.transforms;

import static org.fedbeam.transforms.Fixtures.SPEC;
import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.allOf;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.lessThanOrEqualTo;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.ArrayList;
import java.util.List;
import java.util.SortedMap;
import java.util.TreeMap;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.TypeDescriptors;
import org.fedbeam.model.Aggregation;
import org.fedbeam.model.Parameters;
import org.fedbeam.model.SiloUpdate;
import org.fedbeam.model.SystemMetadata;
import org.junit.jupiter.api.Test;

/** Federated averaging as a composite transform on the DirectRunner. */
class AggregateUpdatesTest {
  private static final int ROUND = 5;
  private static final List<SiloUpdate> UPDATES = Fixtures.updates(12, ROUND, 59L);
  private static final double TOLERANCE = 1e-6;

  @Test
  void theResultIsTheSampleWeightedAverageOfTheUpdates() {
    List<Parameters> weights = UPDATES.stream().map(SiloUpdate::weights).toList();
    List<Long> samples = UPDATES.stream().map(u -> u.metadata().sampleCount()).toList();
    SortedMap<String, SystemMetadata> participants = new TreeMap<>();
    UPDATES.forEach(u -> participants.put(u.siloId(), u.metadata()));
    AggregateResult expected = new AggregateResult(ROUND, Aggregation.weightedAverage(weights, samples),
        samples.stream().mapToLong(Long::longValue).sum(), participants);
    Pipeline p = Fixtures.pipeline();

    PCollection<AggregateResult> result = aggregate(p, UPDATES);

    PAssert.thatSingleton(result).satisfies(AggregateResultMatcher.assertCloseTo(expected, TOLERANCE));
    p.run().waitUntilFinish();
  }

  @Test
  void theParticipantsListEverySilo() {
    Pipeline p = Fixtures.pipeline();

    PCollection<AggregateResult> result = aggregate(p, UPDATES);

    PAssert.that(result.apply(MapElements.into(TypeDescriptors.lists(TypeDescriptors.strings()))
            .via(r -> List.copyOf(r.participants().keySet()))))
        .containsInAnyOrder(List.of(UPDATES.stream().map(SiloUpdate::siloId).sorted().toList()));
    p.run().waitUntilFinish();
  }

  @Test
  void noUpdatesGiveNoResult() {
    Pipeline p = Fixtures.pipeline();

    PCollection<AggregateResult> result = aggregate(p, List.of());

    PAssert.that(result).empty();
    p.run().waitUntilFinish();
  }

  @Test
  void aSingleUpdateIsItsOwnAverage() {
    SiloUpdate only = UPDATES.get(3);
    Pipeline p = Fixtures.pipeline();

    PCollection<AggregateResult> result = aggregate(p, List.of(only));

    byte[] expected = Fixtures.encode(FedBeamCoders.ParametersCoder.of(), only.weights());
    PAssert.thatSingleton(result).satisfies(r -> {
      Parameters weights = Fixtures.decode(FedBeamCoders.ParametersCoder.of(), expected);
      assertThat(r.model().maxAbsDifference(weights), lessThanOrEqualTo(0.0));
      return null;
    });
    p.run().waitUntilFinish();
  }

  @Test
  void aBadUpdateFailsThePipelineNamingTheSilo() {
    List<SiloUpdate> withStale = new ArrayList<>(UPDATES);
    withStale.add(Fixtures.update("silo-stale", ROUND + 1, UPDATES.get(0).weights(), 10));
    Pipeline p = Fixtures.pipeline();
    aggregate(p, withStale);

    Pipeline.PipelineExecutionException e = assertThrows(Pipeline.PipelineExecutionException.class,
        () -> p.run().waitUntilFinish());

    assertThat(Fixtures.causalMessages(e),
        hasItem(allOf(containsString("silo-stale"), containsString("round " + (ROUND + 1)))));
  }

  @Test
  void aSiloSendingTwiceFailsThePipelineNamingTheSilo() {
    List<SiloUpdate> withDuplicate = new ArrayList<>(UPDATES);
    SiloUpdate first = UPDATES.get(0);
    withDuplicate.add(Fixtures.update(first.siloId(), ROUND, UPDATES.get(1).weights(), 10));
    Pipeline p = Fixtures.pipeline();
    aggregate(p, withDuplicate);

    Pipeline.PipelineExecutionException e = assertThrows(Pipeline.PipelineExecutionException.class,
        () -> p.run().waitUntilFinish());

    assertThat(Fixtures.causalMessages(e),
        hasItem(allOf(containsString(first.siloId()), containsString("more than one update"))));
  }

  private static PCollection<AggregateResult> aggregate(Pipeline p, List<SiloUpdate> updates) {
    return p.apply(Create.of(updates).withCoder(FedBeamCoders.SiloUpdateCoder.of()))
        .apply(AggregateUpdates.of(SPEC, ROUND));
  }
}
