package org.fedbeam.model.onnx;

import java.util.Set;
import java.util.function.Function;
import org.fedbeam.model.onnx.OnnxGraph.Attribute;
import org.fedbeam.model.onnx.OnnxGraph.Node;
import org.fedbeam.model.onnx.OnnxGraph.ValueInfo;

/** Small checks of the import: attributes of pass-through nodes and Softmax, type names, the input's feature count. */
final class OnnxShapes {
  /** The operators the import's chain knows. */
  static final Set<String> CHAIN_OPS = Set.of("Identity", "Flatten", "Dropout", "Sub", "Div", "Gemm", "MatMul", "Add",
      "Relu", "Softmax");

  private OnnxShapes() {}

  /** The input's feature count: the product of its dims after the batch dim, or -1 when a dim is unknown. */
  static long features(ValueInfo input) {
    long[] d = input.dims();
    if (d == null || d.length < 2) {
      return d != null && d.length == 1 && d[0] > 0 ? d[0] : -1;
    }
    long n = 1;
    for (int i = 1; i < d.length; i++) {
      if (d[i] < 0) {
        return -1;
      }
      n = Math.multiplyHigh(n, d[i]) != 0 ? Long.MAX_VALUE : n * d[i];
    }
    return n;
  }

  static void checkPassThrough(Node n, Function<String, OnnxFormatException> error) {
    if (n.opType().equals("Flatten")) {
      Attribute axis = n.attributes().get("axis");
      if (axis != null && axis.i() != 1) {
        throw error.apply(n.describe() + ": axis " + axis.i() + " is not supported (expected 1: keep the batch dim)");
      }
    }
    if (n.opType().equals("Dropout") && n.inputs().size() >= 3 && !n.inputs().get(2).isEmpty()) {
      throw error.apply(n.describe() + " has a training_mode input: Dropout in training mode is not supported");
    }
    if (n.inputs().isEmpty() || n.outputs().isEmpty()) {
      throw error.apply(n.describe() + " has no input or no output");
    }
  }

  static void checkSoftmaxAxis(Node n, Function<String, OnnxFormatException> error) {
    Attribute axis = n.attributes().get("axis");
    if (axis != null && axis.i() != 1 && axis.i() != -1) {
      throw error.apply(n.describe() + ": axis " + axis.i() + " is not supported (expected 1 or -1: over the classes)");
    }
  }

  static String typeName(int type) {
    String name = switch (type) {
      case 1 -> "FLOAT";
      case 2 -> "UINT8";
      case 3 -> "INT8";
      case 5 -> "INT16";
      case 6 -> "INT32";
      case 7 -> "INT64";
      case 8 -> "STRING";
      case 9 -> "BOOL";
      case 10 -> "FLOAT16";
      case 11 -> "DOUBLE";
      case 16 -> "BFLOAT16";
      default -> "type";
    };
    return name + " (" + type + ")";
  }
}
