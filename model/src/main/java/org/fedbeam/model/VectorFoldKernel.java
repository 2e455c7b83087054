package org.fedbeam.model;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@link ScalarFoldKernel}'s loops on the Vector API: four lanes at a time, floats widened to
 * doubles with an explicit conversion, the same operations in the same order per element (Java
 * never fuses a multiply and an add on its own), so results are bit-identical. Tails run scalar.
 */
final class VectorFoldKernel implements FoldKernel {
  private static final VectorSpecies<Float> F = FloatVector.SPECIES_128;
  private static final VectorSpecies<Double> D = DoubleVector.SPECIES_256;
  private final ScalarFoldKernel tail = new ScalarFoldKernel();

  VectorFoldKernel() {
    if (F.length() != D.length()) {
      throw new LinkageError("float and double species differ in length");
    }
  }

  @Override
  public void accumulate(double[] sum, int base, float[][] v, double[] w, int k, int from, int to) {
    int upper = from + (to - from) / F.length() * F.length();
    int j = 0;
    for (; j + 8 <= k; j += 8) {
      eight(sum, base, v, w, j, from, upper);
    }
    for (; j + 4 <= k; j += 4) {
      four(sum, base, v, w, j, from, upper);
    }
    for (; j + 2 <= k; j += 2) {
      two(sum, base, v[j], v[j + 1], w[j], w[j + 1], from, upper);
    }
    for (; j < k; j++) {
      one(sum, base, v[j], w[j], from, upper);
    }
    if (upper < to) {
      tail.accumulate(sum, base, v, w, k, upper, to);
    }
  }

  // One small method per group size: C2 inlines and intrinsifies each fully (one large method
  // with all four loops left some Vector API calls boxed).

  private static void eight(double[] sum, int base, float[][] v, double[] w, int j, int from, int upper) {
    float[] a = v[j];
    float[] b = v[j + 1];
    float[] c = v[j + 2];
    float[] d = v[j + 3];
    float[] e = v[j + 4];
    float[] f = v[j + 5];
    float[] g = v[j + 6];
    float[] h = v[j + 7];
    DoubleVector wa = DoubleVector.broadcast(D, w[j]);
    DoubleVector wb = DoubleVector.broadcast(D, w[j + 1]);
    DoubleVector wc = DoubleVector.broadcast(D, w[j + 2]);
    DoubleVector wd = DoubleVector.broadcast(D, w[j + 3]);
    DoubleVector we = DoubleVector.broadcast(D, w[j + 4]);
    DoubleVector wf = DoubleVector.broadcast(D, w[j + 5]);
    DoubleVector wg = DoubleVector.broadcast(D, w[j + 6]);
    DoubleVector wh = DoubleVector.broadcast(D, w[j + 7]);
    for (int i = from; i < upper; i += F.length()) {
      DoubleVector left = wa.mul(wide(a, i)).add(wb.mul(wide(b, i))).add(wc.mul(wide(c, i)).add(wd.mul(wide(d, i))));
      DoubleVector right = we.mul(wide(e, i)).add(wf.mul(wide(f, i))).add(wg.mul(wide(g, i)).add(wh.mul(wide(h, i))));
      DoubleVector.fromArray(D, sum, i - base).add(left.add(right)).intoArray(sum, i - base);
    }
  }

  private static void four(double[] sum, int base, float[][] v, double[] w, int j, int from, int upper) {
    float[] a = v[j];
    float[] b = v[j + 1];
    float[] c = v[j + 2];
    float[] d = v[j + 3];
    DoubleVector wa = DoubleVector.broadcast(D, w[j]);
    DoubleVector wb = DoubleVector.broadcast(D, w[j + 1]);
    DoubleVector wc = DoubleVector.broadcast(D, w[j + 2]);
    DoubleVector wd = DoubleVector.broadcast(D, w[j + 3]);
    for (int i = from; i < upper; i += F.length()) {
      DoubleVector group = wa.mul(wide(a, i)).add(wb.mul(wide(b, i))).add(wc.mul(wide(c, i)).add(wd.mul(wide(d, i))));
      DoubleVector.fromArray(D, sum, i - base).add(group).intoArray(sum, i - base);
    }
  }

  private static void two(double[] sum, int base, float[] a, float[] b, double weightA, double weightB, int from, int upper) {
    DoubleVector wa = DoubleVector.broadcast(D, weightA);
    DoubleVector wb = DoubleVector.broadcast(D, weightB);
    for (int i = from; i < upper; i += F.length()) {
      DoubleVector.fromArray(D, sum, i - base).add(wa.mul(wide(a, i)).add(wb.mul(wide(b, i)))).intoArray(sum, i - base);
    }
  }

  private static void one(double[] sum, int base, float[] a, double weight, int from, int upper) {
    DoubleVector wa = DoubleVector.broadcast(D, weight);
    for (int i = from; i < upper; i += F.length()) {
      DoubleVector.fromArray(D, sum, i - base).add(wa.mul(wide(a, i))).intoArray(sum, i - base);
    }
  }

  @Override
  public void scale(double[] sum, int base, double scale, float[] out, int from, int to) {
    int lanes = F.length();
    int upper = from + (to - from) / lanes * lanes;
    DoubleVector s = DoubleVector.broadcast(D, scale);
    for (int i = from; i < upper; i += lanes) {
      ((FloatVector) DoubleVector.fromArray(D, sum, i - base).mul(s).convertShape(VectorOperators.D2F, F, 0)).intoArray(out, i);
    }
    if (upper < to) {
      tail.scale(sum, base, scale, out, upper, to);
    }
  }

  private static DoubleVector wide(float[] values, int i) {
    return (DoubleVector) FloatVector.fromArray(F, values, i).convertShape(VectorOperators.F2D, D, 0);
  }
}
