package org.fedbeam.pipelines.cli;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.allOf;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.is;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.fedbeam.data.FeatureScaling;
import org.fedbeam.model.ModelFormat;
import org.fedbeam.model.ModelSpec;
import org.fedbeam.model.Parameters;
import org.fedbeam.model.bundle.BundleFormat;
import org.fedbeam.model.bundle.ModelBundle;
import org.fedbeam.model.onnx.OnnxExport;
import org.fedbeam.pipelines.loop.RoundLoop;
import org.fedbeam.transforms.Artifacts;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code fedbeam train --initial-model FILE} end to end on the DirectRunner: an ONNX file, a FedBeam
 * model and a bundle each become round 0 bit for bit, with the file and its SHA-256 in the provenance;
 * a file whose shape does not fit the data or --hidden, or with an operator FedBeam cannot train, is
 * refused before any round, naming the file and both shapes or the operator.
 */
class InitialModelTrainTest {
  /** The ONNX files the model module's generator made (PyTorch and skl2onnx layouts). */
  private static final Path ONNX_RESOURCES = Path.of("../model/src/test/resources/onnx");
  private static final ModelSpec SPEC = ModelSpec.of(3, List.of(8), 3);

  @TempDir
  Path dir;

  private record Run(int code, String out, String err) {}

  private Run train(Path initial, String hidden, String output) throws Exception {
    List<String> args = new ArrayList<>(List.of("train", "--output", dir.resolve(output).toString(), "--dataset",
        writeCsv(dir.resolve("blobs.csv")).toString(), "--label-column", "kind", "--silos", "3", "--rounds", "1",
        "--hidden", hidden, "--batch-size", "8", "--baselines", "false", "--runner", "DirectRunner"));
    args.addAll(List.of("--initial-model", initial.toString()));
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int code = FedBeam.run(args.toArray(String[]::new), new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8));
    return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }

  private static Parameters pretrained() {
    return SPEC.learner().initialize(77);
  }

  @Test
  void anOnnxFileBecomesRoundZeroWithItsShaInTheProvenance() throws Exception {
    ModelBundle bundle = new ModelBundle(pretrained(), List.of("x1", "x2", "x3"),
        new FeatureScaling(new float[3], new float[] {1, 1, 1}), List.of("blue", "green", "red"), "[]");
    byte[] onnx = OnnxExport.encode(bundle);
    Path file = Files.write(dir.resolve("pretrained.onnx"), onnx);

    Run run = train(file, "8", "out");

    assertThat(run.err(), run.code(), equalTo(0));
    String round0 = RoundLoop.modelUri(dir.resolve("out").toString(), 0);
    assertThat(ModelFormat.decode(Files.readAllBytes(Path.of(round0)), round0), equalTo(pretrained()));
    String provenance = Files.readString(Path.of(round0.replace(".fbm", ".json")));
    assertThat(provenance, allOf(containsString("pretrained: " + file), containsString("ONNX"),
        containsString(Artifacts.sha256Hex(onnx))));
    assertThat(run.out(), containsString("its own standardisation (Sub/Div before the first layer) is not imported"));
  }

  @Test
  void aFedBeamModelAndABundleAreTakenAsIs() throws Exception {
    Path fbm = Files.write(dir.resolve("pretrained.fbm"), ModelFormat.encode(pretrained()));
    Path fbmb = Files.write(dir.resolve("pretrained.fbmb"), BundleFormat.encode(new ModelBundle(pretrained(),
        List.of("x1", "x2", "x3"), new FeatureScaling(new float[3], new float[] {1, 1, 1}),
        List.of("blue", "green", "red"), "[{\"stage\":\"pretrained\",\"data\":\"classes 0-4\"}]")));

    for (Path file : List.of(fbm, fbmb)) {
      String output = "out-" + file.getFileName();
      Run run = train(file, "8", output);

      assertThat(run.err(), run.code(), equalTo(0));
      String round0 = RoundLoop.modelUri(dir.resolve(output).toString(), 0);
      assertThat(ModelFormat.decode(Files.readAllBytes(Path.of(round0)), round0), equalTo(pretrained()));
    }
    // a bundle's provenance chain goes on: pretrained, then this run's federated stage
    Path best = dir.resolve("out-pretrained.fbmb").resolve("model-best.fbmb");
    String chain = BundleFormat.decode(Files.readAllBytes(best), best.toString()).provenance();
    assertThat(chain, org.hamcrest.Matchers.matchesPattern(
        "\\[\\{\"stage\":\"pretrained\",\"data\":\"classes 0-4\"\\},\\{\"stage\":\"federated\".*"));
    assertThat(Files.readString(Path.of(RoundLoop.modelUri(dir.resolve("out-pretrained.fbmb").toString(), 0)
        .replaceAll("\\.fbm$", ".json"))), containsString("\"pretrained_chain\""));
  }

  @Test
  void aShapeThatDoesNotFitHiddenIsRefusedNamingBothShapes() throws Exception {
    Path fbm = Files.write(dir.resolve("pretrained.fbm"), ModelFormat.encode(pretrained()));

    Run run = train(fbm, "4", "out");

    assertThat(run.code(), equalTo(2));
    assertThat(run.err(), allOf(containsString("initial model " + fbm), containsString("is mlp 3-8-3"),
        containsString("the run's model mlp 3-4-3"), containsString("--hidden 4"),
        containsString("the file's hidden widths: 8")));
    assertThat(Files.exists(Path.of(RoundLoop.modelUri(dir.resolve("out").toString(), 0))), is(false));
  }

  @Test
  void aPytorchModelOfOtherDataIsRefusedNamingBothShapes() throws Exception {
    Path torch = ONNX_RESOURCES.resolve("torch_mlp.onnx").toAbsolutePath();

    Run run = train(torch, "16", "out");

    assertThat(run.code(), equalTo(2));
    assertThat(run.err(), allOf(containsString("torch_mlp.onnx (ONNX) is mlp 784-16-10"),
        containsString("the run's model mlp 3-16-3"), containsString("the data's 3 features")));
  }

  @Test
  void anUnsupportedOperatorIsRefusedNamingIt() throws Exception {
    Path sigmoid = ONNX_RESOURCES.resolve("bad_sigmoid.onnx").toAbsolutePath();

    Run run = train(sigmoid, "16", "out");

    assertThat(run.code(), equalTo(2));
    assertThat(run.err(), allOf(containsString("bad_sigmoid.onnx"), containsString("operator Sigmoid (node '/2/Sigmoid')")));
  }

  @Test
  void aMissingFileIsRefused() throws Exception {
    Run run = train(dir.resolve("nope.onnx"), "8", "out");

    assertThat(run.code(), equalTo(2));
    assertThat(run.err(), containsString("initial model " + dir.resolve("nope.onnx") + " does not exist"));
  }

  /** Three Gaussian blobs in 3 features and 3 classes. */
  private static Path writeCsv(Path file) throws Exception {
    SplittableRandom random = new SplittableRandom(5);
    String[] kinds = {"red", "green", "blue"};
    StringBuilder text = new StringBuilder("x1,kind,x2,x3\n");
    for (int i = 0; i < 90; i++) {
      int k = random.nextInt(3);
      text.append(String.format(java.util.Locale.ROOT, "%.4f,%s,%.4f,%.4f%n", random.nextGaussian() + 3 * (k == 0 ? 1 : 0),
          kinds[k], random.nextGaussian() + 3 * (k == 1 ? 1 : 0), random.nextGaussian() + 3 * (k == 2 ? 1 : 0)));
    }
    Files.writeString(file, text);
    return file;
  }
}
