package org.fedbeam.pipelines.predict;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.allOf;
import static org.hamcrest.Matchers.closeTo;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import org.fedbeam.data.CsvReader;
import org.fedbeam.data.DataFormatException;
import org.fedbeam.data.Dataset;
import org.fedbeam.data.table.Table;
import org.fedbeam.data.table.TableCsv;
import org.fedbeam.model.ModelFormat;
import org.fedbeam.model.bundle.BundleFormat;
import org.fedbeam.model.bundle.ModelBundle;
import org.fedbeam.pipelines.cli.FedBeam;
import org.fedbeam.pipelines.rounds.RoundRecords;
import org.fedbeam.preprocess.NumericSpec;
import org.fedbeam.preprocess.Preprocessing;
import org.fedbeam.transforms.Artifacts;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real {@code fedbeam train} on a CSV file (DirectRunner) leaves its bundles and summary keys;
 * {@code fedbeam predict} with the bundle gives exactly the learner's probabilities on the same
 * rows, and refuses bad input without touching an earlier output.
 */
class PredictTest {
  private static final int ROWS = 150;
  private static final String[] KINDS = {"red", "green", "blue"};

  @TempDir
  static Path dir;
  static Path csv;
  static Path out;
  static JsonNode summary;

  @BeforeAll
  static void train() throws Exception {
    csv = writeCsv(dir.resolve("blobs.csv"));
    out = dir.resolve("run");
    String stdout = cli("train", "--output", out.toString(), "--dataset", csv.toString(), "--label-column", "kind",
        "--silos", "3", "--alpha", "1", "--rounds", "4", "--hidden", "8", "--batch-size", "8", "--no-baselines",
        "--runner", "DirectRunner");
    assertThat(stdout, containsString("models: "));
    summary = RoundRecords.JSON.readTree(out.resolve("run-summary.json").toFile());
  }

  @Test
  void trainWritesBothBundlesAndReportsTheBestValidationRound() throws Exception {
    int best = summary.get("best_round").asInt();
    int last = summary.get("last_round").asInt();
    JsonNode rounds = summary.get("rounds");

    assertThat(last, equalTo(4));
    assertThat(summary.get("keep").asText(), equalTo("best"));
    assertThat(summary.get("final_model").asText(), equalTo(out.resolve("model-best.fbmb").toString()));
    assertThat(summary.get("best_model").asText(), equalTo(out.resolve("model-best.fbmb").toString()));
    assertThat(summary.get("last_model").asText(), equalTo(out.resolve("model-final.fbmb").toString()));
    double bestValidation = -1;
    for (JsonNode r : rounds) {
      bestValidation = Math.max(bestValidation, r.get("validation").get("accuracy").asDouble());
    }
    assertThat(summary.get("best_validation_accuracy").asDouble(), equalTo(bestValidation));
    assertThat(rounds.get(best - 1).get("validation").get("accuracy").asDouble(), equalTo(bestValidation));
    assertThat(summary.get("best_test_accuracy").asDouble(), equalTo(rounds.get(best - 1).get("test").get("accuracy").asDouble()));
    assertThat(summary.get("last_test_accuracy").asDouble(), equalTo(rounds.get(3).get("test").get("accuracy").asDouble()));
    assertThat(summary.get("fl_accuracy").asDouble(), equalTo(summary.get("best_test_accuracy").asDouble()));
    for (Object[] c : new Object[][] {{"model-best.fbmb", best}, {"model-final.fbmb", last}}) {
      ModelBundle bundle = Predict.read(out.resolve((String) c[0]));
      byte[] round = Files.readAllBytes(out.resolve(String.format(Locale.ROOT, "models/round-%04d.fbm", (Integer) c[1])));
      assertThat(bundle.model(), equalTo(ModelFormat.decode(round, "round")));
      assertThat(bundle.featureNames(), equalTo(List.of("x1", "x2", "x3")));
      assertThat(bundle.classLabels(), equalTo(List.of("blue", "green", "red")));
      JsonNode chain = RoundRecords.JSON.readTree(bundle.provenance());
      assertThat(chain.size(), equalTo(1));
      JsonNode stage = chain.get(0);
      assertThat(stage.get("stage").asText(), equalTo("federated"));
      assertThat(stage.get("round").asInt(), equalTo((Integer) c[1]));
      assertThat(stage.get("rounds").asInt(), equalTo(4));
      assertThat(stage.get("model_sha256").asText(), equalTo(Artifacts.sha256Hex(round)));
      assertThat(stage.get("strategy").get("name").asText(), equalTo("fedavg"));
    }
    assertThat(summary.get("final_model_sha256").asText(), equalTo(Artifacts.sha256Hex(Files.readAllBytes(
        out.resolve(String.format(Locale.ROOT, "models/round-%04d.fbm", best))))));
  }

