package org.fedbeam.tools;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.fedbeam.data.table.SampleData;
import org.fedbeam.model.Parameters;
import org.fedbeam.model.bundle.BundleFormat;
import org.fedbeam.model.bundle.ModelBundle;
import org.fedbeam.pipelines.cli.FedBeam;
import org.fedbeam.pipelines.cli.Option;
import org.fedbeam.pipelines.cli.TrainJob;
import org.fedbeam.pipelines.loop.TrainOptions;
import org.fedbeam.preprocess.ColumnSpec;
import org.fedbeam.preprocess.NumericSpec;
import org.fedbeam.preprocess.Preprocessing;
import org.fedbeam.transforms.Artifacts;

/**
 * {@code fedbeam bench tabular}: federated against centralized preprocessing and training on the real
 * tables Debian ships (scikit-learn's breast-cancer and wine from {@code python3-sklearn}, Weka's
 * credit-g from {@code weka}; docs/tabular.md). For each data set, model, seed and split (iid, and a
 * Dirichlet label skew) it runs {@code fedbeam train} on the same CSV, with the same held-out test and
 * validation rows (cut before the silo split, from the seed) and the same silos:
 * <ul>
 *   <li>(a) {@code --preprocessing federated}: fitted from the silos' merged statistics;</li>
 *   <li>(b) {@code --preprocessing pooled}: fitted on the pooled training rows, the same federated training;</li>
 *   <li>(c) pooled preprocessing and centralized training: the run's own centralized baseline (one model
 *       on all the silos' rows, the same start, hyperparameters and passes over the data: rounds x epochs).</li>
 * </ul>
 * Every run goes the full {@code --rounds} (no early stop) and reports its last model, so (a), (b) and (c)
 * have the same budget. It also says whether (a) and (b) fed the silos bit-identical inputs and trained
 * bit-identical models. Prints a table (median and min-max over seeds), writes it as
 * {@code OUTPUT/tabular.csv} and {@code OUTPUT/tabular.md}, and ends with {@code TABULAR {json}}.
 */
final class TabularBench {
  static final String USAGE = "usage: fedbeam bench tabular [--seeds 3] [--rounds 20] [--output DIR] [flags]";

  static final List<Option> FLAGS = List.of(
      Option.text("output", "DIR", "Folder for the runs and the table").withDefault("target/bench-tabular"),
      new Option("seeds", Option.Kind.WHOLE, "N", "3", false, "Seeds, from --seed up (test/validation rows, silo"
          + " split, initial model and training follow the seed)"),
      new Option("seed", Option.Kind.WHOLE, "N", "42", false, "The first seed"),
      new Option("rounds", Option.Kind.WHOLE, "R", "20", false, "Federated rounds, all run; the centralized model"
          + " gets R x epochs passes"),
      new Option("silos", Option.Kind.WHOLE, "K", "3", false, "Silos"),
      Option.text("datasets", "LIST", "Data sets, comma-separated").withDefault("breast-cancer,wine,credit-g"),
      Option.text("models", "LIST", "Models: logreg, mlp (hidden 16)").withDefault("logreg,mlp"),
      Option.text("splits", "LIST", "Silo splits: iid, dirichlet (label skew, --alpha)").withDefault("iid,dirichlet"),
      new Option("alpha", Option.Kind.NUMBER, "X", "0.5", false, "Dirichlet concentration of the label skew"),
      new Option("lr", Option.Kind.NUMBER, "X", "0.05", false, "Local learning rate (SGD, momentum 0.9)"),
      new Option("batch-size", Option.Kind.WHOLE, "N", "16", false, "Local minibatch size"),
      Option.text("runner", "NAME", "Beam runner of the rounds").withDefault("DirectRunner"));

  /** One (data set, model, split, seed): the three accuracies and how (a) and (b) compare. */
  record Cell(String dataset, String model, String split, long seed, double federated, double pooled,
      Double centralized, double majority, double fitRelDiff, boolean sameInputs, boolean sameModel,
      double modelMaxAbsDiff) {}

  private TabularBench() {}

