package org.fedbeam.model.onnx;

import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import org.fedbeam.model.ModelKind;
import org.fedbeam.model.ModelSpec;
import org.fedbeam.model.bundle.ModelBundle;

/**
 * Writes a {@link ModelBundle} as an ONNX model (IR version 7, opset 13) that any ONNX runtime can run:
 *
 * <pre>
 *   features float[N, F]
 *     -> Sub(scaling.mean) -> Div(scaling.scale)                  the bundle's preprocessing
 *     -> Gemm(layerK.weight [in, out], layerK.bias [out]) -> Relu  per hidden layer
 *     -> Gemm(output layer) -> logits -> Softmax(axis 1)
 *   outputs: probabilities float[N, C]; label int64[N] (ArgMax of the probabilities: the class index)
 * </pre>
 *
 * The weights keep FedBeam's fan-in x fan-out layout (Gemm transB 0), so an export imports back to
 * identical parameters. The metadata_props carry {@code fedbeam.feature_names} and
 * {@code fedbeam.class_labels} (JSON arrays, in input and output order), {@code fedbeam.model} (the
 * spec) and {@code fedbeam.provenance}. A model kind this exporter cannot express is refused.
 *
 * <p>A bundle with a table {@link org.fedbeam.preprocess.Preprocessing}: its numeric columns' center
 * and scale become the Sub/Div constants (as float32); its imputation is not expressed, so the ONNX
 * model's inputs must have no missing value (NaN stays NaN). A bundle whose preprocessing one-hot
 * encodes categorical columns is refused: this exporter does not express categorical encoding (use
 * {@code fedbeam predict}).
 */
public final class OnnxExport {
  /** The model kinds ONNX can express here: dense networks with ReLU hidden layers and a softmax output. */
  public static final Set<ModelKind> EXPRESSIBLE = EnumSet.of(ModelKind.LOGREG, ModelKind.MLP);
  public static final int IR_VERSION = 7;
  public static final int OPSET = 13;
  private static final int INT = 2;

  private OnnxExport() {}

  /** The Sub/Div constants: the bundle's scaling, or its numeric preprocessing's center and scale. */
  static org.fedbeam.data.FeatureScaling scaling(ModelBundle bundle) {
    org.fedbeam.preprocess.Preprocessing pre = bundle.preprocessing();
    if (pre == null) {
      return bundle.scaling();
    }
    List<String> categorical = pre.columns().stream()
        .filter(c -> c instanceof org.fedbeam.preprocess.CategoricalSpec).map(c -> c.name()).toList();
    if (!categorical.isEmpty()) {
      throw new IllegalArgumentException("the bundle one-hot encodes categorical columns " + categorical
          + "; the ONNX export does not express categorical preprocessing: apply the bundle with fedbeam predict,"
          + " or train with these columns left out (--drop-columns)");
    }
    float[] mean = new float[pre.inputs()];
    float[] scale = new float[pre.inputs()];
    for (int i = 0; i < mean.length; i++) {
      org.fedbeam.preprocess.NumericSpec n = (org.fedbeam.preprocess.NumericSpec) pre.columns().get(i);
      mean[i] = (float) n.center();
      scale[i] = (float) n.scale();
    }
    return new org.fedbeam.data.FeatureScaling(mean, scale);
  }

  /** The bundle as the bytes of an ONNX file. */
  public static byte[] encode(ModelBundle bundle) {
    return encode(bundle, EXPRESSIBLE);
  }

