package org.fedbeam.pipelines.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.PrintStream;
import java.util.Arrays;
import java.util.List;
import org.fedbeam.model.EvalReport;
import org.fedbeam.model.ModelKind;
import org.fedbeam.model.ModelSpec;
import org.fedbeam.model.TrainConfig;
import org.fedbeam.pipelines.loop.Baselines;
import org.fedbeam.pipelines.loop.DpCalibration;
import org.fedbeam.pipelines.loop.FederatedDriver;
import org.fedbeam.pipelines.loop.SimulationData;
import org.fedbeam.pipelines.loop.TrainOptions;
import org.fedbeam.pipelines.rounds.RoundRecords;
import org.fedbeam.pipelines.runners.Runners;
import org.fedbeam.transforms.Artifacts;

/**
 * {@code fedbeam train}: prepare the silos' data, run federated rounds to convergence, train the
 * baselines, and write {@code run-summary.json}. The last line on {@code out} is {@code SUMMARY}
 * followed by the same JSON on one line.
 */
public final class TrainJob {
  private TrainJob() {}

  /** Runs the job described by {@code options}; returns the summary that was written. */
  public static ObjectNode run(TrainOptions options, PrintStream out) throws Exception {
    long t0 = System.nanoTime();
    validate(options);
    out.printf("preparing data: %s, %d silos, %s partition%s, seed %d%n", options.getDataset(), options.getSilos(),
        options.getPartition(), "iid".equalsIgnoreCase(options.getPartition()) ? "" : " alpha " + options.getAlpha(),
        options.getSeed());
    SimulationData data = SimulationData.prepare(options, out);
    FederatedDriver.Settings settings = settings(options, data.featureCount(), data.classes());
    out.println("silo sizes: " + data.siloSizes());
    settings = settings.withConfig(DpCalibration.calibrate(settings.config(), data.siloSizes(), settings.maxRounds(),
        options.getDpEpsilon(), options.getDpDelta(), options.getDpClip()));
    if (settings.config().privacy() != null) {
      out.printf("DP-SGD: epsilon %s at delta %s per silo over %d rounds: clip %s, noise multiplier %.4f%n",
          options.getDpEpsilon(), options.getDpDelta(), settings.maxRounds(), options.getDpClip(),
          settings.config().privacy().noiseMultiplier());
    }
    out.printf("model %s, %d local epoch(s) per round, at most %d rounds%n", settings.spec(), settings.config().epochs(),
        settings.maxRounds());
    FederatedDriver.Result fl;
    String runner;
    String webUi;
    try (Runners.Session session = Runners.prepare(options, options.getOutput(), options.getWebUiPort(), out)) {
      runner = session.describe();
      webUi = session.webUi();
      fl = FederatedDriver.run(options, session.roundRunner(), data, settings, options.getOutput(), out,
          options.getDpDelta());
    }
    Baselines.Result baselines = null;
    int passes = fl.rounds().size() * settings.config().epochs();
    if (options.getBaselines()) {
      out.printf("training baselines: centralized and each silo alone, %d passes over the data each%n", passes);
      baselines = Baselines.run(data, fl.initialModel(), settings.config().withPrivacy(null), passes, settings.seed(),
          Runtime.getRuntime().availableProcessors());
    }
    ObjectNode summary = summary(options, data, settings, fl, baselines, runner, webUi, (System.nanoTime() - t0) / 1e9);
    for (String line : table(summary)) {
      out.println(line);
    }
    byte[] pretty = RoundRecords.JSON.writeValueAsBytes(summary);
    Artifacts.writeAtomically(Artifacts.resolve(options.getOutput(), "run-summary.json"), pretty);
    out.println("SUMMARY " + RoundRecords.oneLine(summary));
    return summary;
  }

  /** Checks every option that does not need the data, so a typo fails before any work is done. */
  static void validate(TrainOptions o) {
    settings(o, 1, 2);
    if (o.getSilos() < 1) {
      throw new IllegalArgumentException("silos must be >= 1, was " + o.getSilos());
    }
    org.fedbeam.data.Partitioner.Scheme.parse(o.getPartition());
    DpCalibration.check(o.getDpEpsilon(), o.getDpDelta(), o.getDpClip());
    if (!(o.getAlpha() > 0)) {
      throw new IllegalArgumentException("alpha must be > 0, was " + o.getAlpha());
    }
  }

  public static FederatedDriver.Settings settings(TrainOptions o, int features, int classes) {
    TrainConfig config = new TrainConfig(o.getEpochs(), o.getBatchSize(), o.getLr(), o.getMomentum(), o.getWeightDecay());
    List<Integer> hidden = ModelKind.parse(o.getModel()) == ModelKind.LOGREG ? List.of() : parseHidden(o.getHidden());
    ModelSpec spec = ModelSpec.of(features, hidden, classes);
    return new FederatedDriver.Settings(spec, config, o.getRounds(), o.getPatience(), o.getTolerance(), o.getSeed());
  }