  /** Runs the comparison; {@code given} are the flags given (by name), the others take their defaults. */
  static ObjectNode run(Map<String, String> given, PrintStream out) throws Exception {
    long t0 = System.nanoTime();
    Map<String, String> flags = new java.util.LinkedHashMap<>();
    FLAGS.forEach(o -> flags.put(o.name(), o.defaultText()));
    flags.putAll(given);
    String output = flags.get("output");
    Path dataDir = Path.of(output, "data");
    Files.createDirectories(dataDir);
    List<Cell> cells = new ArrayList<>();
    int seeds = Integer.parseInt(flags.get("seeds"));
    if (seeds < 1) {
      throw new IllegalArgumentException("--seeds must be >= 1, was " + seeds);
    }
    choose("datasets", flags.get("datasets"), SampleData.NAMES);
    choose("models", flags.get("models"), List.of("logreg", "mlp"));
    choose("splits", flags.get("splits"), List.of("iid", "dirichlet"));
    for (String name : list(flags.get("datasets"))) {
      SampleData.Export export = SampleData.load(name);
      Path csv = dataDir.resolve(name + ".csv");
      Files.writeString(csv, export.toCsv(), StandardCharsets.UTF_8);
      out.printf("%s: %d rows, %d columns (%d categorical), label %s -> %s%n", name, export.rows().size(),
          export.header().size() - 1, export.categorical().size(), export.labelColumn(), csv);
      for (String model : list(flags.get("models"))) {
        for (String split : list(flags.get("splits"))) {
          for (int i = 0; i < seeds; i++) {
            long seed = Long.parseLong(flags.get("seed")) + i;
            String dir = output + "/runs/" + name + "/" + model + "/" + split + "/seed-" + seed;
            List<String> args = args(flags, csv, export, model, split, seed);
            // the centralized baseline once per (data set, model, seed): the pooled rows do not depend on the split
            boolean baselines = split.equals(list(flags.get("splits")).get(0));
            ObjectNode a = train(args, dir + "/a-federated", "federated", false, out);
            ObjectNode b = train(args, dir + "/b-pooled", "pooled", baselines, out);
            cells.add(compare(name, model, split, seed, a, b, dir));
            Cell c = cells.get(cells.size() - 1);
            out.printf("  %s %s %s seed %d: (a) %.4f (b) %.4f (c) %s; inputs %s, models %s%n", name, model, split,
                seed, c.federated(), c.pooled(), c.centralized() == null ? "-" : String.format("%.4f", c.centralized()),
                c.sameInputs() ? "bit-identical" : "differ", c.sameModel() ? "bit-identical"
                    : String.format("differ (max |dw| %.2g)", c.modelMaxAbsDiff()));
          }
        }
      }
    }
    return TabularTable.report(cells, flags, output, (System.nanoTime() - t0) / 1e9, out);
  }

  /** Checks a list flag's every item before any run: {@code --models: 'svm' is not one of [logreg, mlp]}. */
  private static void choose(String flag, String value, List<String> known) {
    if (list(value).isEmpty()) {
      throw new IllegalArgumentException("--" + flag + " names nothing; one or more of " + known);
    }
    for (String item : list(value)) {
      if (!known.contains(item)) {
        throw new IllegalArgumentException("--" + flag + ": '" + item + "' is not one of " + known);
      }
    }
  }

  static List<String> list(String s) {
    return Arrays.stream(s.split(",")).map(String::trim).filter(x -> !x.isEmpty()).toList();
  }

  private static List<String> args(Map<String, String> f, Path csv, SampleData.Export export, String model,
      String split, long seed) {
    List<String> args = new ArrayList<>(List.of("--dataset", csv.toString(), "--label-column", export.labelColumn(),
        "--silos", f.get("silos"), "--partition", split, "--alpha", f.get("alpha"), "--seed", String.valueOf(seed),
        "--model", model, "--rounds", f.get("rounds"), "--patience", String.valueOf(Integer.parseInt(f.get("rounds")) + 1),
        "--keep", "last", "--epochs", "1", "--lr", f.get("lr"), "--batch-size", f.get("batch-size"),
        "--runner", f.get("runner")));
    if (model.equals("mlp")) {
      args.addAll(List.of("--hidden", "16"));
    }
    if (!export.categorical().isEmpty()) {
      args.addAll(List.of("--categorical-columns", String.join(",", export.categorical())));
    }
    return args;
  }

