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
 *
 * <p>{@link #of(ModelSpec, int)} expects one given round; {@link #of(ModelSpec)} serves a pipeline
 * that is the same for every round: the round is the updates' own, and updates of two different
 * rounds fail the aggregation (the caller checks the result's round against the round it runs).
 */
public final class AggregateUpdates extends PTransform<PCollection<SiloUpdate>, PCollection<AggregateResult>> {
  private final ModelSpec spec;
  private final int round;

  private AggregateUpdates(ModelSpec spec, int round) {
    this.spec = spec;
    this.round = round;
  }

  /** Aggregates updates of round {@code round} (>= 1) to a model of {@code spec}. */
  public static AggregateUpdates of(ModelSpec spec, int round) {
    if (round < 1) {
      throw new IllegalArgumentException("round must be >= 1, was " + round);
    }
    return new AggregateUpdates(spec, round);
  }

  /** Aggregates updates of any one round to a model of {@code spec}; the result carries that round. */
  public static AggregateUpdates of(ModelSpec spec) {
    return new AggregateUpdates(spec, ANY_ROUND);
  }

  /** The CombineFn of {@link #of(ModelSpec)}. */
  public static WeightedAverageCombineFn anyRound(ModelSpec spec) {
    return new WeightedAverageCombineFn(spec, ANY_ROUND);
  }

  /** The expected round of a round-agnostic aggregation, and an accumulator's round before its first update. */
  static final int ANY_ROUND = 0;

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
    /** The round of the updates added so far, {@link #ANY_ROUND} before the first. */
    int round;

    Accumulator(WeightedSum sum, SortedMap<String, SystemMetadata> participants, int round) {
      this.sum = sum;
      this.participants = participants;
      this.round = round;
    }
  }

  /** Weighted average of updates, weights = sample counts. */
  public static final class WeightedAverageCombineFn
      extends Combine.CombineFn<SiloUpdate, Accumulator, AggregateResult> {
    private final ModelSpec spec;
    private final int round;

    /** {@code round}: the round every update must be of, or {@link #ANY_ROUND} for "any one round". */
    public WeightedAverageCombineFn(ModelSpec spec, int round) {
      this.spec = spec;
      this.round = round;
    }

    @Override
    public Accumulator createAccumulator() {
      return new Accumulator(new WeightedSum(spec), new TreeMap<>(), round);
    }

    @Override
    public Accumulator addInput(Accumulator acc, SiloUpdate update) {
      String silo = update.siloId();
      if (round != ANY_ROUND && update.round() != round) {
        throw new IllegalArgumentException("update from silo " + silo + " is for round " + update.round()
            + ", this aggregation is round " + round);
      }
      if (acc.round != ANY_ROUND && update.round() != acc.round) {
        throw new IllegalArgumentException("update from silo " + silo + " is for round " + update.round()
            + ", the other updates of this aggregation (" + acc.participants.keySet() + ") are for round " + acc.round);
      }
      if (update.round() < 1) {
        throw new IllegalArgumentException("update from silo " + silo + " claims round " + update.round());
      }
      if (acc.participants.containsKey(silo)) {
        throw new IllegalArgumentException("silo " + silo + " sent more than one update in round " + update.round());
      }
      if (!update.weights().spec().equals(spec)) {
        throw new IllegalArgumentException("update from silo " + silo + " in round " + update.round() + " has shape "
            + update.weights().spec() + " (" + update.weights().size() + " values), the global model is " + spec
            + " (" + spec.parameterCount() + " values)");
      }
      int bad = update.weights().firstNonFinite();
      if (bad >= 0) {
        throw new IllegalArgumentException("update from silo " + silo + " in round " + update.round()
            + " has a non-finite value at index " + bad + ": " + update.weights().get(bad));
      }
      if (update.metadata().sampleCount() < 1) {
        throw new IllegalArgumentException("update from silo " + silo + " in round " + update.round()
            + " claims " + update.metadata().sampleCount() + " samples; an update needs >= 1");
      }
      acc.sum.add(update.weights(), update.metadata().sampleCount());
      acc.participants.put(silo, update.metadata());
      acc.round = update.round();
      return acc;
    }

    @Override
    public Accumulator mergeAccumulators(Iterable<Accumulator> accumulators) {
      Accumulator merged = createAccumulator();
      for (Accumulator acc : accumulators) {
        for (String silo : acc.participants.keySet()) {
          if (merged.participants.containsKey(silo)) {
            throw new IllegalArgumentException("silo " + silo + " sent more than one update in round " + acc.round);
          }
        }
        if (acc.round != ANY_ROUND && merged.round != ANY_ROUND && acc.round != merged.round) {
          throw new IllegalArgumentException("updates of two rounds in one aggregation: " + merged.participants.keySet()
              + " for round " + merged.round + ", " + acc.participants.keySet() + " for round " + acc.round);
        }
        if (acc.round != ANY_ROUND) {
          merged.round = acc.round;
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
      return new AggregateResult(acc.round, acc.sum.average(), (long) acc.sum.totalWeight(), acc.participants);
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
      data.writeInt(acc.round);
      FedBeamCoders.writeParticipants(acc.participants, data);
      acc.sum.writeTo(data);
      data.flush();
    }

    @Override
    public Accumulator decode(InputStream in) throws IOException {
      DataInputStream data = new DataInputStream(in);
      int round = data.readInt();
      SortedMap<String, SystemMetadata> participants = FedBeamCoders.readParticipants(data);
      return new Accumulator(WeightedSum.readFrom(data), participants, round);
    }
  }
}