  static List<Integer> parseHidden(String text) {
    try {
      List<Integer> widths = Arrays.stream(text.split(",")).map(String::trim).filter(s -> !s.isEmpty())
          .map(Integer::parseInt).toList();
      if (widths.isEmpty() || widths.stream().anyMatch(w -> w < 1)) {
        throw new NumberFormatException();
      }
      return widths;
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("hidden must be a comma-separated list of layer widths >= 1, was '" + text + "'");
    }
  }

  private static ObjectNode summary(TrainOptions o, SimulationData data, FederatedDriver.Settings settings,
      FederatedDriver.Result fl, Baselines.Result baselines, String runner, String webUi, double totalSeconds)
      throws IOException {
    ObjectNode s = RoundRecords.JSON.createObjectNode();
    EvalReport test = fl.rounds().get(fl.rounds().size() - 1).evaluation("test");
    s.put("mode", "simulation");
    s.put("fl_accuracy", test.accuracy());
    if (baselines != null) {
      s.put("centralized_accuracy", baselines.centralized().accuracy());
      s.put("local_accuracy_mean", baselines.localMean());
      s.put("local_accuracy_min", baselines.localMin());
    } else {
      s.putNull("centralized_accuracy").putNull("local_accuracy_mean").putNull("local_accuracy_min");
    }
    s.put("rounds", fl.rounds().size());
    s.put("round_wall_s_median", fl.median(FederatedDriver.RoundStats::wallSeconds));
    s.put("round_overhead_s_median", fl.median(FederatedDriver.RoundStats::overheadSeconds));
    long samples = fl.rounds().stream().flatMap(r -> r.participants().values().stream())
        .mapToLong(m -> m.sampleCount()).sum() * settings.config().epochs();
    s.put("train_samples_per_s", samples / fl.rounds().stream().mapToDouble(FederatedDriver.RoundStats::wallSeconds).sum());
    s.put("final_model_sha256", Artifacts.sha256Hex(Artifacts.read(fl.finalModelUri(), "final model")));
    s.put("final_model", fl.finalModelUri());
    s.put("fl_test_log_loss", test.logLoss());
    s.put("fl_test_macro_f1", test.macroF1());
    s.put("converged", fl.converged());
    s.put("dataset", data.source());
    s.put("silos", data.silos().size());
    var sizes = s.putObject("silo_sizes");
    data.siloSizes().forEach(sizes::put);
    var leftOut = s.putArray("silos_left_out");
    fl.rounds().stream().flatMap(r -> r.skipped().keySet().stream()).distinct().sorted().forEach(leftOut::add);
    s.put("partition", o.getPartition());
    s.put("alpha", o.getAlpha());
    s.put("seed", o.getSeed());
    s.put("model", settings.spec().describe());
    var hp = s.putObject("hyperparameters");
    hp.put("local_epochs", settings.config().epochs()).put("batch_size", settings.config().batchSize())
        .put("learning_rate", settings.config().learningRate()).put("momentum", settings.config().momentum())
        .put("weight_decay", settings.config().weightDecay()).put("max_rounds", settings.maxRounds())
        .put("patience", settings.patience()).put("tolerance", settings.tolerance());
    s.put("runner", runner);
    if (webUi != null) {
      s.put("flink_web_ui", webUi);
    }
    if (baselines != null) {
      var local = s.putObject("local_accuracy_by_silo");
      baselines.local().forEach((silo, r) -> local.put(silo, r.accuracy()));
      s.put("baselines_s", baselines.seconds());
      var targets = s.putObject("targets");
      targets.put("fl_within_0.02_of_centralized", test.accuracy() >= baselines.centralized().accuracy() - 0.02);
      targets.put("fl_0.15_above_local_mean", test.accuracy() >= baselines.localMean() + 0.15);
    }
    if (settings.config().privacy() != null) {
      DpCalibration.summarize(s, settings.config(), o.getDpEpsilon(), o.getDpDelta(),
          DpCalibration.spent(fl, settings.config(), o.getDpDelta()));
    }
    s.put("total_s", totalSeconds);
    return s;
  }

  private static List<String> table(ObjectNode s) {
    List<String> lines = new java.util.ArrayList<>();
    lines.add("");
    lines.add(String.format("%-28s %s", "model (test set)", "accuracy"));
    lines.add(String.format("%-28s %.4f   (%d rounds)", "federated (FedAvg)", s.get("fl_accuracy").asDouble(), s.get("rounds").asInt()));
    if (!s.get("centralized_accuracy").isNull()) {
      lines.add(String.format("%-28s %.4f", "centralized (pooled data)", s.get("centralized_accuracy").asDouble()));
      lines.add(String.format("%-28s %.4f   (min %.4f)", "each silo alone: mean", s.get("local_accuracy_mean").asDouble(),
          s.get("local_accuracy_min").asDouble()));
    }
    lines.add(String.format("round wall time median %.2fs, overhead median %.2fs; total %.1fs",
        s.get("round_wall_s_median").asDouble(), s.get("round_overhead_s_median").asDouble(), s.get("total_s").asDouble()));
    return lines;
  }
}
