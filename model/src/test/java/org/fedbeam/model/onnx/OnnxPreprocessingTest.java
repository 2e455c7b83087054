package org.fedbeam.model.onnx;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.closeTo;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import java.nio.FloatBuffer;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.fedbeam.data.Dataset;
import org.fedbeam.data.table.CategoricalColumn;
import org.fedbeam.data.table.NumericColumn;
import org.fedbeam.data.table.Table;
import org.fedbeam.model.ModelSpec;
import org.fedbeam.model.Parameters;
import org.fedbeam.model.bundle.ModelBundle;
import org.fedbeam.preprocess.CategoricalSpec;
import org.fedbeam.preprocess.NumericSpec;
import org.fedbeam.preprocess.Preprocessing;
import org.junit.jupiter.api.Test;

/** Bundles with a table preprocessing, exported: numeric columns run in ONNX Runtime 1.20; categoricals are refused. */
class OnnxPreprocessingTest {
  @Test
  void aNumericPreprocessingBundleRunsInOnnxRuntimeLikeFedBeam() throws Exception {
    SplittableRandom random = new SplittableRandom(4);
    double[][] raw = new double[3][200];
    for (double[] column : raw) {
      for (int r = 0; r < column.length; r++) {
        column[r] = 50 + 30 * random.nextDouble();
      }
    }
    int[] labels = random.ints(200, 0, 2).toArray();
    Table table = new Table("t.csv", List.of(new NumericColumn("a", raw[0]), new NumericColumn("b", raw[1]),
        new NumericColumn("c", raw[2])), new CategoricalColumn("y", List.of("no", "yes"), labels));
    Preprocessing pre = Preprocessing.fit(Preprocessing.pooled(table), Preprocessing.Options.defaults());
    ModelSpec spec = ModelSpec.of(3, List.of(4), 2);
    Parameters model = spec.learner().initialize(8);
    ModelBundle bundle = ModelBundle.of(model, pre, "[]");
    Dataset fedbeamInputs = pre.apply(table);
    float[] fedbeam = spec.learner().predictProbabilities(model, fedbeamInputs);

    float[] ortInput = new float[200 * 3];
    for (int r = 0; r < 200; r++) {
      for (int c = 0; c < 3; c++) {
        ortInput[r * 3 + c] = (float) raw[c][r];
      }
    }
    OrtEnvironment env = OrtEnvironment.getEnvironment();
    float[][] ort;
    try (OrtSession session = env.createSession(OnnxExport.encode(bundle), new OrtSession.SessionOptions());
        OnnxTensor input = OnnxTensor.createTensor(env, FloatBuffer.wrap(ortInput), new long[] {200, 3});
        OrtSession.Result result = session.run(Map.of("features", input))) {
      ort = (float[][]) result.get("probabilities").orElseThrow().getValue();
    }

    for (int r = 0; r < 200; r++) {
      for (int k = 0; k < 2; k++) {
        assertThat("row " + r, (double) ort[r][k], closeTo(fedbeam[r * 2 + k], 1e-5));
      }
    }
  }

  @Test
  void aCategoricalPreprocessingBundleIsRefusedWithTheReason() {
    Preprocessing pre = new Preprocessing("y", List.of("no", "yes"), List.of(
        new NumericSpec("age", Preprocessing.Scaling.STANDARDIZE, 1, 1, 2),
        new CategoricalSpec("colour", List.of("red"), "red")));
    ModelBundle bundle = ModelBundle.of(ModelSpec.of(pre.inputs(), List.of(), 2).learner().initialize(1), pre, "[]");

    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> OnnxExport.encode(bundle));

    assertThat(e.getMessage(), containsString("categorical columns [colour]"));
    assertThat(e.getMessage(), containsString("fedbeam predict"));
    assertThat(pre.inputs(), equalTo(3));
  }
}
