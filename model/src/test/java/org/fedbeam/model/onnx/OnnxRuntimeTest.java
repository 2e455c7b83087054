package org.fedbeam.model.onnx;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.greaterThan;
import static org.hamcrest.Matchers.lessThanOrEqualTo;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import java.nio.FloatBuffer;
import java.util.List;
import java.util.Map;
import org.fedbeam.data.Dataset;
import org.fedbeam.data.FeatureScaling;
import org.fedbeam.data.IdxReader;
import org.fedbeam.model.DenseNetwork;
import org.fedbeam.model.ModelSpec;
import org.fedbeam.model.Parameters;
import org.fedbeam.model.TrainConfig;
import org.fedbeam.model.bundle.ModelBundle;
import org.junit.jupiter.api.Test;

/**
 * The export runs in a real ONNX Runtime (for Java, 1.20.0) and gives FedBeam's predictions: a small
 * MLP trained on real Fashion-MNIST rows with a standardisation fitted on them, exported with that
 * preprocessing; ORT is fed the raw pixels of the whole test set (10,000 rows), FedBeam the rows
 * standardised by the same scaling. Every probability agrees within 1e-5 and every row's class matches.
 */
class OnnxRuntimeTest {
  private static final List<String> CLASSES = List.of("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal",
      "Shirt", "Sneaker", "Bag", "Ankle boot");

  @Test
  void onnxRuntimeReproducesFedBeamsPredictionsOnTheFashionMnistTestSet() throws Exception {
    Dataset train = IdxReader.fashionMnistTrain(IdxReader.FASHION_MNIST_DIR).head("train-12k", 12_000);
    Dataset test = IdxReader.fashionMnistTest(IdxReader.FASHION_MNIST_DIR);
    FeatureScaling scaling = FeatureScaling.fit(train);
    ModelSpec spec = ModelSpec.of(784, List.of(32), 10);
    DenseNetwork network = new DenseNetwork(spec);
    Parameters model = network.train(network.initialize(3), scaling.apply(train), new TrainConfig(1, 64, 0.01, 0.9, 0), 3)
        .parameters();
    ModelBundle bundle = new ModelBundle(model, ModelBundle.numberedNames("pixel_", 784), scaling, CLASSES, "[]");
    float[] fedbeam = network.predictProbabilities(model, scaling.apply(test));

    float[] raw = new float[test.size() * 784];
    for (int r = 0; r < test.size(); r++) {
      test.copyRow(r, raw, r * 784);
    }
    float[][] ort;
    long[] ortLabels;
    Map<String, String> metadata;
    OrtEnvironment env = OrtEnvironment.getEnvironment();
    try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
      options.setIntraOpNumThreads(1);
      try (OrtSession session = env.createSession(OnnxExport.encode(bundle), options);
          OnnxTensor input = OnnxTensor.createTensor(env, FloatBuffer.wrap(raw), new long[] {test.size(), 784});
          OrtSession.Result result = session.run(Map.of("features", input))) {
        ort = (float[][]) result.get("probabilities").orElseThrow().getValue();
        ortLabels = (long[]) result.get("label").orElseThrow().getValue();
        metadata = session.getMetadata().getCustomMetadata();
      }
    }

    double maxDiff = 0;
    int correct = 0;
    for (int r = 0; r < test.size(); r++) {
      int best = 0;
      for (int c = 0; c < 10; c++) {
        maxDiff = Math.max(maxDiff, Math.abs(ort[r][c] - fedbeam[r * 10 + c]));
        if (fedbeam[r * 10 + c] > fedbeam[r * 10 + best]) {
          best = c;
        }
      }
      assertThat("row " + r + "'s class", ortLabels[r], equalTo((long) best));
      correct += best == test.label(r) ? 1 : 0;
    }
    System.out.printf("ONNX Runtime vs FedBeam on %d test rows: max |p difference| %.3g, accuracy %.4f%n",
        test.size(), maxDiff, correct / (double) test.size());
    assertThat(maxDiff, lessThanOrEqualTo(1e-5));
    assertThat("a model that learnt something", correct / (double) test.size(), greaterThan(0.7));
    assertThat(metadata.get("fedbeam.class_labels"), equalTo(OnnxExport.jsonArray(CLASSES)));
    assertThat(metadata.get("fedbeam.feature_names").startsWith("[\"pixel_0\",\"pixel_1\""), equalTo(true));
  }
}
