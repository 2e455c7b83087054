package org.fedbeam.model.aggregate;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import org.fedbeam.model.ModelSpec;
import org.fedbeam.model.Parameters;

/**
 * The accumulator of the aggregators that need every input (median, trimmed mean, Krum): each
 * update's silo, values and weight, kept as added. Memory is O(updates x parameters). Before an
 * aggregate is computed the updates are put in silo order ({@link #sorted()}), so the result does
 * not depend on the order in which they were added or merged; one silo may add one update.
 *
 * <p>{@link #writeTo} and {@link #readFrom} give a deterministic binary form (the updates as
 * held, in silo order); reading is bounded: at most {@link #MAX_UPDATES} updates, each exactly the
 * spec's length, with finite values and a finite weight > 0.
 */
public final class KeptUpdates {
  /** Most updates one accumulator holds (and a corrupt stream may claim). */
  public static final int MAX_UPDATES = 1 << 16;
  private static final int MAX_SILO_CHARS = 1024;

  /** One kept update; {@code values} belongs to the accumulator and is never changed. */
  record Kept(String silo, float[] values, double weight) {}

  private final ModelSpec spec;
  private final List<Kept> kept = new ArrayList<>();

  /** An empty accumulator for updates of {@code spec}. */
  public KeptUpdates(ModelSpec spec) {
    if (spec == null) {
      throw new IllegalArgumentException("kept updates need a model spec");
    }
    this.spec = spec;
  }

  /** The model every kept update is of. */
  public ModelSpec spec() {
    return spec;
  }

  /** Keeps a copy of silo {@code silo}'s update with weight {@code weight} (finite, > 0). */
  public void add(String silo, Parameters update, double weight) {
    if (silo == null || silo.isEmpty() || silo.length() > MAX_SILO_CHARS) {
      throw new IllegalArgumentException("an update needs a silo id of 1 to " + MAX_SILO_CHARS + " characters, was " + silo);
    }
    if (!update.spec().equals(spec)) {
      throw new IllegalArgumentException("silo " + silo + " sent an update of " + update.spec() + " where " + spec + " was expected");
    }
    keep(new Kept(silo, update.toArray(), weight));
  }

  /** Adds every update of {@code other} (of the same spec); {@code other} is not used afterwards. */
  public void merge(KeptUpdates other) {
    if (!other.spec.equals(spec)) {
      throw new IllegalArgumentException("cannot merge updates of " + other.spec + " into updates of " + spec);
    }
    other.kept.forEach(this::keep);
  }

  /** The number of updates kept. */
  public int size() {
    return kept.size();
  }

  private void keep(Kept k) {
    if (!(k.weight() > 0) || !Double.isFinite(k.weight())) {
      throw new IllegalArgumentException("silo " + k.silo() + "'s weight must be a finite number > 0, was " + k.weight());
    }
    if (kept.size() >= MAX_UPDATES) {
      throw new IllegalArgumentException("more than " + MAX_UPDATES + " updates in one round");
    }
    kept.add(k);
  }

  /**
   * The updates in silo order.
   *
   * @throws IllegalStateException if none was added
   * @throws IllegalArgumentException naming the silo if one silo added two updates
   */
  List<Kept> sorted() {
    if (kept.isEmpty()) {
      throw new IllegalStateException("no update to aggregate");
    }
    List<Kept> sorted = new ArrayList<>(kept);
    sorted.sort(Comparator.comparing(Kept::silo));
    for (int i = 1; i < sorted.size(); i++) {
      if (sorted.get(i).silo().equals(sorted.get(i - 1).silo())) {
        throw new IllegalArgumentException("silo " + sorted.get(i).silo() + " sent two updates in one round");
      }
    }
    return sorted;
  }

  /** Writes the updates in silo order (a silo that sent two is written twice, and refused on result). */
  public void writeTo(DataOutputStream out) throws IOException {
    List<Kept> inOrder = new ArrayList<>(kept);
    inOrder.sort(Comparator.comparing(Kept::silo));
    out.writeInt(inOrder.size());
    ByteBuffer bytes = ByteBuffer.allocate(spec.parameterCount() * Float.BYTES);
    for (Kept k : inOrder) {
      out.writeUTF(k.silo());
      out.writeDouble(k.weight());
      bytes.clear();
      bytes.asFloatBuffer().put(k.values());
      out.write(bytes.array());
    }
  }

  /**
   * Reads what {@link #writeTo} wrote, for updates of {@code spec}.
   *
   * @throws IOException if the stream is truncated, claims too many updates, or holds a value or
   *     weight that {@link #add} would have refused
   */
  public static KeptUpdates readFrom(ModelSpec spec, DataInputStream in) throws IOException {
    int count = in.readInt();
    if (count < 0 || count > MAX_UPDATES) {
      throw new IOException("kept updates claim " + count + " updates; at most " + MAX_UPDATES + " are allowed");
    }
    KeptUpdates updates = new KeptUpdates(spec);
    int p = spec.parameterCount();
    byte[] raw = new byte[p * Float.BYTES];
    for (int i = 0; i < count; i++) {
      String silo = in.readUTF();
      double weight = in.readDouble();
      in.readFully(raw);
      float[] values = new float[p];
      ByteBuffer.wrap(raw).asFloatBuffer().get(values);
      for (int j = 0; j < p; j++) {
        if (!Float.isFinite(values[j])) {
          throw new IOException("kept update of silo " + silo + " has a non-finite value at " + j);
        }
      }
      if (silo.isEmpty() || silo.length() > MAX_SILO_CHARS || !(weight > 0) || !Double.isFinite(weight)) {
        throw new IOException("kept update " + i + " has a bad silo id or weight " + weight);
      }
      updates.kept.add(new Kept(silo, values, weight));
    }
    return updates;
  }
}
