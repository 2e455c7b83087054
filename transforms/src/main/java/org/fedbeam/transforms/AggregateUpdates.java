package org.fedbeam.transforms;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.SortedMap;
import java.util.TreeMap;
import org.apache.beam.sdk.coders.CustomCoder;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.coders.CoderRegistry;
import org.apache.beam.sdk.transforms.Combine;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.values.PCollection;
import org.fedbeam.model.ModelSpec;
import org.fedbeam.model.Parameters;
import org.fedbeam.model.SiloUpdate;
import org.fedbeam.model.SystemMetadata;
import org.fedbeam.model.aggregate.Aggregator;
import org.fedbeam.model.aggregate.WeightedMean;

/**
 * A round's aggregation: one generic CombineFn around a model-side {@link Aggregator} (FedAvg's
 * weighted mean by default; the robust rules of the strategies).
 *
 * <p>In: the round's {@link SiloUpdate}s. Out: one {@link AggregateResult}, or nothing if no update
 * arrived. The accumulator is the aggregator's own (a running weighted sum for FedAvg, so memory is
 * O(parameters); the updates themselves for an aggregator that {@link Aggregator#keepsEveryInput()
 * keeps every input}) plus each participant's small metadata record. This wrapper checks every
 * update before the aggregator sees it: an update of the wrong shape, from another round, with a
 * non-finite value, with no samples, or a second update from the same silo fails the aggregation
 * with a message naming the silo: nothing is silently dropped. Each update's weight is its sample
 * count.
 *
 * <p>{@link #of(ModelSpec, int, Aggregator)} expects one given round; {@link #of(ModelSpec, Aggregator)}
 * serves a pipeline that is the same for every round: the round is the updates' own, and updates of
 * two different rounds fail the aggregation (the caller checks the result's round against the round it
 * runs).
 */
public final class AggregateUpdates extends PTransform<PCollection<SiloUpdate>, PCollection<AggregateResult>> {
  private final ModelSpec spec;
  private final int round;
  private final Aggregator<?> aggregator;

  private AggregateUpdates(ModelSpec spec, int round, Aggregator<?> aggregator) {
    this.spec = spec;
    this.round = round;
    this.aggregator = aggregator;
  }

  /** Aggregates updates of round {@code round} (>= 1) to a model of {@code spec} with {@code aggregator}. */
  public static AggregateUpdates of(ModelSpec spec, int round, Aggregator<?> aggregator) {
    if (round < 1) {
      throw new IllegalArgumentException("round must be >= 1, was " + round);
    }
    return new AggregateUpdates(spec, round, aggregator);
  }

  /** FedAvg's weighted mean of updates of round {@code round}. */
  public static AggregateUpdates of(ModelSpec spec, int round) {
    return of(spec, round, WeightedMean.INSTANCE);
  }

  /** Aggregates updates of any one round with {@code aggregator}; the result carries that round. */
  public static AggregateUpdates of(ModelSpec spec, Aggregator<?> aggregator) {
    return new AggregateUpdates(spec, ANY_ROUND, aggregator);
  }

  /** FedAvg's weighted mean of updates of any one round. */
  public static AggregateUpdates of(ModelSpec spec) {
    return of(spec, WeightedMean.INSTANCE);
  }

  /** The CombineFn of {@code aggregator} for updates of round {@code round} ({@link #ANY_ROUND} for any one). */
  public static <A> AggregateCombineFn<A> combineFn(ModelSpec spec, int round, Aggregator<A> aggregator) {
    return new AggregateCombineFn<>(spec, round, aggregator);
  }

  /** The expected round of a round-agnostic aggregation, and an accumulator's round before its first update. */
  public static final int ANY_ROUND = 0;

  @Override
  public PCollection<AggregateResult> expand(PCollection<SiloUpdate> updates) {
    return updates
        .apply(stepName(aggregator), Combine.globally(combineFn(spec, round, aggregator)).withoutDefaults())
        .setCoder(FedBeamCoders.AggregateResultCoder.of());
  }

  /** The Combine step's name in the Flink web UI: FedAvg's keeps its old name, so metric names stay. */
  static String stepName(Aggregator<?> aggregator) {
    return aggregator == WeightedMean.INSTANCE ? "WeightedAverage" : "Aggregate-" + aggregator.name();
  }

  /** The accumulator: the aggregator's own, the participants' metadata and the round. */
  public static final class Accumulator<A> {
    final A inner;
    final SortedMap<String, SystemMetadata> participants;
    /** The round of the updates added so far, {@link #ANY_ROUND} before the first. */
    int round;
    /** The sum of the added updates' weights (sample counts: exact in a double). */
    double totalWeight;

