package org.fedbeam.tools;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;
import java.util.List;
import org.fedbeam.model.EvalReport;
import org.fedbeam.model.Parameters;
import org.fedbeam.pipelines.loop.Baselines;
import org.fedbeam.pipelines.loop.RoundLoop;
import org.fedbeam.pipelines.loop.Simulation;
import org.fedbeam.pipelines.loop.SimulationData;
import org.fedbeam.pipelines.loop.SimulationRounds;
import org.fedbeam.pipelines.rounds.RoundRecords;
import org.fedbeam.pipelines.runners.Runners;

/**
 * The runs of {@code fedbeam bench --strategies} and their store: {@code OUTPUT/strategies.json},
 * rewritten (atomically) after every run, so that an interrupted benchmark keeps what finished and a
 * second invocation with the same {@code --output} skips the runs it already holds. Each run trains
 * in {@code OUTPUT/run} on one embedded Flink session; its {@code metrics.csv} is kept as {@code
 * OUTPUT/runs/KEY.csv} and the rest (models, round records) is deleted.
 *
 * <p>A session's round runner translates the round pipeline once and replays that job graph for
 * every later round it runs, whatever pipeline it is handed; the strategy (its aggregator and server
 * step) is part of that pipeline. So runs share a session only while the strategy and its parameters
 * stay the same: another strategy gets a new embedded Flink session.
 */
final class StrategyRuns implements AutoCloseable {
  private final BenchOptions options;
  private Runners.Session session;
  private String sessionStrategy;
  private final Path root;
  private final Path file;
  private final ObjectNode store;
  private final PrintStream out;

  StrategyRuns(BenchOptions options, Path root, PrintStream out) throws IOException {
    this.options = options;
    this.root = root;
    this.out = out;
    this.file = root.resolve("strategies.json");
    this.store = Files.exists(file) ? (ObjectNode) RoundRecords.JSON.readTree(file.toFile())
        : RoundRecords.JSON.createObjectNode();
    if (!store.has("runs")) {
      store.putObject("runs");
    }
  }

  /** Every run stored so far, by key. */
  ObjectNode runs() {
    return (ObjectNode) store.get("runs");
  }

  /** The whole store (runs, and the summaries {@link StrategyBench} puts next to them). */
  ObjectNode store() {
    return store;
  }

  /** What a federated run is: its strategy and parameters, data (alpha, seed), rounds and attack. */
  record Spec(String sweep, String strategy, String params, double alpha, long seed, int rounds, int byzantine,
      String attack) {
    String key() {
      String base = sweep + "/a" + alpha + "/s" + seed + "/" + strategy + (params.isEmpty() ? "" : "[" + params + "]");
      return (rounds == 0 ? base : base + "/r" + rounds) + (byzantine == 0 ? "" : "/byz" + byzantine + "-" + attack);
    }
  }

  /** The stored record of {@code spec}'s run, running it first if the store does not hold it. */
  JsonNode federated(Spec spec, SimulationData data) throws Exception {
    String key = spec.key();
    if (runs().has(key)) {
      out.println(key + ": stored, not run again");
      return runs().get(key);
    }
    out.println(key + ": running");
    options.setStrategy(spec.strategy());
    options.setStrategyParams(spec.params());
    options.setSeed(spec.seed());
    options.setRounds(spec.rounds());
    options.setByzantine(spec.byzantine());
    options.setAttack(spec.attack());
    RoundLoop.Settings settings = Simulation.settings(options, data.featureCount(), data.classes());
    Path run = root.resolve("run");
    deleteRecursively(run);
    String saved = options.getOutput();
    long t0 = System.nanoTime();
    RoundLoop.Result fl;
    SimulationRounds executor;
    try {
      options.setOutput(run.toString());
      executor = Simulation.executor(options, runner(spec.strategy() + "[" + spec.params() + "]"), data, settings);
      fl = RoundLoop.run(settings, executor, run.toString(), StrategyBench.indented(out), options.getDpDelta());
    } finally {
      options.setOutput(saved);
    }
    ObjectNode record = RoundRecords.JSON.createObjectNode();
    record.put("sweep", spec.sweep()).put("strategy", spec.strategy()).put("params", spec.params())
        .put("alpha", spec.alpha()).put("seed", spec.seed()).put("max_rounds", spec.rounds())
        .put("byzantine", spec.byzantine());
    if (spec.byzantine() > 0) {
      record.put("attack", spec.attack());
      ArrayNode silos = record.putArray("byzantine_silos");
      executor.attacks().all().keySet().forEach(silos::add);
    }
    describe(record, fl);
    record.put("seconds", (System.nanoTime() - t0) / 1e9);
    Path csv = root.resolve("runs").resolve(key.replaceAll("[^A-Za-z0-9._=-]+", "_") + ".csv");
    Files.createDirectories(csv.getParent());
    Files.copy(run.resolve("metrics.csv"), csv, StandardCopyOption.REPLACE_EXISTING);
    record.put("metrics_csv", root.relativize(csv).toString());
    deleteRecursively(run);
    put(key, record);
    out.printf("%s: final test %.4f, best validation %.4f (round %d, test %.4f), %d rounds, %.0f s%n", key,
        record.get("final_test_accuracy").asDouble(), record.get("best_validation_accuracy").asDouble(),
        record.get("best_validation_round").asInt(), record.get("test_at_best_validation").asDouble(),
        record.get("rounds_run").asInt(), record.get("seconds").asDouble());
    return record;
  }

