package org.fedbeam.model.onnx;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.fedbeam.data.FeatureScaling;
import org.fedbeam.model.ModelSpec;
import org.fedbeam.model.Parameters;
import org.fedbeam.model.onnx.OnnxGraph.Node;
import org.fedbeam.model.onnx.OnnxGraph.Tensor;
import org.fedbeam.model.onnx.OnnxGraph.ValueInfo;

/**
 * Imports the weights of a dense network from an ONNX graph into FedBeam's {@link Parameters} layout
 * (per layer the weight matrix fan-in x fan-out row-major, then the bias).
 *
 * <p>What imports: one float input, then optionally {@code Identity}, {@code Flatten} (axis 1),
 * {@code Dropout} (inference: no training_mode input) and FedBeam's own preprocessing ({@code Sub}
 * of a constant mean, {@code Div} by a constant scale); then one or more layers, each a {@code Gemm}
 * (alpha 1, beta 1, transA 0, transB 0 or 1, as PyTorch exports {@code nn.Linear}) or a
 * {@code MatMul} optionally followed by an {@code Add} of a constant bias (as skl2onnx exports
 * {@code MLPClassifier}), with a {@code Relu} between layers; then an optional {@code Softmax}, or
 * none (logits). Weights are initializers or {@code Constant} nodes of type FLOAT. After the network's
 * output only label post-processing may follow ({@code ArgMax}, {@code ArrayFeatureExtractor},
 * {@code Cast}, {@code Reshape}, {@code ZipMap}, {@code Identity}, {@code Flatten}); it is ignored.
 * Anything else (Conv, LSTM, Sigmoid, Tanh, BatchNormalization, a residual Add, a Relu after the last
 * layer, a second input) is refused, naming the operator and the node.
 */
public final class OnnxImport {
  /** Operators that may only turn the network's output into labels or maps; they carry no weights. */
  static final Set<String> LABEL_OPS = Set.of("ArgMax", "ArrayFeatureExtractor", "Cast", "Reshape", "ZipMap",
      "Identity", "Flatten");
  private static final String SUPPORTED = "FedBeam imports dense networks: Gemm or MatMul+Add layers, Relu between"
      + " them, an optional final Softmax";

  /**
   * A dense network read from ONNX.
   *
   * @param parameters the weights in FedBeam's layout (their spec: widths input first, classes last)
   * @param softmax whether the graph ended in a Softmax (else it output logits; FedBeam adds its softmax)
   * @param preprocessing the graph's own Sub/Div standardisation, or null when it has none
   */
  public record Network(Parameters parameters, boolean softmax, FeatureScaling preprocessing) {}

  private enum State { START, LINEAR, MATMUL, RELU, SOFTMAX }

  private final OnnxGraph g;
  private final String source;
  private final Map<String, Tensor> constants = new HashMap<>();
  private final Map<String, List<Node>> consumers = new HashMap<>();
  private final Set<Node> used = new HashSet<>();
  private final List<Layer> layers = new ArrayList<>();
  private float[] mean;
  private float[] scale;
  private State state = State.START;

  private OnnxImport(OnnxGraph g, String source) {
    this.g = g;
    this.source = source;
    constants.putAll(g.initializers());
    for (Node n : g.nodes()) {
      if (n.opType().equals("Constant") && n.domain().isEmpty() && n.attributes().containsKey("value")
          && n.attributes().get("value").t() != null && n.outputs().size() == 1) {
        constants.put(n.outputs().get(0), n.attributes().get("value").t());
      }
      for (String in : n.inputs()) {
        consumers.computeIfAbsent(in, k -> new ArrayList<>()).add(n);
      }
    }
    // ONNX graphs are in static single assignment form: a name is a graph input, an initializer or the
    // output of one node, once. A name assigned twice can make a cycle, which the walk must never follow.
    Set<String> assigned = new HashSet<>(g.initializers().keySet());
    for (ValueInfo in : g.inputs()) {
      assigned.add(in.name());
    }
    for (Node n : g.nodes()) {
      for (String out : n.outputs()) {
        if (!out.isEmpty() && !assigned.add(out)) {
          throw error("tensor '" + out + "' is assigned twice (by node " + n.describe() + " and before it): an ONNX"
              + " graph assigns each name once, and a graph that does not may be a cycle");
        }
      }
    }
  }

  /** Parses and imports an ONNX file's bytes; {@code source} is named in every error. */
  public static Network read(byte[] bytes, String source) {
    return from(OnnxGraph.parse(bytes, source), source);
  }

  /** Imports a parsed graph. */
  public static Network from(OnnxGraph graph, String source) {
    return new OnnxImport(graph, source).run();
  }