  /** As {@link #encode(ModelBundle)}, expressing only the model kinds in {@code expressible}. */
  static byte[] encode(ModelBundle bundle, Set<ModelKind> expressible) {
    ModelSpec spec = bundle.model().spec();
    if (!expressible.contains(spec.kind())) {
      throw new IllegalArgumentException("model kind " + spec.kind().id() + " (" + spec + ") cannot be expressed in"
          + " ONNX by this exporter; it exports " + expressible.stream().map(ModelKind::id).toList());
    }
    org.fedbeam.data.FeatureScaling scaling = scaling(bundle);
    float[] values = bundle.model().toArray();
    ProtoWriter graph = new ProtoWriter();
    graph.message(1, node("standardise_sub", "Sub", List.of("features", "scaling.mean"), "centred"));
    graph.message(1, node("standardise_div", "Div", List.of("centred", "scaling.scale"), "scaled"));
    graph.message(5, OnnxTensors.floatTensor("scaling.mean", new long[] {spec.inputs()}, scaling.mean()));
    graph.message(5, OnnxTensors.floatTensor("scaling.scale", new long[] {spec.inputs()}, scaling.scale()));
    String x = "scaled";
    for (int l = 0; l < spec.depth(); l++) {
      int in = spec.layers().get(l);
      int out = spec.layers().get(l + 1);
      boolean last = l == spec.depth() - 1;
      String w = "layer" + l + ".weight";
      String b = "layer" + l + ".bias";
      graph.message(5, OnnxTensors.floatTensor(w, new long[] {in, out},
          java.util.Arrays.copyOfRange(values, spec.weightOffset(l), spec.weightOffset(l) + in * out)));
      graph.message(5, OnnxTensors.floatTensor(b, new long[] {out},
          java.util.Arrays.copyOfRange(values, spec.biasOffset(l), spec.biasOffset(l) + out)));
      String y = last ? "logits" : "layer" + l + ".linear";
      graph.message(1, node("layer" + l, "Gemm", List.of(x, w, b), y));
      if (!last) {
        graph.message(1, node("layer" + l + ".relu", "Relu", List.of(y), "layer" + l + ".out"));
        x = "layer" + l + ".out";
      }
    }
    graph.message(1, node("softmax", "Softmax", List.of("logits"), "probabilities").message(5, intAttr("axis", 1)));
    graph.message(1, node("argmax", "ArgMax", List.of("probabilities"), "label")
        .message(5, intAttr("axis", 1)).message(5, intAttr("keepdims", 0)));
    graph.string(2, "fedbeam");
    graph.message(11, valueInfo("features", OnnxGraph.FLOAT, spec.inputs()));
    graph.message(12, valueInfo("probabilities", OnnxGraph.FLOAT, spec.classes()));
    graph.message(12, valueInfo("label", OnnxGraph.INT64, -1));
    ProtoWriter model = new ProtoWriter();
    model.varint(1, IR_VERSION);
    model.string(2, "FedBeam");
    model.string(3, org.fedbeam.model.SystemMetadata.class.getPackage().getImplementationVersion() == null ? "dev"
        : org.fedbeam.model.SystemMetadata.class.getPackage().getImplementationVersion());
    model.message(7, graph);
    model.message(8, new ProtoWriter().string(1, "").varint(2, OPSET));
    meta(model, "fedbeam.feature_names", jsonArray(bundle.featureNames()));
    meta(model, "fedbeam.class_labels", jsonArray(bundle.classLabels()));
    meta(model, "fedbeam.model", spec.describe());
    meta(model, "fedbeam.preprocessing", "(x - scaling.mean) / scaling.scale");
    meta(model, "fedbeam.provenance", bundle.provenance());
    return model.toByteArray();
  }

  private static ProtoWriter node(String name, String op, List<String> inputs, String output) {
    ProtoWriter n = new ProtoWriter();
    for (String in : inputs) {
      n.string(1, in);
    }
    return n.string(2, output).string(3, name).string(4, op);
  }

  private static ProtoWriter intAttr(String name, long value) {
    return new ProtoWriter().string(1, name).varint(3, value).varint(20, INT);
  }

  /** A tensor value info of shape [N, width] (N symbolic), or [N] when {@code width} is negative. */
  private static ProtoWriter valueInfo(String name, int elemType, int width) {
    ProtoWriter shape = new ProtoWriter().message(1, new ProtoWriter().string(2, "N"));
    if (width >= 0) {
      shape.message(1, new ProtoWriter().varint(1, width));
    }
    ProtoWriter tensor = new ProtoWriter().varint(1, elemType).message(2, shape);
    return new ProtoWriter().string(1, name).message(2, new ProtoWriter().message(1, tensor));
  }

  private static void meta(ProtoWriter model, String key, String value) {
    model.message(14, new ProtoWriter().string(1, key).string(2, value));
  }

  /** A JSON array of strings. */
  static String jsonArray(List<String> items) {
    StringBuilder s = new StringBuilder("[");
    for (int i = 0; i < items.size(); i++) {
      s.append(i == 0 ? "\"" : ",\"");
      for (char c : items.get(i).toCharArray()) {
        switch (c) {
          case '"' -> s.append("\\\"");
          case '\\' -> s.append("\\\\");
          default -> {
            if (c < 0x20) {
              s.append(String.format("\\u%04x", (int) c));
            } else {
              s.append(c);
            }
          }
        }
      }
      s.append('"');
    }
    return s.append(']').toString();
  }
}
