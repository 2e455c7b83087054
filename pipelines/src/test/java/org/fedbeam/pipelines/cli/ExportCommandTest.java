package org.fedbeam.pipelines.cli;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.allOf;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.fedbeam.data.FeatureScaling;
import org.fedbeam.model.ModelFormat;
import org.fedbeam.model.ModelSpec;
import org.fedbeam.model.bundle.BundleFormat;
import org.fedbeam.model.bundle.ModelBundle;
import org.fedbeam.model.onnx.OnnxImport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code fedbeam export --onnx}: the bundle's ONNX file, and the refusals that leave an existing output untouched. */
class ExportCommandTest {
  private static final byte[] OLD = "an older export".getBytes(StandardCharsets.UTF_8);
  private static final ModelBundle BUNDLE = new ModelBundle(ModelSpec.of(4, List.of(5), 3).learner().initialize(3),
      List.of("a", "b", "c", "d"), new FeatureScaling(new float[] {1, 2, 3, 4}, new float[] {2, 2, 2, 2}),
      List.of("x", "y", "z"), "[]");

  @TempDir
  Path dir;

  private record Run(int code, String out, String err) {}

  private static Run fedbeam(String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int code = FedBeam.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8));
    return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }

  @Test
  void exportWritesTheBundleAsOnnxThatImportsBackIdentically() throws Exception {
    Path bundle = Files.write(dir.resolve("model.fbmb"), BundleFormat.encode(BUNDLE));
    Path onnx = Files.write(dir.resolve("model.onnx"), OLD);

    Run run = fedbeam("export", "--onnx", "--model", bundle.toString(), "--output", onnx.toString());

    assertThat(run.err(), run.code(), equalTo(0));
    assertThat(run.out(), containsString("exported " + bundle + " (mlp 4-5-3, 4 features, 3 classes) to " + onnx));
    OnnxImport.Network back = OnnxImport.read(Files.readAllBytes(onnx), onnx.toString());
    assertThat(back.parameters(), equalTo(BUNDLE.model()));
    assertArrayEquals(BUNDLE.scaling().mean(), back.preprocessing().mean());
    try (var files = Files.list(dir)) {
      assertThat("no temporary file left", files.count(), equalTo(2L));
    }
  }

  @Test
  void aBareModelIsRefusedAndTheOutputIsUntouched() throws Exception {
    Path fbm = Files.write(dir.resolve("model.fbm"), ModelFormat.encode(BUNDLE.model()));
    Path onnx = Files.write(dir.resolve("model.onnx"), OLD);

    Run run = fedbeam("export", "--onnx", "--model", fbm.toString(), "--output", onnx.toString());

    assertThat(run.code(), equalTo(2));
    assertThat(run.err(), allOf(containsString(fbm + " is not a model bundle"), containsString("class labels")));
    assertArrayEquals(OLD, Files.readAllBytes(onnx));
  }

  @Test
  void aCorruptedBundleIsRefusedAndTheOutputIsUntouched() throws Exception {
    byte[] bytes = BundleFormat.encode(BUNDLE);
    bytes[bytes.length / 2] ^= 1;
    Path bundle = Files.write(dir.resolve("model.fbmb"), bytes);
    Path onnx = Files.write(dir.resolve("model.onnx"), OLD);

    Run run = fedbeam("export", "--onnx", "--model", bundle.toString(), "--output", onnx.toString());

    assertThat(run.code(), equalTo(2));
    assertThat(run.err(), allOf(containsString(bundle.toString()), containsString("checksum mismatch")));
    assertArrayEquals(OLD, Files.readAllBytes(onnx));
  }

  @Test
  void withoutOnnxOrWithoutModelTheCommandIsRefused() throws Exception {
    Path bundle = Files.write(dir.resolve("model.fbmb"), BundleFormat.encode(BUNDLE));
    Path onnx = dir.resolve("model.onnx");

    assertThat(fedbeam("export", "--model", bundle.toString(), "--output", onnx.toString()).err(),
        containsString("export needs --onnx"));
    assertThat(fedbeam("export", "--onnx", "--output", onnx.toString()).err(), containsString("--model is required"));
    assertThat(Files.exists(onnx), equalTo(false));
  }
}
