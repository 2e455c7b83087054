package org.fedbeam.tools;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.fedbeam.pipelines.loop.SimulationData;
import org.fedbeam.pipelines.rounds.RoundRecords;
import org.fedbeam.transforms.Artifacts;

/**
 * {@code fedbeam bench --strategies}: the strategies' benchmark of docs/strategies.md, on the main
 * job's data and defaults (Fashion-MNIST, 10 silos, {@code --bench-rounds} rounds, the main job's
 * patience), on one embedded Flink:
 * <ul>
 *   <li>{@code pilot}: each strategy's parameter grid ({@link #GRID}) on seed {@code --seed}, alpha
 *       {@code --alpha}, {@code --pilot-rounds} rounds; the parameters with the best validation
 *       accuracy (never test) are the ones the other sweeps use;</li>
 *   <li>{@code accuracy}: FedAvg, FedAvgM, FedProx, FedAdam and FedYogi for each alpha of
 *       {@code --alphas} and {@code --seeds} seeds, and the centralized baseline of each data set
 *       trained for as many passes as FedAvg's run;</li>
 *   <li>{@code byzantine}: 1 Byzantine silo of 10 with each attack of {@code --attacks}, against
 *       FedAvg, trimmed mean, median and Krum, with clean FedAvg as the reference;</li>
 *   <li>{@code report}: no run, only the tables, plots and BENCH line of what the store holds.</li>
 * </ul>
 * Every run is stored in {@code OUTPUT/strategies.json} as soon as it ends ({@link StrategyRuns});
 * the tables, the plots ({@link StrategyPlots}) and the final line {@code BENCH} + JSON are made
 * from whatever the store holds.
 */
final class StrategyBench {
  /** The accuracy sweep's strategies. */
  static final List<String> ACCURACY = List.of("fedavg", "fedavgm", "fedprox", "fedadam", "fedyogi");
  /** The Byzantine sweep's strategies and their parameters. */
  static final Map<String, String> ROBUST = orderedMap("fedavg", "", "trimmed-mean", "beta=0.1", "fedmedian", "",
      "krum", "byzantine=1");
  /** The pilot's parameter grid per strategy. */
  static final Map<String, List<String>> GRID = orderedMap(
      "fedavg", List.of(""),
      "fedavgm", List.of("server_lr=1,server_momentum=0.5", "server_lr=1,server_momentum=0.9"),
      "fedprox", List.of("mu=0.001", "mu=0.01", "mu=0.1"),
      "fedadam", List.of("server_lr=0.003,tau=0.001", "server_lr=0.01,tau=0.001", "server_lr=0.03,tau=0.001"),
      "fedyogi", List.of("server_lr=0.003,tau=0.001", "server_lr=0.01,tau=0.001", "server_lr=0.03,tau=0.001"));
  /** Parameters used when no pilot has run (the middle of each grid). */
  static final Map<String, String> FALLBACK = orderedMap("fedavg", "", "fedavgm", "server_lr=1,server_momentum=0.9",
      "fedprox", "mu=0.01", "fedadam", "server_lr=0.01,tau=0.001", "fedyogi", "server_lr=0.01,tau=0.001");
  static final Set<String> SWEEPS = Set.of("pilot", "accuracy", "byzantine", "all", "report");

  private StrategyBench() {}

