package org.fedbeam.pipelines.cli;

import java.io.PrintStream;
import java.util.List;
import java.util.Map;
import org.fedbeam.model.bundle.BundleFormat;
import org.fedbeam.model.bundle.ModelBundle;
import org.fedbeam.model.onnx.OnnxExport;
import org.fedbeam.transforms.Artifacts;

/**
 * {@code fedbeam export --onnx --model BUNDLE --output FILE.onnx}: writes a model bundle as ONNX, its
 * preprocessing included (see {@link OnnxExport} for the graph). The output is written atomically and
 * only once the whole export succeeded: a failure leaves an existing output file as it was.
 */
final class ExportCommand {
  static final String USAGE = "usage: fedbeam export --onnx --model BUNDLE.fbmb --output FILE.onnx   the bundle as an"
      + " ONNX model (standardisation, dense layers, softmax; outputs probabilities and label)";
  static final List<Option> OPTIONS = List.of(
      Option.flag("onnx", "Export as ONNX (the only format so far; required)"),
      Option.required("model", "BUNDLE", "The model bundle (.fbmb) to export"),
      Option.required("output", "FILE", "The ONNX file to write (replaced atomically; untouched on failure)"));

  private ExportCommand() {}

  static int run(List<String> args, PrintStream out) {
    Map<String, String> flags = Flags.values("export", args, OPTIONS);
    if (!"true".equals(flags.get("onnx"))) {
      throw new IllegalArgumentException("export needs --onnx (the only format fedbeam exports)");
    }
    String model = flags.get("model");
    String output = flags.get("output");
    byte[] bytes = Artifacts.read(model, "model bundle");
    if (!BundleFormat.looksLikeBundle(bytes)) {
      throw new IllegalArgumentException(model + " is not a model bundle (.fbmb); export reads a bundle, which carries"
          + " the feature names, the scaling and the class labels the ONNX model needs");
    }
    ModelBundle bundle = BundleFormat.decode(bytes, model);
    byte[] onnx = OnnxExport.encode(bundle);
    Artifacts.writeAtomically(output, onnx);
    out.printf("exported %s (%s, %d features, %d classes) to %s: %d bytes, sha256 %s%n", model,
        bundle.model().spec().describe(), bundle.featureNames().size(), bundle.classLabels().size(), output,
        onnx.length, Artifacts.sha256Hex(onnx));
    return 0;
  }
}