  @Test
  void theBundlesPreprocessingIsTheStandardisationTheModelWasTrainedWith() throws Exception {
    ModelBundle bundle = Predict.read(out.resolve("model-best.fbmb"));

    // the silos' training shares are most of the file: the federated mean of x1 is near the whole file's,
    // its scale near the std; the bundle's own scaling is the identity (the preprocessing does it all)
    Dataset all = CsvReader.read(csv, new CsvReader.Options("kind", 0.01)).dataset();
    org.fedbeam.data.FeatureScaling whole = org.fedbeam.data.FeatureScaling.fit(all);
    Preprocessing pre = bundle.preprocessing();
    assertThat(pre.labelName(), equalTo("kind"));
    for (int f = 0; f < 3; f++) {
      NumericSpec spec = (NumericSpec) pre.columns().get(f);
      assertThat(spec.name(), equalTo("x" + (f + 1)));
      assertThat(spec.scaling(), equalTo(Preprocessing.Scaling.STANDARDIZE));
      assertThat(spec.center(), closeTo(whole.mean()[f], 0.25));
      assertThat(spec.scale(), closeTo(whole.scale()[f], 0.25));
      assertThat(bundle.scaling().mean()[f], equalTo(0f));
      assertThat(bundle.scaling().scale()[f], equalTo(1f));
    }
  }

  @Test
  void predictionsEqualTheLearnersProbabilitiesOnTheSameRows() throws Exception {
    ModelBundle bundle = Predict.read(out.resolve("model-best.fbmb"));
    // the input's columns in another order than the training file's, the label kept as an id column
    Path input = reorder(csv, dir.resolve("input.csv"));
    Path predictions = dir.resolve("predictions.csv");

    cli("predict", "--model", out.resolve("model-best.fbmb").toString(), "--input", input.toString(), "--output",
        predictions.toString(), "--id-column", "kind", "--chunk-rows", "7");

    Dataset raw = encoded(bundle, TableCsv.read(csv, TableCsv.Options.of("kind")).table());
    float[] expected = bundle.model().spec().learner().predictProbabilities(bundle.model(), raw);
    List<String> lines = Files.readAllLines(predictions);
    assertThat(lines.get(0), equalTo("kind,predicted,p_blue,p_green,p_red"));
    assertThat(lines.size(), equalTo(raw.size() + 1));
    List<String> labels = Files.readAllLines(csv).stream().skip(1).map(l -> l.split(",")[1]).toList();
    int right = 0;
    for (int r = 0; r < raw.size(); r++) {
      String[] cells = lines.get(r + 1).split(",");
      assertThat(cells[0], equalTo(labels.get(r)));
      int top = 0;
      for (int c = 0; c < 3; c++) {
        assertThat("row " + r + " class " + c, Float.parseFloat(cells[2 + c]), equalTo(expected[r * 3 + c]));
        top = expected[r * 3 + c] > expected[r * 3 + top] ? c : top;
      }
      assertThat(cells[1], equalTo(bundle.classLabels().get(top)));
      right += cells[1].equals(cells[0]) ? 1 : 0;
    }
    assertThat((double) right / raw.size(), org.hamcrest.Matchers.greaterThan(0.8));
  }

