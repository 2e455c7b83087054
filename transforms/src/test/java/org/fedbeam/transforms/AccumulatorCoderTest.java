package org.fedbeam.transforms;

import static org.fedbeam.transforms.Fixtures.SPEC;
import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.allOf;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.beam.sdk.testing.CoderProperties;
import org.apache.beam.sdk.util.CoderUtils;
import org.fedbeam.model.SiloUpdate;
import org.fedbeam.model.SystemMetadata;
import org.fedbeam.model.WeightedSum;
import org.fedbeam.model.aggregate.WeightedMean;
import org.junit.jupiter.api.Test;

/**
 * The FedAvg accumulator's coder: a decoded accumulator carries the same sum, weight and
 * participants, so a runner may ship partial sums between workers mid-aggregation.
 */
class AccumulatorCoderTest {
  private static final int ROUND = 2;
  private static final List<SiloUpdate> UPDATES = Fixtures.updates(12, ROUND, 77L);
  private static final double TOLERANCE = 1e-6;
  private static final AggregateUpdates.AccumulatorCoder<WeightedSum> CODER = new AggregateUpdates.AccumulatorCoder<>(SPEC, WeightedMean.INSTANCE);

  private final AggregateUpdates.AggregateCombineFn<WeightedSum> fn =
      AggregateUpdates.combineFn(SPEC, ROUND, WeightedMean.INSTANCE);

  @Test
  void anAccumulatorWithPendingInputsReEncodesToTheSameBytes() throws Exception {
    CoderProperties.structuralValueDecodeEncodeEqual(CODER, accumulate(UPDATES.subList(0, 3)));
  }

  @Test
  void anEmptyAccumulatorReEncodesToTheSameBytes() throws Exception {
    CoderProperties.structuralValueDecodeEncodeEqual(CODER, fn.createAccumulator());
  }

  @Test
  void aDecodedAccumulatorGivesTheSameResult() throws Exception {
    AggregateUpdates.Accumulator<WeightedSum> original = accumulate(UPDATES.subList(0, 5));

    AggregateUpdates.Accumulator<WeightedSum> decoded = roundTrip(original);

    AggregateResult expected = fn.extractOutput(original);
    assertThat(fn.extractOutput(decoded), AggregateResultMatcher.closeTo(expected, 0));
  }

  @Test
  void aDecodedAccumulatorKeepsAccumulatingAcrossFolds() throws Exception {
    AggregateUpdates.Accumulator<WeightedSum> decoded = roundTrip(accumulate(UPDATES.subList(0, 5)));

    for (SiloUpdate u : UPDATES.subList(5, UPDATES.size())) {
      decoded = fn.addInput(decoded, u);
    }

    assertThat(fn.extractOutput(decoded),
        AggregateResultMatcher.closeTo(WeightedAverageCombineFnTest.reference(UPDATES, ROUND), TOLERANCE));
  }

  @Test
  void decodedAccumulatorsMerge() throws Exception {
    AggregateUpdates.Accumulator<WeightedSum> first = roundTrip(accumulate(UPDATES.subList(0, 4)));
    AggregateUpdates.Accumulator<WeightedSum> second = roundTrip(accumulate(UPDATES.subList(4, UPDATES.size())));

    AggregateUpdates.Accumulator<WeightedSum> merged = fn.mergeAccumulators(List.of(first, second));

    assertThat(fn.extractOutput(merged),
        AggregateResultMatcher.closeTo(WeightedAverageCombineFnTest.reference(UPDATES, ROUND), TOLERANCE));
  }

  @Test
  void aDecodedAccumulatorStillRejectsASiloItAlreadyHolds() throws Exception {
    AggregateUpdates.Accumulator<WeightedSum> decoded = roundTrip(accumulate(UPDATES.subList(0, 3)));
    SiloUpdate again = UPDATES.get(1);

    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> fn.addInput(decoded, again));

    assertThat(e.getMessage(), allOf(containsString(again.siloId()), containsString("more than one update")));
  }

  @Test
  void aCorruptModelKindIsRejected() throws Exception {
    byte[] encoded = CoderUtils.encodeToByteArray(CODER, fn.createAccumulator());
    // an empty accumulator: round (4 bytes), total weight (8 bytes), participant count (4 bytes), then the sum's model kind byte
    encoded[16] = 9;

    IOException e = assertThrows(IOException.class, () -> CODER.decode(new ByteArrayInputStream(encoded)));

    assertThat(e.getMessage(), allOf(containsString("corrupt weighted sum"), containsString("kind 9")));
  }

  @Test
  void aDecodedAccumulatorKeepsEveryParticipantsMetadata() throws Exception {
    List<SiloUpdate> updates = List.of(UPDATES.get(7), UPDATES.get(2), UPDATES.get(4));

    AggregateUpdates.Accumulator<WeightedSum> decoded = roundTrip(accumulate(updates));

    Map<String, SystemMetadata> expected = new TreeMap<>();
    updates.forEach(u -> expected.put(u.siloId(), u.metadata()));
    assertThat(decoded.participants, equalTo(expected));
  }

  private AggregateUpdates.Accumulator<WeightedSum> accumulate(List<SiloUpdate> updates) {
    AggregateUpdates.Accumulator<WeightedSum> acc = fn.createAccumulator();
    for (SiloUpdate u : updates) {
      acc = fn.addInput(acc, u);
    }
    return acc;
  }

  private static AggregateUpdates.Accumulator<WeightedSum> roundTrip(AggregateUpdates.Accumulator<WeightedSum> acc) throws Exception {
    return CoderUtils.decodeFromByteArray(CODER, CoderUtils.encodeToByteArray(CODER, acc));
  }
}
