package org.fedbeam.pipelines.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.PrintStream;
import java.util.List;
import org.fedbeam.pipelines.loop.Baselines;
import org.fedbeam.pipelines.loop.Bundles;
import org.fedbeam.pipelines.loop.DpCalibration;
import org.fedbeam.pipelines.loop.RoundLoop;
import org.fedbeam.pipelines.loop.RunOptions;
import org.fedbeam.pipelines.loop.RunState;
import org.fedbeam.pipelines.loop.RunSummary;
import org.fedbeam.pipelines.loop.StopSignal;
import org.fedbeam.pipelines.loop.SiloAttacks;
import org.fedbeam.pipelines.loop.Simulation;
import org.fedbeam.pipelines.loop.SimulationRounds;
import org.fedbeam.pipelines.loop.SimulationData;
import org.fedbeam.pipelines.loop.TrainOptions;
import org.fedbeam.pipelines.rounds.RoundRecords;
import org.fedbeam.pipelines.runners.Runners;
import org.fedbeam.transforms.Artifacts;

/**
 * {@code fedbeam train}: prepare the silos' data, run federated rounds to convergence, train the
 * baselines, and write {@code run-summary.json}. The last line on {@code out} is {@code SUMMARY}
 * followed by the same JSON on one line, without the per-round entries.
 */
public final class TrainJob {
  private TrainJob() {}

  /** Options that do not change what a run computes: a resume need not repeat them. */
  static final java.util.Set<String> NOT_SETTINGS = java.util.Set.of("output", "webUiPort", "baselines", "keep", "resume",
      "overwrite", "maxNewRounds");

  /** Runs the job described by {@code options}; returns the summary that was written. */
  public static ObjectNode run(TrainOptions options, PrintStream out) throws Exception {
    return run(options, out, null);
  }