  private Network run() {
    ValueInfo input = singleInput();
    String end = walk(input.name());
    checkRest(end);
    if (layers.isEmpty()) {
      throw error("no dense layer (Gemm or MatMul) follows the input '" + input.name() + "'");
    }
    int features = layers.get(0).in;
    long declared = OnnxShapes.features(input);
    if (declared > 0 && declared != features) {
      throw error("the input '" + input.name() + "' has " + declared + " features but the first layer reads " + features);
    }
    List<Integer> widths = new ArrayList<>();
    widths.add(features);
    for (Layer l : layers) {
      widths.add(l.out);
    }
    ModelSpec spec;
    try {
      spec = ModelSpec.of(features, widths.subList(1, widths.size() - 1), widths.get(widths.size() - 1));
    } catch (IllegalArgumentException e) {
      throw error("the network " + widths + " is not a FedBeam model: " + e.getMessage()
          + (widths.get(widths.size() - 1) == 1 ? " (a binary classifier with one logistic output is not supported)" : ""));
    }
    float[] values = new float[spec.parameterCount()];
    for (int l = 0; l < layers.size(); l++) {
      System.arraycopy(layers.get(l).weights, 0, values, spec.weightOffset(l), layers.get(l).weights.length);
      System.arraycopy(layers.get(l).bias, 0, values, spec.biasOffset(l), layers.get(l).bias.length);
    }
    FeatureScaling pre = null;
    if (mean != null || scale != null) {
      float[] m = mean != null ? mean : new float[features];
      float[] s = scale != null ? scale : filled(features, 1f);
      if (m.length != features || s.length != features) {
        throw error("the preprocessing has " + m.length + " means and " + s.length + " scales for " + features + " features");
      }
      pre = new FeatureScaling(m, s);
    }
    return new Network(Parameters.copyOf(spec, values), state == State.SOFTMAX, pre);
  }

  private ValueInfo singleInput() {
    List<ValueInfo> inputs = g.inputs().stream().filter(v -> !g.initializers().containsKey(v.name())).toList();
    if (inputs.size() != 1) {
      throw error("the graph has " + inputs.size() + " inputs " + inputs.stream().map(ValueInfo::name).toList()
          + "; FedBeam imports a graph with exactly one input (the features)");
    }
    ValueInfo input = inputs.get(0);
    if (input.elemType() != 0 && input.elemType() != OnnxGraph.FLOAT) {
      throw error("the input '" + input.name() + "' has element type " + OnnxShapes.typeName(input.elemType())
          + "; FedBeam imports a FLOAT input");
    }
    return input;
  }

  /** Follows the chain from the input; returns the tensor the network's output is. */
  private String walk(String cur) {
    while (true) {
      List<Node> next = consumers.getOrDefault(cur, List.of());
      if (next.size() != 1) {
        return cur;
      }
      Node n = next.get(0);
      if (LABEL_OPS.contains(n.opType()) && state != State.START && !n.opType().equals("Identity")
          && !n.opType().equals("Flatten")) {
        return cur;
      }
      if (!n.domain().isEmpty()) {
        if (state != State.START && LABEL_OPS.contains(n.opType())) {
          return cur;
        }
        throw error("operator " + n.domain() + "." + n.describe() + " cannot be trained by FedBeam. " + SUPPORTED);
      }
      if (used.contains(n)) {
        throw error("the graph has a cycle through node " + n.describe());
      }
      String out = step(n, cur);
      if (out == null) {
        return cur;
      }
      used.add(n);
      cur = out;
    }
  }