  private static ObjectNode train(List<String> common, String output, String preprocessing, boolean baselines,
      PrintStream out) throws Exception {
    List<String> args = new ArrayList<>(common);
    args.addAll(List.of("--output", output, "--preprocessing", preprocessing, "--overwrite",
        baselines ? "--baselines" : "--no-baselines"));
    TrainOptions options = FedBeam.parse("train", args, TrainOptions.class);
    return TrainJob.run(options, new PrintStream(java.io.OutputStream.nullOutputStream()));
  }

  private static Cell compare(String name, String model, String split, long seed, ObjectNode a, ObjectNode b,
      String dir) throws java.io.IOException {
    ModelBundle ma = bundle(a);
    ModelBundle mb = bundle(b);
    boolean sameInputs = sameFiles(Path.of(dir, "a-federated"), Path.of(dir, "b-pooled"));
    Parameters pa = ma.model();
    Parameters pb = mb.model();
    if (!a.hasNonNull("fl_accuracy") || !b.hasNonNull("fl_accuracy")) {
      throw new IllegalStateException(dir + ": a run reported no fl_accuracy");
    }
    return new Cell(name, model, split, seed, a.get("fl_accuracy").asDouble(), b.get("fl_accuracy").asDouble(),
        b.get("centralized_accuracy").isNull() ? null : b.get("centralized_accuracy").asDouble(),
        majority(Path.of(dir, "a-federated")), fitDifference(ma.preprocessing(), mb.preprocessing()), sameInputs,
        Arrays.equals(pa.toArray(), pb.toArray()), pa.maxAbsDifference(pb));
  }

  private static ModelBundle bundle(ObjectNode summary) {
    String uri = summary.get("final_model").asText();
    return BundleFormat.decode(Artifacts.read(uri, "the final model"), uri);
  }

  /** The largest relative difference of a fitted center, scale or imputed value; categorical specs must be equal. */
  static double fitDifference(Preprocessing a, Preprocessing b) {
    if (a.columns().size() != b.columns().size() || !a.featureNames().equals(b.featureNames())) {
      return Double.POSITIVE_INFINITY;
    }
    double worst = 0;
    for (int c = 0; c < a.columns().size(); c++) {
      ColumnSpec x = a.columns().get(c);
      ColumnSpec y = b.columns().get(c);
      if (x instanceof NumericSpec p && y instanceof NumericSpec q) {
        worst = Math.max(worst, Math.max(rel(p.center(), q.center()), Math.max(rel(p.scale(), q.scale()),
            rel(p.impute(), q.impute()))));
      } else if (!x.equals(y)) {
        return Double.POSITIVE_INFINITY;
      }
    }
    return worst;
  }

  private static double rel(double a, double b) {
    return a == b ? 0 : Math.abs(a - b) / Math.max(Math.abs(a), Math.abs(b));
  }

  /** Whether every silo shard and evaluation set (the model inputs, float32) of the two runs is byte-identical. */
  private static boolean sameFiles(Path a, Path b) throws java.io.IOException {
    List<Path> files = new ArrayList<>();
    try (var walk = Files.walk(a)) {
      walk.filter(p -> p.toString().endsWith(".fbds")).forEach(files::add);
    }
    if (files.isEmpty()) {
      throw new IllegalStateException("no data files under " + a);
    }
    for (Path f : files) {
      Path other = b.resolve(a.relativize(f));
      if (!Files.isRegularFile(other) || Files.mismatch(f, other) != -1) {
        return false;
      }
    }
    return true;
  }

  /** The test set's majority-class share: what always answering one class scores. */
  private static double majority(Path run) {
    String uri = run.resolve("orchestrator/test.fbds").toString();
    int[] counts = org.fedbeam.transforms.SiloData.load(uri, "test set").labelCounts();
    int total = Arrays.stream(counts).sum();
    return (double) Arrays.stream(counts).max().orElse(0) / total;
  }
}