  /**
   * Runs, or with {@code --resume} continues, the job described by {@code options}; returns the
   * summary that was written ({@code status} says whether the run finished or was halted).
   * {@code resumeCommand}, printed when the run stops short, is the command that continues it.
   */
  public static ObjectNode run(TrainOptions options, PrintStream out, String resumeCommand) throws Exception {
    long t0 = System.nanoTime();
    validate(options);
    RunState.Start start = RunOptions.start(options);
    java.util.Map<String, String> fingerprint = RunOptions.fingerprint(options, TrainOptions.class, NOT_SETTINGS);
    fingerprint.putAll(dataFingerprint(options));
    // before any data is written: a folder holding another run is never mixed into
    boolean resuming = RunState.check(options.getOutput(), start, fingerprint, false);
    if (resuming) {
      out.println("resuming the run in " + options.getOutput());
    }
    out.printf("preparing data: %s, %d silos, %s partition%s, seed %d%n", options.getDataset(), options.getSilos(),
        options.getPartition(), "iid".equalsIgnoreCase(options.getPartition()) ? "" : " alpha " + options.getAlpha(),
        options.getSeed());
    SimulationData data = SimulationData.prepare(options, out);
    RoundLoop.Settings settings = Simulation.settings(options, data.featureCount(), data.classes());
    settings = Simulation.withInitialModel(settings, options, out);
    out.println("silo sizes: " + data.siloSizes());
    settings = settings.withConfig(DpCalibration.calibrate(settings.config(), data.siloSizes(), settings.maxRounds(),
        options.getDpEpsilon(), options.getDpDelta(), options.getDpClip()));
    if (settings.config().privacy() != null) {
      out.printf("DP-SGD: epsilon %s at delta %s per silo over %d rounds: clip %s, noise multiplier %.4f%n",
          options.getDpEpsilon(), options.getDpDelta(), settings.maxRounds(), options.getDpClip(),
          settings.config().privacy().noiseMultiplier());
    }
    out.printf("model %s, %d local epoch(s) per round, at most %d rounds, strategy %s%s%n", settings.spec(),
        settings.config().epochs(), settings.maxRounds(), settings.strategy().name(),
        settings.strategy().parameters().isEmpty() ? "" : " " + settings.strategy().parameters());
    RoundLoop.Result fl;
    SimulationRounds executor;
    String runner;
    String webUi;
    String again = resumeCommand != null ? resumeCommand : "fedbeam train --output " + options.getOutput()
        + " ... --resume (the same flags)";
    try (Runners.Session session = Runners.prepare(options, options.getOutput(), options.getWebUiPort(), out);
        StopSignal stop = StopSignal.onSignals(out, again)) {
      runner = session.describe();
      webUi = session.webUi();
      executor = Simulation.executor(options, session.roundRunner(), data, settings);
      if (options.getByzantine() > 0) {
        out.println("Byzantine silos (" + options.getAttack() + "): " + executor.attacks().all().keySet());
      }
      fl = RoundLoop.run(settings, executor, options.getOutput(), out, options.getDpDelta(),
          new RoundLoop.RunControl(start, options.getMaxNewRounds(), fingerprint, stop, again));
    }
    if (fl.rounds().isEmpty()) {
      ObjectNode none = RunSummary.noRound(fl);
      out.println("SUMMARY " + RoundRecords.oneLine(none));
      return none;
    }
    Baselines.Result baselines = null;
    int passes = fl.rounds().size() * settings.config().epochs();
    if (options.getBaselines() && fl.finished()) {
      out.printf("training baselines: centralized and each silo alone, %d passes over the data each%n", passes);
      baselines = Baselines.run(data, fl.initialModel(), settings.config().withPrivacy(null), passes, settings.seed(),
          Runtime.getRuntime().availableProcessors());
    }
    ObjectNode summary = RunSummary.of(settings, fl, executor, 0);
    Bundles.write(options.getOutput(), settings, fl, data.metadata(), options.getOutput(), options.getKeep(), summary, out);
    RunSummary.putStatus(summary, fl, again);
    addSimulationKeys(summary, options, data, settings, fl, executor.attacks(), baselines, runner, webUi);
    summary.put("total_s", (System.nanoTime() - t0) / 1e9);
    for (String line : table(summary)) {
      out.println(line);
    }
    byte[] pretty = RoundRecords.JSON.writeValueAsBytes(summary);
    Artifacts.writeAtomically(Artifacts.resolve(options.getOutput(), "run-summary.json"), pretty);
    ObjectNode line = summary.deepCopy();
    line.remove("rounds"); // per round in OUTPUT/run-summary.json and metrics.csv
    out.println("SUMMARY " + RoundRecords.oneLine(line));
    return summary;
  }