  static ObjectNode run(BenchOptions options, PrintStream out) throws Exception {
    List<String> sweeps = parseSweeps(options.getStrategySweep());
    List<Double> alphas = parseAlphas(options.getAlphas());
    if (options.getSeeds() < 1) {
      throw new IllegalArgumentException("--seeds must be >= 1, was " + options.getSeeds());
    }
    if (options.getPilotRounds() < 1 || options.getBenchRounds() < 1) {
      throw new IllegalArgumentException("--pilot-rounds and --bench-rounds must be >= 1, were "
          + options.getPilotRounds() + " and " + options.getBenchRounds());
    }
    List<String> only = parseList(options.getBenchStrategies());
    List<String> attacks = parseList(options.getAttacks());
    options.setBaselines(false);
    Path root = Path.of(options.getOutput()).toAbsolutePath();
    Files.createDirectories(root);
    long seed0 = options.getSeed();
    double byzantineAlpha = options.getAlpha();
    int rounds = options.getBenchRounds();
    StrategyRuns runs;
    runs = new StrategyRuns(options, root, out);
    try (runs) {
      ObjectNode job = runs.store().putObject("job");
      job.put("dataset", options.getDataset()).put("silos", options.getSilos()).put("rounds", rounds)
          .put("pilot_rounds", options.getPilotRounds()).put("patience", options.getPatience())
          .put("tolerance", options.getTolerance()).put("epochs", options.getEpochs()).put("lr", options.getLr())
          .put("batch_size", options.getBatchSize()).put("momentum", options.getMomentum())
          .put("model", options.getModel() + " " + options.getHidden());
      if (sweeps.contains("pilot")) {
        SimulationData data = data(options, root, byzantineAlpha, seed0, out);
        for (var e : GRID.entrySet()) {
          for (String params : only.isEmpty() || only.contains(e.getKey()) ? e.getValue() : List.<String>of()) {
            runs.federated(new StrategyRuns.Spec("pilot", e.getKey(), params, byzantineAlpha, seed0,
                options.getPilotRounds(), 0, "sign-flip"), data);
          }
        }
        StrategyRuns.deleteRecursively(root.resolve("data"));
      }
      Map<String, String> chosen = StrategySummary.pilotChoice(runs.runs(), FALLBACK);
      runs.store().set("pilot", RoundRecords.JSON.valueToTree(chosen));
      runs.save();
      if (sweeps.contains("accuracy")) {
        for (double alpha : alphas) {
          for (int i = 0; i < options.getSeeds(); i++) {
            long seed = seed0 + i;
            SimulationData data = data(options, root, alpha, seed, out);
            int passes = -1;
            for (String strategy : ACCURACY) {
              if (only.isEmpty() || only.contains(strategy)) {
                JsonNode run = runs.federated(new StrategyRuns.Spec("accuracy", strategy, chosen.get(strategy), alpha,
                    seed, rounds, 0, "sign-flip"), data);
                if (passes < 0 || strategy.equals("fedavg")) {
                  passes = run.get("rounds_run").asInt() * options.getEpochs(); // FedAvg's, else the first's
                }
              }
            }
            if (passes > 0) {
              options.setAlpha(alpha);
              runs.centralized("centralized/a" + alpha + "/s" + seed, data, seed, passes);
            }
            StrategyRuns.deleteRecursively(root.resolve("data"));
          }
        }
      }
      if (sweeps.contains("byzantine")) {
        SimulationData data = data(options, root, byzantineAlpha, seed0, out);
        // the clean reference is the accuracy sweep's FedAvg run on these data (one run, shared)
        runs.federated(new StrategyRuns.Spec("accuracy", "fedavg", "", byzantineAlpha, seed0, rounds, 0, "sign-flip"),
            data);
        for (String attack : attacks) {
          for (var e : ROBUST.entrySet()) {
            if (only.isEmpty() || only.contains(e.getKey())) {
              runs.federated(new StrategyRuns.Spec("byzantine", e.getKey(), e.getValue(), byzantineAlpha, seed0, rounds,
                  1, attack), data);
            }
          }
        }
        StrategyRuns.deleteRecursively(root.resolve("data"));
      }
    }
    return report(runs, root, options, byzantineAlpha, seed0, out);
  }