    Accumulator(A inner, SortedMap<String, SystemMetadata> participants, int round, double totalWeight) {
      this.inner = inner;
      this.participants = participants;
      this.round = round;
      this.totalWeight = totalWeight;
    }
  }

  /** Checks every update, then hands it to the aggregator with its sample count as weight. */
  public static final class AggregateCombineFn<A>
      extends Combine.CombineFn<SiloUpdate, Accumulator<A>, AggregateResult> {
    private final ModelSpec spec;
    private final int round;
    private final Aggregator<A> aggregator;

    /** {@code round}: the round every update must be of, or {@link #ANY_ROUND} for "any one round". */
    AggregateCombineFn(ModelSpec spec, int round, Aggregator<A> aggregator) {
      this.spec = spec;
      this.round = round;
      this.aggregator = aggregator;
    }

    /** The model-side aggregator this CombineFn wraps. */
    public Aggregator<A> aggregator() {
      return aggregator;
    }

    @Override
    public Accumulator<A> createAccumulator() {
      return new Accumulator<>(aggregator.create(spec), new TreeMap<>(), round, 0);
    }

    @Override
    public Accumulator<A> addInput(Accumulator<A> acc, SiloUpdate update) {
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
      aggregator.add(acc.inner, silo, update.weights(), update.metadata().sampleCount());
      acc.participants.put(silo, update.metadata());
      acc.round = update.round();
      acc.totalWeight += update.metadata().sampleCount();
      return acc;
    }

    @Override
    public Accumulator<A> mergeAccumulators(Iterable<Accumulator<A>> accumulators) {
      Accumulator<A> merged = createAccumulator();
      for (Accumulator<A> acc : accumulators) {
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
        aggregator.merge(merged.inner, acc.inner);
        merged.participants.putAll(acc.participants);
        merged.totalWeight += acc.totalWeight;
      }
      return merged;
    }

    @Override
    public Accumulator<A> compact(Accumulator<A> acc) {
      aggregator.compact(acc.inner);
      return acc;
    }

    @Override
    public AggregateResult extractOutput(Accumulator<A> acc) {
      Parameters aggregate;
      try {
        aggregate = aggregator.result(acc.inner);
      } catch (IllegalArgumentException e) {
        // e.g. Krum asked before it holds the updates it needs: the writer of the round's model refuses it
        return new AggregateResult(acc.round, null, (long) acc.totalWeight, acc.participants,
            "round " + acc.round + " cannot be aggregated with " + aggregator.name() + " from the updates of "
                + acc.participants.keySet() + ": " + e.getMessage());
      }
      return new AggregateResult(acc.round, aggregate, (long) acc.totalWeight, acc.participants);
    }

    @Override
    public Coder<Accumulator<A>> getAccumulatorCoder(CoderRegistry registry, Coder<SiloUpdate> inputCoder) {
      return new AccumulatorCoder<>(spec, aggregator);
    }

    @Override
    public Coder<AggregateResult> getDefaultOutputCoder(CoderRegistry registry, Coder<SiloUpdate> inputCoder) {
      return FedBeamCoders.AggregateResultCoder.of();
    }
  }

  /** Encodes the round, the participants, the total weight and the aggregator's own accumulator. */
  static final class AccumulatorCoder<A> extends CustomCoder<Accumulator<A>> {
    private final ModelSpec spec;
    private final Aggregator<A> aggregator;

    AccumulatorCoder(ModelSpec spec, Aggregator<A> aggregator) {
      this.spec = spec;
      this.aggregator = aggregator;
    }

    @Override
    public void encode(Accumulator<A> acc, OutputStream out) throws IOException {
      DataOutputStream data = new DataOutputStream(out);
      data.writeInt(acc.round);
      data.writeDouble(acc.totalWeight);
      FedBeamCoders.writeParticipants(acc.participants, data);
      aggregator.write(acc.inner, data);
      data.flush();
    }

    @Override
    public Accumulator<A> decode(InputStream in) throws IOException {
      DataInputStream data = new DataInputStream(in);
      int round = data.readInt();
      double totalWeight = data.readDouble();
      SortedMap<String, SystemMetadata> participants = FedBeamCoders.readParticipants(data);
      return new Accumulator<>(aggregator.read(spec, data), participants, round, totalWeight);
    }

    /** Deterministic: the aggregators write their state deterministically (see {@link Aggregator}). */
    @Override
    public void verifyDeterministic() {}

    @Override
    public boolean equals(Object other) {
      return other instanceof AccumulatorCoder<?> o && o.spec.equals(spec) && o.aggregator.name().equals(aggregator.name());
    }

    @Override
    public int hashCode() {
      return spec.hashCode() * 31 + aggregator.name().hashCode();
    }
  }
}
