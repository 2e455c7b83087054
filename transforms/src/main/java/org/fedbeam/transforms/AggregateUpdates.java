package org.fedbeam.transforms;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.SortedMap;
import java.util.TreeMap;
import org.apache.beam.sdk.coders.AtomicCoder;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.coders.CoderRegistry;
import org.apache.beam.sdk.transforms.Combine;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.values.PCollection;
import org.fedbeam.model.ModelSpec;
import org.fedbeam.model.SiloUpdate;
import org.fedbeam.model.SystemMetadata;
import org.fedbeam.model.WeightedSum;

/**
 * Federated averaging (McMahan et al. 2017): the sample-weighted mean of the round's updates.
 *
 * <p>In: the round's {@link SiloUpdate}s. Out: one {@link AggregateResult}, or nothing if no update
 * arrived. The accumulator is a running weighted sum ({@link WeightedSum}) plus each participant's
 * small metadata record, so memory is O(parameters), not O(silos x parameters). An update of the
 * wrong shape, from another round, with a non-finite value, or a second update from the same silo
 * fails the aggregation with a message naming the silo: nothing is silently dropped.
 */
public final class AggregateUpdates extends PTransform<PCollection<SiloUpdate>, PCollection<AggregateResult>> {
  private final ModelSpec spec;
  private final int round;

  private AggregateUpdates(ModelSpec spec, int round) {
    this.spec = spec;
    this.round = round;
  }

  /** Aggregates updates of round {@code round} to a model of {@code spec}. */
  public static AggregateUpdates of(ModelSpec spec, int round) {
    return new AggregateUpdates(spec, round);
  }

  @Override
  public PCollection<AggregateResult> expand(PCollection<SiloUpdate> updates) {
    return updates
        .apply("WeightedAverage", Combine.globally(new WeightedAverageCombineFn(spec, round)).withoutDefaults())
        .setCoder(FedBeamCoders.AggregateResultCoder.of());
  }

  /** The accumulator: the running weighted sum and the participants' metadata. */
  public static final class Accumulator {
    final WeightedSum sum;
    final SortedMap<String, SystemMetadata> participants;

    Accumulator(WeightedSum sum, SortedMap<String, SystemMetadata> participants) {
      this.sum = sum;
      this.participants = participants;
    }
  }

  /** Weighted average of updates, weights = sample counts. */
  public static final class WeightedAverageCombineFn
      extends Combine.CombineFn<SiloUpdate, Accumulator, AggregateResult> {
    private final ModelSpec spec;
    private final int round;

    public WeightedAverageCombineFn(ModelSpec spec, int round) {
      this.spec = spec;
      this.round = round;
    }

    @Override
    public Accumulator createAccumulator() {
      return new Accumulator(new WeightedSum(spec), new TreeMap<>());
    }

    @Override
    public Accumulator addInput(Accumulator acc, SiloUpdate update) {
      String silo = update.siloId();
      if (update.round() != round) {
        throw new IllegalArgumentException("update from silo " + silo + " is for round " + update.round()
            + ", this aggregation is round " + round);
      }
      if (acc.participants.containsKey(silo)) {
        throw new IllegalArgumentException("silo " + silo + " sent more than one update in round " + round);
      }
      if (!update.weights().spec().equals(spec)) {
        throw new IllegalArgumentException("update from silo " + silo + " in round " + round + " has shape "
            + update.weights().spec() + " (" + update.weights().size() + " values), the global model is " + spec
            + " (" + spec.parameterCount() + " values)");
      }
      int bad = update.weights().firstNonFinite();
      if (bad >= 0) {
        throw new IllegalArgumentException("update from silo " + silo + " in round " + round
            + " has a non-finite value at index " + bad + ": " + update.weights().get(bad));
      }
      if (update.metadata().sampleCount() < 1) {
        throw new IllegalArgumentException("update from silo " + silo + " in round " + round
            + " claims " + update.metadata().sampleCount() + " samples; an update needs >= 1");
      }
      acc.sum.add(update.weights(), update.metadata().sampleCount());
      acc.participants.put(silo, update.metadata());
      return acc;
    }

    @Override
    public Accumulator mergeAccumulators(Iterable<Accumulator> accumulators) {
      Accumulator merged = createAccumulator();
      for (Accumulator acc : accumulators) {
        for (String silo : acc.participants.keySet()) {
          if (merged.participants.containsKey(silo)) {
            throw new IllegalArgumentException("silo " + silo + " sent more than one update in round " + round);
          }
        }
        merged.sum.merge(acc.sum);
        merged.participants.putAll(acc.participants);
      }
      return merged;
    }

    @Override
    public Accumulator compact(Accumulator acc) {
      acc.sum.fold();
      return acc;
    }

    @Override
    public AggregateResult extractOutput(Accumulator acc) {
      return new AggregateResult(round, acc.sum.average(), (long) acc.sum.totalWeight(), acc.participants);
    }

    @Override
    public Coder<Accumulator> getAccumulatorCoder(CoderRegistry registry, Coder<SiloUpdate> inputCoder) {
      return AccumulatorCoder.INSTANCE;
    }

    @Override
    public Coder<AggregateResult> getDefaultOutputCoder(CoderRegistry registry, Coder<SiloUpdate> inputCoder) {
      return FedBeamCoders.AggregateResultCoder.of();
    }
  }

  /** Encodes the folded double-precision sum and the participants. */
  static final class AccumulatorCoder extends AtomicCoder<Accumulator> {
    static final AccumulatorCoder INSTANCE = new AccumulatorCoder();

    @Override
    public void encode(Accumulator acc, OutputStream out) throws IOException {
      DataOutputStream data = new DataOutputStream(out);
      FedBeamCoders.writeParticipants(acc.participants, data);
      acc.sum.writeTo(data);
      data.flush();
    }

    @Override
    public Accumulator decode(InputStream in) throws IOException {
      DataInputStream data = new DataInputStream(in);
      SortedMap<String, SystemMetadata> participants = FedBeamCoders.readParticipants(data);
      return new Accumulator(WeightedSum.readFrom(data), participants);
    }
  }
}
