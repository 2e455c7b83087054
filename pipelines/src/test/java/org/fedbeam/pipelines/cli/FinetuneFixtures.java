package org.fedbeam.pipelines.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import org.fedbeam.data.CsvReader;
import org.fedbeam.data.Dataset;
import org.fedbeam.data.FeatureScaling;
import org.fedbeam.model.DenseNetwork;
import org.fedbeam.model.ModelFormat;
import org.fedbeam.model.ModelSpec;
import org.fedbeam.model.Parameters;
import org.fedbeam.model.TrainConfig;
import org.fedbeam.model.bundle.BundleFormat;
import org.fedbeam.model.bundle.ModelBundle;
import org.fedbeam.pipelines.loop.RoundLoop;
import org.fedbeam.pipelines.loop.Simulation;
import org.fedbeam.pipelines.loop.SimulationData;
import org.fedbeam.pipelines.loop.TrainOptions;
import org.fedbeam.pipelines.rounds.RoundRecords;
import org.fedbeam.pipelines.runners.Runners;

/**
 * Data and models for the fine-tuning tests: Gaussian blobs as CSV files, a pretrained bundle trained
 * centrally on some of the classes, and a federated run (real rounds on the DirectRunner) that starts
 * from it, bundled the way a run's final model is.
 */
final class FinetuneFixtures {
  static final List<String> FEATURES = List.of("f1", "f2", "f3", "f4");
  static final List<String> CLASSES = List.of("a", "b", "c", "d");

  private FinetuneFixtures() {}

  /**
   * {@code rows} rows of blobs around class centres (class k: +3 on feature k, shifted by {@code shift}
   * on every feature), labelled with {@code labels}, columns in {@code columns} order (the label column
   * "kind" second).
   */
  static Path csv(Path file, int rows, List<String> labels, List<String> columns, double shift, long seed)
      throws Exception {
    SplittableRandom random = new SplittableRandom(seed);
    StringBuilder text = new StringBuilder(columns.get(0) + ",kind");
    columns.subList(1, columns.size()).forEach(c -> text.append(',').append(c));
    text.append('\n');
    for (int i = 0; i < rows; i++) {
      int k = random.nextInt(labels.size());
      double[] x = new double[columns.size()];
      for (int j = 0; j < x.length; j++) {
        x[j] = random.nextGaussian() + (j == k % x.length ? 3 : 0) + shift * (k % 2 == 0 ? 1 : -1);
      }
      text.append(String.format(Locale.ROOT, "%.4f,%s", x[0], labels.get(k)));
      for (int j = 1; j < x.length; j++) {
        text.append(String.format(Locale.ROOT, ",%.4f", x[j]));
      }
      text.append('\n');
    }
    Files.writeString(file, text);
    return file;
  }

  /** A 4-8-4 network trained centrally on {@code csv}'s rows of classes a and b only, as a bundle. */
  static Path pretrained(Path dir, Path csv) throws Exception {
    CsvReader.Table table = CsvReader.read(csv, new CsvReader.Options("kind", 0));
    FeatureScaling scaling = FeatureScaling.fit(table.dataset());
    Dataset all = scaling.apply(table.dataset());
    int[] half = java.util.stream.IntStream.range(0, all.size())
        .filter(r -> table.classNames().get(all.label(r)).compareTo("c") < 0).toArray();
    Dataset ab = all.subset("classes a and b", half);
    ModelSpec spec = ModelSpec.of(4, List.of(8), 4);
    DenseNetwork net = new DenseNetwork(spec);
    Parameters model = net.train(net.initialize(1L), ab, new TrainConfig(10, 16, 0.05, 0.9, 0), 2L).parameters();
    ArrayNode chain = RoundRecords.JSON.createArrayNode();
    chain.addObject().put("stage", "pretrained").put("dataset", csv.toString()).put("classes", "a, b");
    Path bundle = dir.resolve("pretrained.fbmb");
    Files.write(bundle, BundleFormat.encode(new ModelBundle(model, table.featureNames(), scaling, table.classNames(),
        RoundRecords.JSON.writeValueAsString(chain))));
    return bundle;
  }

  /**
   * Three federated rounds over {@code csv} (3 silos, DirectRunner) starting from the pretrained
   * bundle's model; returns the final round's bundle (pretrained's features, scaling and labels; the
   * chain gains a "federated" stage) and leaves the run under {@code dir/run}.
   */
  static Path federated(Path dir, Path csv, Path pretrained) throws Exception {
    ModelBundle start = BundleFormat.decode(Files.readAllBytes(pretrained), pretrained.toString());
    String output = dir.resolve("run").toString();
    TrainOptions options = FedBeam.parse("train", List.of("--output", output, "--dataset", csv.toString(),
        "--label-column", "kind", "--silos", "3", "--rounds", "3", "--hidden", "8", "--batch-size", "8",
        "--runner", "DirectRunner", "--no-baselines"), TrainOptions.class);
    PrintStream quiet = new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8);
    SimulationData data = SimulationData.prepare(options, quiet);
    RoundLoop.Settings settings = Simulation.settings(options, data.featureCount(), data.classes())
        .withInitialModel(start.model(), pretrained.toString());
    RoundLoop.Result result;
    try (Runners.Session session = Runners.prepare(options, output, options.getWebUiPort(), quiet)) {
      result = Simulation.run(options, session.roundRunner(), data, settings, quiet);
    }
    Path fbm = Path.of(result.finalModelUri());
    Parameters model = ModelFormat.decode(Files.readAllBytes(fbm), fbm.toString());
    ArrayNode chain = (ArrayNode) RoundRecords.JSON.readTree(start.provenance());
    chain.addObject().put("stage", "federated").put("final_model", fbm.toString())
        .set("provenance", RoundRecords.JSON.readTree(fbm.resolveSibling(fbm.getFileName().toString()
            .replace(".fbm", ".json")).toFile()));
    Path bundle = dir.resolve("federated.fbmb");
    // the run trained on its own preprocessing (fitted from the silos' statistics): the bundle carries it
    Files.write(bundle, BundleFormat.encode(ModelBundle.of(model, data.metadata().preprocessing(),
        RoundRecords.JSON.writeValueAsString(chain))));
    return bundle;
  }

  /** Runs {@code fedbeam ARGS}; the exit code, stdout and stderr. */
  static Run fedbeam(String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int code = FedBeam.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8));
    return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }

  record Run(int code, String out, String err) {}
}
