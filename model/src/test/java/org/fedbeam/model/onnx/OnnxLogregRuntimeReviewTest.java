package org.fedbeam.model.onnx;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.lessThanOrEqualTo;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import java.nio.FloatBuffer;
import java.util.List;
import java.util.Map;
import org.fedbeam.data.Dataset;
import org.fedbeam.data.FeatureScaling;
import org.fedbeam.model.ModelSpec;
import org.fedbeam.model.Parameters;
import org.fedbeam.model.bundle.ModelBundle;
import org.junit.jupiter.api.Test;

/**
 * Review of issue 12: the export of a logreg bundle (no hidden layer) with labels holding quotes,
 * commas, a newline and non-ASCII text runs in ONNX Runtime, gives FedBeam's probabilities, and its
 * metadata's labels read back as JSON.
 */
class OnnxLogregRuntimeReviewTest {
  @Test
  void aLogregBundleWithAwkwardLabelsRunsInOnnxRuntime() throws Exception {
    ModelSpec spec = ModelSpec.of(3, List.of(), 3);
    Parameters model = spec.learner().initialize(11);
    List<String> labels = List.of("a \"quoted\", label", "line\nbreak", "\u00dcn\u00efc\u00f6d\u00e9 \\ back");
    FeatureScaling scaling = new FeatureScaling(new float[] {1f, -2f, 0.5f}, new float[] {2f, 0.25f, 3f});
    ModelBundle bundle = new ModelBundle(model, List.of("x,1", "x\"2", "x3"), scaling, labels, "[]");
    float[] raw = {1f, 2f, 3f, -4f, 0.5f, 9f, 0f, 0f, 0f, 100f, -100f, 7f};
    int rows = 4;
    float[] scaled = new float[raw.length];
    for (int i = 0; i < raw.length; i++) {
      scaled[i] = (raw[i] - scaling.mean()[i % 3]) / scaling.scale()[i % 3];
    }
    float[] fedbeam = spec.learner().predictProbabilities(model, new Dataset("rows", scaled, new int[rows], 3, 3));
    OrtEnvironment env = OrtEnvironment.getEnvironment();
    try (OrtSession session = env.createSession(OnnxExport.encode(bundle), new OrtSession.SessionOptions());
        OnnxTensor input = OnnxTensor.createTensor(env, FloatBuffer.wrap(raw), new long[] {rows, 3});
        OrtSession.Result result = session.run(Map.of("features", input))) {
      float[][] ort = (float[][]) result.get("probabilities").orElseThrow().getValue();
      for (int r = 0; r < rows; r++) {
        for (int c = 0; c < 3; c++) {
          assertThat(Math.abs(ort[r][c] - fedbeam[r * 3 + c]), lessThanOrEqualTo(1e-5f));
        }
      }
      String json = session.getMetadata().getCustomMetadata().get("fedbeam.class_labels");
      assertThat(json, equalTo("[\"a \\\"quoted\\\", label\",\"line\\u000abreak\",\"\u00dcn\u00efc\u00f6d\u00e9 \\\\ back\"]"));
    }
  }
}