  @Test
  void chunkSizeDoesNotChangeTheOutput() throws Exception {
    Path input = reorder(csv, dir.resolve("input-chunks.csv"));
    ModelBundle bundle = Predict.read(out.resolve("model-final.fbmb"));

    Predict.predict(bundle, input, dir.resolve("one.csv"), "kind", 1);
    Predict.predict(bundle, input, dir.resolve("all.csv"), "kind", 4096);

    assertThat(Files.readAllLines(dir.resolve("one.csv")), equalTo(Files.readAllLines(dir.resolve("all.csv"))));
  }

  @Test
  void badInputIsRefusedNamingWhatAndWhereAndTheEarlierOutputStays() throws Exception {
    Path model = out.resolve("model-best.fbmb");
    Path output = dir.resolve("kept.csv");
    Files.writeString(output, "an earlier output\n");
    String[][] cases = {
        {"x1,x3\n1,2\n", "missing 1 of the model's 3 columns: [x2]"},
        {"x1,x2,x3,note\n1,2,3,red\n", "column(s) [note] are not columns of the model; name an id column with"
            + " --id-column, leave them out with --drop-columns"},
        {"x3,x1,x2\n1,2,3\n4,oops,6\n", "line 3, column 'x1': not a finite number: 'oops'"},
        {"x3,x1,x2\n1,2,Infinity\n", "line 2, column 'x2': not a finite number: 'Infinity'"},
        {"x3,x1,x2\n1,2,1e999\n", "line 2, column 'x2': not a finite number: '1e999'"},
        {"x1,x2,x3\n1,2\n", "line 2: expected 3 cells, found 2"},
        {"x1,x2,x3,x1\n1,2,3,4\n", "column 'x1' appears twice"},
        {"", "empty file, expected a header row"},
    };
    for (String[] c : cases) {
      Path input = dir.resolve("bad.csv");
      Files.writeString(input, c[0]);

      ByteArrayOutputStream err = new ByteArrayOutputStream();
      int code = FedBeam.run(new String[] {"predict", "--model", model.toString(), "--input", input.toString(),
          "--output", output.toString()}, new PrintStream(new ByteArrayOutputStream()), new PrintStream(err, true,
          StandardCharsets.UTF_8));

      assertThat(c[1], code, equalTo(2));
      assertThat(err.toString(StandardCharsets.UTF_8), allOf(containsString(input.toString()), containsString(c[1])));
      assertThat(Files.readString(output), equalTo("an earlier output\n"));
    }
    try (var files = Files.list(dir)) {
      assertThat(files.filter(f -> f.getFileName().toString().endsWith(".partial")).count(), equalTo(0L));
    }
  }

  @Test
  void anOldFormatBundleWithoutAPreprocessingStillPredictsAndKeepsItsChecks() throws Exception {
    ModelBundle v2 = Predict.read(out.resolve("model-best.fbmb"));
    float[] mean = new float[3];
    float[] scale = new float[3];
    for (int f = 0; f < 3; f++) {
      NumericSpec spec = (NumericSpec) v2.preprocessing().columns().get(f);
      mean[f] = (float) spec.center();
      scale[f] = (float) spec.scale();
    }
    ModelBundle v1 = new ModelBundle(v2.model(), v2.featureNames(), new org.fedbeam.data.FeatureScaling(mean, scale),
        v2.classLabels(), v2.provenance());
    Path old = dir.resolve("old.fbmb");
    Files.write(old, BundleFormat.encode(v1));
    Path input = reorder(csv, dir.resolve("input-old.csv"));
    Path bad = dir.resolve("bad-old.csv");
    Files.writeString(bad, "x1,x2,x3,kind\n1,2,NaN,red\n");

    cli("predict", "--model", old.toString(), "--input", input.toString(), "--output", dir.resolve("old.csv").toString(),
        "--id-column", "kind");
    DataFormatException nan = assertThrows(DataFormatException.class,
        () -> Predict.predict(Predict.read(old), bad, dir.resolve("x.csv"), "kind", 10));
    IllegalArgumentException semicolons = assertThrows(IllegalArgumentException.class, () -> Predict.predict(
        Predict.read(old), input, dir.resolve("x.csv"), Predict.Reading.parse(null, ";", null, null), 10));

    assertThat(Files.readAllBytes(old)[5], equalTo((byte) 1)); // format version 1 (u16 big-endian after "FBMB")
    Dataset raw = CsvReader.read(csv, new CsvReader.Options("kind", 0.01)).dataset();
    float[] expected = v1.model().spec().learner().predictProbabilities(v1.model(), v1.scaling().apply(raw));
    List<String> lines = Files.readAllLines(dir.resolve("old.csv"));
    assertThat(lines.size(), equalTo(raw.size() + 1));
    for (int r = 0; r < raw.size(); r++) {
      String[] cells = lines.get(r + 1).split(",");
      for (int c = 0; c < 3; c++) {
        assertThat(Float.parseFloat(cells[2 + c]), equalTo(expected[r * 3 + c]));
      }
    }
    assertThat(nan.getMessage(), containsString("line 2, column 'x3': not a finite number: 'NaN'"));
    assertThat(semicolons.getMessage(), containsString("this bundle has none: its input is comma-separated numbers"));
  }