  /**
   * The content behind the options that name files, which a resume must find unchanged: a path is not
   * its data (a CSV replaced by a new export under the same name would be mixed into the run).
   */
  static java.util.Map<String, String> dataFingerprint(TrainOptions o) {
    java.util.Map<String, String> f = new java.util.TreeMap<>();
    if ("fashion-mnist".equals(o.getDataset())) {
      java.nio.file.Path dir = java.nio.file.Path.of(o.getFashionMnistDir());
      StringBuilder all = new StringBuilder();
      for (String name : List.of("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte.gz",
          "t10k-labels-idx1-ubyte.gz")) {
        all.append(name).append('=').append(contentSha(dir.resolve(name))).append(';');
      }
      f.put("--fashion-mnist-dir (SHA-256 of its files)", org.fedbeam.transforms.Artifacts.sha256Hex(
          all.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8)));
    } else {
      f.put("--dataset (SHA-256 of its content)", contentSha(java.nio.file.Path.of(o.getDataset())));
    }
    if (o.getSiloSecrets() != null) {
      f.put("--silo-secrets (SHA-256 of its content)", contentSha(java.nio.file.Path.of(o.getSiloSecrets())));
    }
    return f;
  }

  private static String contentSha(java.nio.file.Path file) {
    if (!java.nio.file.Files.isRegularFile(file)) {
      return "no file " + file; // reading the data names the problem
    }
    try (var in = new java.security.DigestInputStream(java.nio.file.Files.newInputStream(file),
        java.security.MessageDigest.getInstance("SHA-256"))) {
      in.transferTo(java.io.OutputStream.nullOutputStream());
      return java.util.HexFormat.of().formatHex(in.getMessageDigest().digest());
    } catch (java.io.IOException | java.security.NoSuchAlgorithmException e) {
      throw new IllegalArgumentException("cannot read " + file + ": " + e.getMessage(), e);
    }
  }

  /** Checks every option that does not need the data, so a typo fails before any work is done. */
  static void validate(TrainOptions o) {
    if (o.getSilos() < 1) {
      throw new IllegalArgumentException("--silos must be >= 1, was " + o.getSilos());
    }
    RoundLoop.Settings settings = Simulation.settings(o, 1, 2);
    org.fedbeam.data.Partitioner.Scheme.parse(o.getPartition());
    DpCalibration.check(o.getDpEpsilon(), o.getDpDelta(), o.getDpClip());
    if (!(o.getAlpha() > 0)) {
      throw new IllegalArgumentException("--alpha must be > 0, was " + o.getAlpha());
    }
    try {
      RoundLoop.validate(settings, o.getSilos());
    } catch (IllegalArgumentException e) {
      // the participation's words are the job file's; here they are flags
      throw new IllegalArgumentException(e.getMessage().replace("min_silos", "--min-silos")
          .replaceFirst("^fraction ", "--fraction ").replace("the job has only", "--silos is"), e);
    }
    List<String> silos = new java.util.ArrayList<>();
    for (int i = 0; i < o.getSilos(); i++) {
      silos.add("silo-" + i);
    }
    SiloAttacks.choose(o.getByzantine(), o.getAttack(), silos, o.getSeed());
  }

  private static void addSimulationKeys(ObjectNode s, TrainOptions o, SimulationData data, RoundLoop.Settings settings,
      RoundLoop.Result fl, SiloAttacks attacks, Baselines.Result baselines, String runner, String webUi) {
    double flAccuracy = s.get("fl_accuracy").asDouble(); // the test accuracy of the model the run reports
    if (baselines != null) {
      s.put("centralized_accuracy", baselines.centralized().accuracy());
      s.put("local_accuracy_mean", baselines.localMean());
      s.put("local_accuracy_min", baselines.localMin());
    } else {
      s.putNull("centralized_accuracy").putNull("local_accuracy_mean").putNull("local_accuracy_min");
    }
    s.put("dataset", data.source());
    var sizes = s.putObject("silo_sizes");
    data.siloSizes().forEach(sizes::put);
    s.put("partition", o.getPartition());
    s.put("alpha", o.getAlpha());
    var hp = (ObjectNode) s.get("hyperparameters");
    hp.put("patience", o.getPatience()).put("tolerance", o.getTolerance());
    if (o.getByzantine() > 0) {
      var byzantine = s.putObject("byzantine");
      byzantine.put("attack", o.getAttack());
      var silos = byzantine.putArray("silos");
      attacks.all().keySet().forEach(silos::add);
    }
    s.put("runner", runner);
    if (webUi != null) {
      s.put("flink_web_ui", webUi);
    }
    if (baselines != null) {
      var local = s.putObject("local_accuracy_by_silo");
      baselines.local().forEach((silo, r) -> local.put(silo, r.accuracy()));
      s.put("baselines_s", baselines.seconds());
      var targets = s.putObject("targets");
      targets.put("fl_within_0.02_of_centralized", flAccuracy >= baselines.centralized().accuracy() - 0.02);
      targets.put("fl_0.15_above_local_mean", flAccuracy >= baselines.localMean() + 0.15);
    }
    if (settings.config().privacy() != null) {
      DpCalibration.summarize(s, settings.config(), o.getDpEpsilon(), o.getDpDelta(),
          DpCalibration.spent(fl, settings.config(), o.getDpDelta()));
    }
  }

  private static List<String> table(ObjectNode s) {
    List<String> lines = new java.util.ArrayList<>();
    lines.add("");
    lines.add(String.format("%-28s %s", "model (test set)", "accuracy"));
    lines.add(String.format("%-28s %.4f   (%d rounds)", "federated (" + s.get("strategy").get("name").asText() + ")",
        s.get("fl_accuracy").asDouble(), s.get("rounds_completed").asInt()));
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
