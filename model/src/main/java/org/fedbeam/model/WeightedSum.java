package org.fedbeam.model;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;

/**
 * A running weighted sum of parameter vectors of one spec: the accumulator of federated averaging
 * (McMahan et al. 2017, "Communication-Efficient Learning of Deep Networks from Decentralized
 * Data"). It holds a double-precision sum and at most {@link #PENDING} not-yet-folded inputs, so its
 * memory is O(parameters) whatever the number of silos.
 *
 * <p>Pending inputs are folded eight at a time ({@link FoldKernel}): each element of the sum is
 * loaded and stored once per eight inputs instead of once per input, and the last fold is fused
 * with the final scaling. The full-length double sum is only allocated when it is needed (more than
 * {@link #PENDING} inputs, a merge, or serialisation): until then {@link #average()} folds each
 * block of the pending inputs into a cache-sized window and scales it straight to the output,
 * which performs the same operations in the same order as folding into a zeroed full sum, so the
 * result is bit-identical either way. Not thread-safe.
 */
public final class WeightedSum {
  /** How many inputs are held back before a fold. */
  public static final int PENDING = 16;

  /** Elements per block when folding: a block of the sum stays in the L2 cache. */
  private static final int BLOCK = 1 << 14;

  private final ModelSpec spec;
  private final FoldKernel kernel;
  /** The folded sum; null until something has been folded into it (all zero until then). */
  private double[] sum;
  private final float[][] pending = new float[PENDING][];
  private final double[] pendingWeights = new double[PENDING];
  private int pendingCount;
  private double totalWeight;
  private long count;

  public WeightedSum(ModelSpec spec) {
    this.spec = spec;
    this.kernel = FoldKernel.forLength(spec.parameterCount());
  }

  public ModelSpec spec() {
    return spec;
  }

  /** Sum of the weights added so far. */
  public double totalWeight() {
    return totalWeight;
  }

  /** Number of vectors added so far (merged sums count theirs). */
  public long count() {
    return count;
  }

  /**
   * Adds {@code weight * parameters}.
   *
   * @throws IllegalArgumentException if the spec differs or the weight is not a finite number > 0
   */
  public void add(Parameters parameters, double weight) {
    if (!parameters.spec().equals(spec)) {
      throw new IllegalArgumentException("update is " + parameters.spec() + " (" + parameters.size()
          + " values) but the global model is " + spec + " (" + spec.parameterCount() + " values)");
    }
    if (!(weight > 0) || !Double.isFinite(weight)) {
      throw new IllegalArgumentException("weight must be a finite number > 0, was " + weight);
    }
    pending[pendingCount] = parameters.values();
    pendingWeights[pendingCount] = weight;
    pendingCount++;
    totalWeight += weight;
    count++;
    if (pendingCount == PENDING) {
      fold();
    }
  }

  /** Adds everything {@code other} holds; {@code other} is left unchanged. */
  public void merge(WeightedSum other) {
    if (!other.spec.equals(spec)) {
      throw new IllegalArgumentException("cannot merge sums of " + other.spec + " into " + spec);
    }
    other.fold();
    fold();
    double[] theirs = other.sum;
    if (theirs != null) {
      double[] ours = folded();
      for (int i = 0; i < ours.length; i++) {
        ours[i] += theirs[i];
      }
    }
    totalWeight += other.totalWeight;
    count += other.count;
  }

  /**
   * The weighted mean, rounded to float32.
   *
   * @throws IllegalStateException if nothing was added
   */
  public Parameters average() {
    if (count == 0) {
      throw new IllegalStateException("no updates to average");
    }
    // fold and scale block by block, so each block of the sum is still in cache when it is scaled
    int n = spec.parameterCount();
    float[] out = new float[n];
    double inv = 1.0 / totalWeight;
    double[] window = sum == null ? new double[Math.min(BLOCK, n)] : null;
    for (int start = 0; start < n; start += BLOCK) {
      int end = Math.min(n, start + BLOCK);
      if (window == null) {
        kernel.accumulate(sum, 0, pending, pendingWeights, pendingCount, start, end);
        kernel.scale(sum, 0, inv, out, start, end);
      } else {
        java.util.Arrays.fill(window, 0.0);
        kernel.accumulate(window, start, pending, pendingWeights, pendingCount, start, end);
        kernel.scale(window, start, inv, out, start, end);
      }
    }
    if (window == null) {
      clearPending(); // folded into the sum above; without a sum, the inputs stay pending
    }
    return Parameters.adopt(spec, out);
  }

  /** Folds the pending inputs into the sum (see {@link ScalarFoldKernel} for the order). */
  public void fold() {
    if (pendingCount > 0) {
      double[] into = folded();
      for (int start = 0; start < into.length; start += BLOCK) {
        kernel.accumulate(into, 0, pending, pendingWeights, pendingCount, start, Math.min(into.length, start + BLOCK));
      }
      clearPending();
    }
  }

  private double[] folded() {
    if (sum == null) {
      sum = new double[spec.parameterCount()];
    }
    return sum;
  }

  private void clearPending() {
    java.util.Arrays.fill(pending, null);
    pendingCount = 0;
  }

  /** Writes the folded state: spec, count, total weight and the double sum. */
  public void writeTo(DataOutputStream out) throws IOException {
    fold();
    out.writeByte(spec.kind().ordinal());
    out.writeByte(spec.layers().size());
    for (int width : spec.layers()) {
      out.writeInt(width);
    }
    out.writeLong(count);
    out.writeDouble(totalWeight);
    byte[] bytes = new byte[spec.parameterCount() * Double.BYTES];
    if (sum != null) {
      java.nio.ByteBuffer.wrap(bytes).asDoubleBuffer().put(sum);
    }
    out.write(bytes);
  }

  /** Reads what {@link #writeTo} wrote. */
  public static WeightedSum readFrom(DataInputStream in) throws IOException {
    int kind = in.readUnsignedByte();
    int layerCount = in.readUnsignedByte();
    if (kind >= ModelKind.values().length || layerCount < 2) {
      throw new IOException("corrupt weighted sum: kind " + kind + ", " + layerCount + " layers");
    }
    java.util.List<Integer> layers = new java.util.ArrayList<>();
    for (int i = 0; i < layerCount; i++) {
      layers.add(in.readInt());
    }
    ModelSpec spec;
    try {
      spec = new ModelSpec(ModelKind.values()[kind], layers);
    } catch (IllegalArgumentException e) {
      throw new IOException("corrupt weighted sum: " + e.getMessage(), e);
    }
    WeightedSum s = new WeightedSum(spec);
    s.count = in.readLong();
    s.totalWeight = in.readDouble();
    byte[] bytes = new byte[spec.parameterCount() * Double.BYTES];
    in.readFully(bytes);
    java.nio.ByteBuffer.wrap(bytes).asDoubleBuffer().get(s.folded());
    return s;
  }
}