  @Test
  void aDamagedBundleOrABareModelIsRefusedNamingTheFile() throws Exception {
    byte[] bytes = Files.readAllBytes(out.resolve("model-best.fbmb"));
    Path damaged = dir.resolve("damaged.fbmb");
    bytes[bytes.length / 2] ^= 1;
    Files.write(damaged, bytes);
    Path bare = out.resolve("models/round-0001.fbm");

    for (Object[] c : new Object[][] {{damaged, "checksum mismatch"}, {bare, "not a FedBeam model bundle"}}) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Predict.read((Path) c[0]));
      assertThat(e.getMessage(), allOf(containsString(c[0].toString()), containsString((String) c[1])));
    }
    assertThat(BundleFormat.looksLikeBundle(Files.readAllBytes(bare)), equalTo(false));
  }

  /** Every row of {@code table} through the bundle's preprocessing, as the model reads it (float). */
  static Dataset encoded(ModelBundle bundle, Table table) {
    double[] x = bundle.preprocessing().encode(table);
    float[] f = new float[x.length];
    for (int i = 0; i < x.length; i++) {
      f[i] = (float) x[i];
    }
    return new Dataset("expected", f, new int[table.rows()], bundle.featureNames().size(), bundle.classLabels().size());
  }

  static String cli(String... args) {
    ByteArrayOutputStream stdout = new ByteArrayOutputStream();
    ByteArrayOutputStream stderr = new ByteArrayOutputStream();
    int code = FedBeam.run(args, new PrintStream(stdout, true, StandardCharsets.UTF_8),
        new PrintStream(stderr, true, StandardCharsets.UTF_8));
    assertThat("stderr: " + stderr.toString(StandardCharsets.UTF_8), code, equalTo(0));
    return stdout.toString(StandardCharsets.UTF_8);
  }

  /** The same rows with the columns as x3,kind,x1,x2. */
  private static Path reorder(Path from, Path to) throws Exception {
    List<String> lines = new ArrayList<>();
    for (String line : Files.readAllLines(from)) {
      String[] c = line.split(",");
      lines.add(String.join(",", c[3], c[1], c[0], c[2]));
    }
    Files.write(to, lines);
    return to;
  }

  /** Three Gaussian blobs in 3 features, string labels (the label column second). */
  private static Path writeCsv(Path file) throws Exception {
    SplittableRandom random = new SplittableRandom(5);
    StringBuilder text = new StringBuilder("x1,kind,x2,x3\n");
    for (int i = 0; i < ROWS; i++) {
      int k = random.nextInt(3);
      text.append(String.format(Locale.ROOT, "%.4f,%s,%.4f,%.4f%n", 10 + random.nextGaussian() + 3 * (k == 0 ? 1 : 0),
          KINDS[k], 2 * random.nextGaussian() + 6 * (k == 1 ? 1 : 0), random.nextGaussian() - 3 * (k == 2 ? 1 : 0)));
    }
    Files.writeString(file, text);
    return file;
  }
}
