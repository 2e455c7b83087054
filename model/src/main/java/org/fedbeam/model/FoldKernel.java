package org.fedbeam.model;

/**
 * The inner loops of {@link WeightedSum}: add weighted float vectors into a double sum, and scale
 * the sum back to float. Two implementations compute exactly the same values, element by element
 * and operation by operation: a scalar one, and one on Java's incubating Vector API (used when the
 * JVM was started with {@code --add-modules jdk.incubator.vector}), which converts float lanes to
 * double explicitly, a step the JIT does not vectorise on its own on Java 17.
 *
 * <p>{@code base} offsets the sum: element {@code i} of the inputs goes to {@code sum[i - base]},
 * so the sum may be the whole vector ({@code base = 0}) or a cache-sized window of it.
 */
interface FoldKernel {
  /** {@code sum[i - base] += sum over groups of w[j] * v[j][i]} for i in [from, to); see {@link ScalarFoldKernel}. */
  void accumulate(double[] sum, int base, float[][] v, double[] w, int k, int from, int to);

  /** {@code out[i] = (float) (sum[i - base] * scale)} for i in [from, to). */
  void scale(double[] sum, int base, double scale, float[] out, int from, int to);

  /**
   * Vectors shorter than this use the scalar kernel even where the Vector API is available: the
   * vector kernel runs many times slower until the JIT has compiled it with its intrinsics, which
   * takes several rounds' worth of calls when each call folds a model of a few hundred thousand
   * values (measured: 40-75 ms per fold of 5 x 101,770 values for the first five to eight rounds
   * against 2-4 ms scalar from the third), while at that size both run in a few milliseconds once
   * compiled. Above it, the memory-bound fold of large vectors gains from the vector kernel.
   */
  int VECTOR_MIN_LENGTH = 1 << 20;

  /** The kernel for vectors of {@code length} values: {@link #best()} from {@link #VECTOR_MIN_LENGTH} on, else scalar. */
  static FoldKernel forLength(int length) {
    return length >= VECTOR_MIN_LENGTH ? Kernels.BEST : Kernels.SCALAR;
  }

  /** The vector kernel when the JVM has the Vector API and {@code fedbeam.vector} is not false. */
  static FoldKernel best() {
    if (!"false".equals(System.getProperty("fedbeam.vector"))
        && ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent()) {
      try {
        return new VectorFoldKernel();
      } catch (LinkageError e) {
        return new ScalarFoldKernel();
      }
    }
    return new ScalarFoldKernel();
  }

  /** The two kernels, chosen once per JVM. */
  final class Kernels {
    static final FoldKernel BEST = best();
    static final FoldKernel SCALAR = new ScalarFoldKernel();

    private Kernels() {}
  }
}
