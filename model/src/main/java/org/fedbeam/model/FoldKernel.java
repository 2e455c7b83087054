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
}