  /** Applies node {@code n} to the chain at {@code cur}; returns the next tensor, or null when the chain ends here. */
  private String step(Node n, String cur) {
    switch (n.opType()) {
      case "Identity", "Flatten", "Dropout" -> {
        OnnxShapes.checkPassThrough(n, this::error);
        return n.outputs().get(0);
      }
      case "Sub", "Div" -> {
        if (state != State.START || layers.size() > 0) {
          throw error(n.describe() + " inside the network: only a Sub and a Div of constants before the first layer"
              + " (a standardisation) are supported");
        }
        float[] v = vector(n, constantOperand(n, cur, 1), "its " + (n.opType().equals("Sub") ? "mean" : "scale"));
        if (n.opType().equals("Sub")) {
          if (mean != null || scale != null) {
            throw error(n.describe() + ": a second or late Sub in the preprocessing");
          }
          mean = v;
        } else {
          if (scale != null) {
            throw error(n.describe() + ": a second Div in the preprocessing");
          }
          scale = v;
        }
        return n.outputs().get(0);
      }
      case "Gemm", "MatMul" -> {
        if (state == State.LINEAR || state == State.MATMUL) {
          throw error(n.describe() + " follows a linear layer without a Relu between them; FedBeam's hidden layers"
              + " are ReLU");
        }
        if (state == State.SOFTMAX) {
          throw error(n.describe() + " after the Softmax: " + SUPPORTED);
        }
        Layer layer = Layer.of(n, cur, this);
        Layer.checkChain(layers.isEmpty() ? null : layers.get(layers.size() - 1), layer, n, this);
        layers.add(layer);
        state = n.opType().equals("Gemm") ? State.LINEAR : State.MATMUL;
        return n.outputs().get(0);
      }
      case "Add" -> {
        if (state != State.MATMUL) {
          throw error(n.describe() + " is not the bias of a MatMul: " + SUPPORTED + " (a residual Add is not)");
        }
        Layer last = layers.get(layers.size() - 1);
        Tensor b = constantOperand(n, cur, -1);
        last.setBias(vector(n, b, "its bias"), n, this);
        state = State.LINEAR;
        return n.outputs().get(0);
      }
      case "Relu" -> {
        if (state != State.LINEAR && state != State.MATMUL) {
          throw error(n.describe() + " does not follow a dense layer: " + SUPPORTED);
        }
        state = State.RELU;
        return n.outputs().get(0);
      }
      case "Softmax" -> {
        if (state != State.LINEAR && state != State.MATMUL) {
          throw error(n.describe() + " does not follow a dense layer: " + SUPPORTED);
        }
        OnnxShapes.checkSoftmaxAxis(n, this::error);
        state = State.SOFTMAX;
        return n.outputs().get(0);
      }
      default -> throw error("operator " + n.describe() + " cannot be trained by FedBeam. " + SUPPORTED);
    }
  }

  /** Every node not on the chain must be label post-processing downstream of {@code end}, or a Constant. */
  private void checkRest(String end) {
    if (state == State.RELU) {
      throw error("the network ends in a Relu: FedBeam's output layer is a softmax over the last layer's logits");
    }
    Set<Node> downstream = new HashSet<>();
    Deque<String> todo = new ArrayDeque<>(List.of(end));
    while (!todo.isEmpty()) {
      for (Node n : consumers.getOrDefault(todo.pop(), List.of())) {
        if (downstream.add(n)) {
          todo.addAll(n.outputs());
        }
      }
    }
    for (Node n : g.nodes()) {
      if (used.contains(n) || n.opType().equals("Constant")) {
        continue;
      }
      boolean labelOp = LABEL_OPS.contains(n.opType()) && (n.domain().isEmpty() || n.domain().equals("ai.onnx.ml"));
      if (!labelOp && !OnnxShapes.CHAIN_OPS.contains(n.opType())) {
        throw error("operator " + n.describe() + " cannot be trained by FedBeam. " + SUPPORTED);
      }
      if (!labelOp || !downstream.contains(n)) {
        throw error(n.describe() + " is not on the network's single chain from the input (a branch or a second"
            + " consumer of a tensor): " + SUPPORTED + "; after the output only label post-processing " + LABEL_OPS);
      }
    }
  }

  /** The constant operand of a binary node whose other operand is {@code cur}; {@code at} its required index or -1. */
  Tensor constantOperand(Node n, String cur, int at) {
    if (n.inputs().size() != 2) {
      throw error(n.describe() + " has " + n.inputs().size() + " inputs, expected 2");
    }
    int other = n.inputs().get(0).equals(cur) ? 1 : 0;
    if (!n.inputs().get(1 - other).equals(cur) || (at >= 0 && other != at)) {
      throw error(n.describe() + " does not take the network's tensor '" + cur + "' where expected");
    }
    return constant(n, n.inputs().get(other), "its operand");
  }

  /** A FLOAT constant (initializer or Constant node) named {@code name}, input of {@code n}. */
  Tensor constant(Node n, String name, String role) {
    Tensor t = constants.get(name);
    if (t == null) {
      throw error(n.describe() + ": " + role + " '" + name + "' is computed, not a constant weight: " + SUPPORTED);
    }
    if (t.dataType() != OnnxGraph.FLOAT) {
      throw error("weight tensor '" + name + "' of " + n.describe() + " has data type "
          + OnnxShapes.typeName(t.dataType()) + "; FedBeam imports FLOAT (float32) weights only");
    }
    return t;
  }

  private float[] vector(Node n, Tensor t, String role) {
    long[] d = t.dims();
    if (d.length == 1 || (d.length == 2 && d[0] == 1)) {
      return t.floats();
    }
    throw error(n.describe() + ": " + role + " '" + t.name() + "' has shape " + java.util.Arrays.toString(d)
        + ", expected a vector [n] or [1, n]");
  }

  private static float[] filled(int n, float v) {
    float[] a = new float[n];
    java.util.Arrays.fill(a, v);
    return a;
  }

  OnnxFormatException error(String what) {
    return new OnnxFormatException("ONNX file " + source + ": " + what);
  }
}
