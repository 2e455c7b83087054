package org.fedbeam.model.onnx;

import java.util.Arrays;
import org.fedbeam.model.onnx.OnnxGraph.Attribute;
import org.fedbeam.model.onnx.OnnxGraph.Node;
import org.fedbeam.model.onnx.OnnxGraph.Tensor;

/** One dense layer read from a Gemm or a MatMul, its weights already in FedBeam's fan-in x fan-out row-major layout. */
final class Layer {
  final int in;
  final int out;
  final float[] weights;
  float[] bias;

  private Layer(int in, int out, float[] weights, float[] bias) {
    this.in = in;
    this.out = out;
    this.weights = weights;
    this.bias = bias;
  }

  /** The layer of Gemm or MatMul node {@code n}, which reads the chain's tensor {@code cur} as its first input. */
  static Layer of(Node n, String cur, OnnxImport imp) {
    boolean gemm = n.opType().equals("Gemm");
    if (n.inputs().size() < 2 || !n.inputs().get(0).equals(cur) || (!gemm && n.inputs().size() != 2)
        || n.inputs().size() > 3) {
      throw imp.error(n.describe() + " must take the network's tensor '" + cur + "' as its first input and a constant"
          + " weight as its second" + (gemm ? " (and an optional constant bias)" : "") + ", has inputs " + n.inputs());
    }
    int transB = 0;
    if (gemm) {
      requireInt(n, "transA", 0, 0, imp);
      transB = (int) requireInt(n, "transB", 0, 1, imp);
      requireOne(n, "alpha", imp);
      requireOne(n, "beta", imp);
    }
    Tensor w = imp.constant(n, n.inputs().get(1), "its weight");
    if (w.dims().length != 2) {
      throw imp.error(n.describe() + ": weight '" + w.name() + "' has shape " + Arrays.toString(w.dims())
          + ", expected a matrix");
    }
    int rows = (int) w.dims()[0];
    int cols = (int) w.dims()[1];
    int in = transB == 1 ? cols : rows;
    int out = transB == 1 ? rows : cols;
    float[] weights;
    if (transB == 1) { // PyTorch's nn.Linear: [out, in]; FedBeam: [in, out]
      weights = new float[in * out];
      float[] src = w.floats();
      for (int o = 0; o < out; o++) {
        for (int i = 0; i < in; i++) {
          weights[i * out + o] = src[o * in + i];
        }
      }
    } else {
      weights = w.floats().clone();
    }
    Layer layer = new Layer(in, out, weights, new float[out]);
    if (gemm && n.inputs().size() == 3 && !n.inputs().get(2).isEmpty()) {
      Tensor c = imp.constant(n, n.inputs().get(2), "its bias");
      long[] d = c.dims();
      if (!(d.length == 1 || (d.length == 2 && d[0] == 1))) {
        throw imp.error(n.describe() + ": bias '" + c.name() + "' has shape " + Arrays.toString(d)
            + ", expected [" + out + "] or [1, " + out + "]");
      }
      layer.setBias(c.floats(), n, imp);
    }
    return layer;
  }

  void setBias(float[] values, Node n, OnnxImport imp) {
    if (values.length != out) {
      throw imp.error(n.describe() + ": the bias has " + values.length + " values, the layer has " + out + " outputs");
    }
    bias = values.clone();
  }

  /** Checks a follow-on layer's fan-in against this layer's fan-out. */
  static void checkChain(Layer previous, Layer next, Node n, OnnxImport imp) {
    if (previous != null && previous.out != next.in) {
      throw imp.error(n.describe() + " reads " + next.in + " values but the layer before it outputs " + previous.out);
    }
  }

  private static long requireInt(Node n, String name, long min, long max, OnnxImport imp) {
    Attribute a = n.attributes().get(name);
    long v = a == null ? 0 : a.i();
    if (v < min || v > max) {
      throw imp.error(n.describe() + ": attribute " + name + " = " + v + " is not supported (expected "
          + (min == max ? String.valueOf(min) : min + " or " + max) + ")");
    }
    return v;
  }

  private static void requireOne(Node n, String name, OnnxImport imp) {
    Attribute a = n.attributes().get(name);
    if (a != null && a.f() != 1f) {
      throw imp.error(n.describe() + ": attribute " + name + " = " + a.f() + " is not supported (expected 1.0)");
    }
  }
}