  /** The round runner of a session whose translated pipeline is that of {@code strategy} (name and parameters). */
  private org.fedbeam.pipelines.runners.RoundRunner runner(String strategy) throws Exception {
    if (session == null || !strategy.equals(sessionStrategy)) {
      close();
      session = Runners.prepare(options, root.toString(), options.getWebUiPort(), StrategyBench.indented(out));
      sessionStrategy = strategy;
    }
    return session.roundRunner();
  }

  @Override
  public void close() throws Exception {
    if (session != null) {
      session.close();
      session = null;
    }
  }

  /** Final and best-validation figures and the per-round curves of a finished run. */
  static void describe(ObjectNode record, RoundLoop.Result fl) {
    List<RoundLoop.RoundStats> rounds = fl.rounds();
    ArrayNode test = record.putArray("test_accuracy");
    ArrayNode validation = record.putArray("validation_accuracy");
    int best = 0;
    for (int i = 0; i < rounds.size(); i++) {
      test.add(rounds.get(i).evaluation("test").accuracy());
      validation.add(rounds.get(i).evaluation("validation").accuracy());
      if (validation.get(i).asDouble() > validation.get(best).asDouble()) {
        best = i; // the earliest round of the highest validation accuracy
      }
    }
    EvalReport last = fl.last().evaluation("test");
    record.put("rounds_run", rounds.size()).put("stop_reason", fl.stopReason())
        .put("final_test_accuracy", last.accuracy()).put("final_test_log_loss", last.logLoss())
        .put("final_validation_accuracy", fl.last().evaluation("validation").accuracy())
        .put("best_validation_accuracy", validation.get(best).asDouble())
        .put("best_validation_round", rounds.get(best).round())
        .put("test_at_best_validation", test.get(best).asDouble());
  }

  /**
   * The centralized baseline of one data set ({@link Baselines}: the pooled shards, the model's
   * initial weights for {@code seed}, the same config), trained for {@code passes} passes.
   */
  JsonNode centralized(String key, SimulationData data, long seed, int passes) throws Exception {
    if (runs().has(key)) {
      out.println(key + ": stored, not run again");
      return runs().get(key);
    }
    out.println(key + ": centralized and local baselines, " + passes + " passes");
    options.setSeed(seed);
    options.setStrategy("fedavg");
    options.setStrategyParams("");
    options.setByzantine(0);
    RoundLoop.Settings settings = Simulation.settings(options, data.featureCount(), data.classes());
    Parameters start = settings.spec().learner().initialize(seed);
    Baselines.Result result = Baselines.run(data, start, settings.config(), passes, seed, 2);
    ObjectNode record = RoundRecords.JSON.createObjectNode();
    record.put("sweep", "centralized").put("alpha", options.getAlpha()).put("seed", seed).put("passes", passes)
        .put("test_accuracy", result.centralized().accuracy()).put("test_log_loss", result.centralized().logLoss())
        .put("local_mean_test_accuracy", result.localMean()).put("local_min_test_accuracy", result.localMin())
        .put("seconds", result.seconds());
    put(key, record);
    out.printf("%s: centralized test %.4f, local mean %.4f, %.0f s%n", key, result.centralized().accuracy(),
        result.localMean(), result.seconds());
    return record;
  }

  private void put(String key, ObjectNode record) throws IOException {
    runs().set(key, record);
    save();
  }

  /** Writes the store atomically. */
  void save() throws IOException {
    Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
    Files.createDirectories(file.getParent());
    Files.write(tmp, RoundRecords.JSON.writeValueAsBytes(store));
    Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
  }

  static void deleteRecursively(Path path) throws IOException {
    if (Files.exists(path)) {
      try (var walk = Files.walk(path)) {
        for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
          Files.delete(p);
        }
      }
    }
  }
}
