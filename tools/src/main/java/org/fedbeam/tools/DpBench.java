package org.fedbeam.tools;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintStream;
import java.util.Map;
import org.fedbeam.model.EvalReport;
import org.fedbeam.model.TrainConfig;
import org.fedbeam.pipelines.cli.TrainJob;
import org.fedbeam.pipelines.loop.DpCalibration;
import org.fedbeam.pipelines.loop.RoundLoop;
import org.fedbeam.pipelines.loop.Simulation;
import org.fedbeam.pipelines.loop.SimulationData;
import org.fedbeam.pipelines.rounds.RoundRecords;
import org.fedbeam.pipelines.runners.Runners;

/**
 * {@code fedbeam bench --dp}: in one run, federated training on the same silos (Fashion-MNIST, 10
 * silos, Dirichlet 0.5 by default) without DP and with DP-SGD at epsilon 1, 3 and 8 (delta from
 * {@code --dp-delta}, 1e-5 by default), each for the same rounds on one embedded Flink (a local
 * {@code --output} folder: one sub-folder per setting). Prints the
 * final test accuracy of each, the gap to no DP, the noise multiplier and the largest per-silo
 * epsilon actually spent, and ends with a line {@code BENCH} + JSON. Target: at epsilon 8, at most
 * 0.05 below no DP.
 */
final class DpBench {
  static final double[] EPSILONS = {1, 3, 8};

  private DpBench() {}

  static ObjectNode run(BenchOptions options, PrintStream out) throws Exception {
    options.setBaselines(false);
    options.setPatience(options.getRounds()); // every setting trains the same number of rounds
    String root = options.getOutput();
    options.setOutput(org.fedbeam.transforms.Artifacts.resolve(root, "data"));
    SimulationData data = SimulationData.prepare(options, out);
    RoundLoop.Settings base = Simulation.settings(options, data.featureCount(), data.classes());
    out.println("silo sizes: " + data.siloSizes());
    ObjectNode result = RoundRecords.JSON.createObjectNode();
    result.put("dataset", data.source()).put("silos", data.silos().size()).put("partition", options.getPartition())
        .put("alpha", options.getAlpha()).put("model", base.spec().describe()).put("rounds", base.maxRounds())
        .put("local_epochs", base.config().epochs()).put("batch_size", base.config().batchSize())
        .put("learning_rate", base.config().learningRate()).put("momentum", base.config().momentum())
        .put("dp_clip", options.getDpClip()).put("dp_delta", options.getDpDelta());
    try (Runners.Session session = Runners.prepare(options, options.getOutput(), options.getWebUiPort(), out)) {
      double plain = accuracy(options, session, data, base, root, "no_dp", null, result, out);
      for (double epsilon : EPSILONS) {
        String key = "eps_" + (int) epsilon;
        double acc = accuracy(options, session, data, base, root, key, epsilon, result, out);
        result.put(key + "_gap", plain - acc);
      }
    }
    options.setOutput(root);
    result.putObject("targets").put("eps_8_within_0.05_of_no_dp", result.get("eps_8_gap").asDouble() <= 0.05);
    out.println();
    out.printf("%-10s %-9s %-8s %-8s %s%n", "setting", "accuracy", "gap", "sigma", "max eps spent");
    out.printf("%-10s %.4f%n", "no DP", plain(result));
    for (double epsilon : EPSILONS) {
      String key = "eps_" + (int) epsilon;
      out.printf("%-10s %.4f    %.4f   %.3f    %.3f%n", "eps " + (int) epsilon, result.get(key + "_accuracy").asDouble(),
          result.get(key + "_gap").asDouble(), result.get(key + "_noise_multiplier").asDouble(),
          result.get(key + "_max_epsilon_spent").asDouble());
    }
    out.println("BENCH " + RoundRecords.oneLine(result));
    return result;
  }

  private static double plain(ObjectNode result) {
    return result.get("no_dp_accuracy").asDouble();
  }

  /** One federated run; records its figures under {@code key}; returns its final test accuracy. */
  private static double accuracy(BenchOptions options, Runners.Session session, SimulationData data,
      RoundLoop.Settings base, String root, String key, Double epsilon, ObjectNode result, PrintStream out) throws Exception {
    TrainConfig config = DpCalibration.calibrate(base.config(), data.siloSizes(), base.maxRounds(), epsilon,
        options.getDpDelta(), options.getDpClip());
    RoundLoop.Settings settings = base.withConfig(config);
    out.printf("%s: %s%n", key, config.privacy() == null ? "no DP"
        : String.format("epsilon %s, noise multiplier %.4f, clip %s", epsilon, config.privacy().noiseMultiplier(),
            config.privacy().clip()));
    long t0 = System.nanoTime();
    // The session translates the round pipeline once and replays it, reading the descriptor under one
    // output folder: every setting runs in root/run, which is then renamed after the setting (local folders).
    java.nio.file.Path run = java.nio.file.Path.of(root, "run");
    RoundLoop.Result fl = Simulation.run(options, session.roundRunner(), data, settings, run.toString(),
        indented(out));
    EvalReport test = fl.rounds().get(fl.rounds().size() - 1).evaluation("test");
    result.put(key + "_accuracy", test.accuracy());
    result.put(key + "_s", (System.nanoTime() - t0) / 1e9);
    java.nio.file.Path kept = java.nio.file.Path.of(root, key);
    deleteRecursively(kept);
    java.nio.file.Files.move(run, kept);
    if (config.privacy() != null) {
      Map<String, Double> spent = DpCalibration.spent(fl, config, options.getDpDelta());
      result.put(key + "_noise_multiplier", config.privacy().noiseMultiplier());
      result.put(key + "_max_epsilon_spent", spent.values().stream().mapToDouble(Double::doubleValue).max().orElse(0));
    }
    return test.accuracy();
  }

  private static void deleteRecursively(java.nio.file.Path path) throws java.io.IOException {
    if (java.nio.file.Files.exists(path)) {
      try (var walk = java.nio.file.Files.walk(path)) {
        for (java.nio.file.Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
          java.nio.file.Files.delete(p);
        }
      }
    }
  }

  private static PrintStream indented(PrintStream out) {
    return new PrintStream(out) {
      @Override
      public void println(String x) {
        super.println("  " + x);
      }
    };
  }
}