  /** Summaries, tables, plots and the BENCH line from whatever the store holds. */
  static ObjectNode report(StrategyRuns runs, Path root, BenchOptions options, double byzantineAlpha, long seed0,
      PrintStream out) throws Exception {
    StrategySummary summary = new StrategySummary(runs.runs(), options.getBenchRounds());
    ObjectNode accuracy = summary.accuracy();
    ObjectNode byzantine = summary.byzantine(byzantineAlpha, seed0);
    ObjectNode result = RoundRecords.JSON.createObjectNode();
    result.put("results", root.resolve("strategies.json").toString());
    result.set("job", runs.store().get("job"));
    result.set("pilot", runs.store().get("pilot"));
    result.set("pilot_runs", summary.pilot());
    result.set("accuracy", accuracy);
    result.set("byzantine", byzantine);
    ObjectNode targets = result.putObject("targets");
    summary.targets(accuracy, byzantine, targets);
    runs.store().set("summary", result);
    runs.save();
    List<String> svgs = new ArrayList<>();
    String accuracySvg = StrategyPlots.accuracy(runs.runs(), seed0);
    String byzantineSvg = StrategyPlots.byzantine(byzantine);
    List<Path> dirs = new ArrayList<>(List.of(root));
    if (options.getSvgDir() != null && !options.getSvgDir().isBlank()) {
      dirs.add(Path.of(options.getSvgDir()));
    }
    for (Path dir : dirs) {
      Files.createDirectories(dir);
      Files.writeString(dir.resolve("strategies-accuracy.svg"), accuracySvg);
      Files.writeString(dir.resolve("strategies-byzantine.svg"), byzantineSvg);
      svgs.add(dir.resolve("strategies-accuracy.svg").toString());
      svgs.add(dir.resolve("strategies-byzantine.svg").toString());
    }
    result.set("svg", RoundRecords.JSON.valueToTree(svgs));
    out.println();
    summary.print(accuracy, byzantine, out);
    out.println("BENCH " + RoundRecords.oneLine(result));
    return result;
  }

  /** The simulation data of one (alpha, seed), written under {@code root/data}. */
  private static SimulationData data(BenchOptions options, Path root, double alpha, long seed, PrintStream out) {
    options.setAlpha(alpha);
    options.setSeed(seed);
    options.setOutput(Artifacts.resolve(root.toString(), "data"));
    try {
      SimulationData data = SimulationData.prepare(options, out);
      out.println("data: alpha " + alpha + ", seed " + seed + ", silo sizes " + data.siloSizes());
      return data;
    } finally {
      options.setOutput(root.toString());
    }
  }

  static List<String> parseSweeps(String text) {
    List<String> sweeps = parseList(text);
    for (String s : sweeps) {
      if (!SWEEPS.contains(s)) {
        throw new IllegalArgumentException("--strategy-sweep must be pilot, accuracy, byzantine, all or report"
            + " (comma-separated), was '" + text + "'");
      }
    }
    if (sweeps.isEmpty()) {
      throw new IllegalArgumentException("--strategy-sweep names no sweep, was '" + text + "'");
    }
    return sweeps.contains("all") ? List.of("pilot", "accuracy", "byzantine") : sweeps;
  }

  static List<Double> parseAlphas(String text) {
    List<Double> alphas = new ArrayList<>();
    for (String a : parseList(text)) {
      try {
        double alpha = Double.parseDouble(a);
        if (!(alpha > 0)) {
          throw new NumberFormatException();
        }
        alphas.add(alpha);
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("--alphas must be positive numbers, comma-separated, was '" + text + "'");
      }
    }
    return alphas;
  }

  static List<String> parseList(String text) {
    List<String> items = new ArrayList<>();
    for (String s : (text == null ? "" : text).split(",")) {
      if (!s.isBlank()) {
        items.add(s.trim());
      }
    }
    return items;
  }

  @SuppressWarnings("unchecked")
  private static <V> Map<String, V> orderedMap(Object... pairs) {
    Map<String, V> map = new LinkedHashMap<>();
    for (int i = 0; i < pairs.length; i += 2) {
      map.put((String) pairs[i], (V) pairs[i + 1]);
    }
    return java.util.Collections.unmodifiableMap(map);
  }

  static PrintStream indented(PrintStream out) {
    return new PrintStream(out) {
      @Override
      public void println(String x) {
        super.println("  " + x);
      }
    };
  }
}
