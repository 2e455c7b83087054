package org.fedbeam.model.aggregate;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.List;
import org.fedbeam.model.ModelSpec;
import org.fedbeam.model.Parameters;

/**
 * The common part of the aggregators that keep every input in a {@link KeptUpdates}: they differ
 * only in how the updates, in silo order, become the aggregate ({@link #combine}).
 */
abstract class KeepingAggregator implements Aggregator<KeptUpdates> {
  private static final long serialVersionUID = 1L;

  @Override
  public final boolean keepsEveryInput() {
    return true;
  }

  @Override
  public final KeptUpdates create(ModelSpec spec) {
    return new KeptUpdates(spec);
  }

  @Override
  public final void add(KeptUpdates accumulator, String silo, Parameters update, double weight) {
    accumulator.add(silo, update, weight);
  }

  @Override
  public final void merge(KeptUpdates into, KeptUpdates other) {
    into.merge(other);
  }

  @Override
  public final long count(KeptUpdates accumulator) {
    return accumulator.size();
  }

  @Override
  public final Parameters result(KeptUpdates accumulator) {
    return Parameters.copyOf(accumulator.spec(), combine(accumulator.sorted()));
  }

  @Override
  public final void write(KeptUpdates accumulator, DataOutputStream out) throws IOException {
    accumulator.writeTo(out);
  }

  @Override
  public final KeptUpdates read(ModelSpec spec, DataInputStream in) throws IOException {
    return KeptUpdates.readFrom(spec, in);
  }

  /** The aggregate of {@code updates} (at least one, in silo order, one per silo). */
  abstract float[] combine(List<KeptUpdates.Kept> updates);

  /** Coordinate {@code j} of every update, as doubles. */
  static double[] column(List<KeptUpdates.Kept> updates, int j, double[] into) {
    for (int i = 0; i < into.length; i++) {
      into[i] = updates.get(i).values()[j];
    }
    return into;
  }
}
