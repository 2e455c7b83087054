package org.fedbeam.pipelines.loop;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.function.Supplier;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.options.PipelineOptions;
import org.fedbeam.model.DenseNetwork;
import org.fedbeam.model.EvalReport;
import org.fedbeam.model.ModelFormat;
import org.fedbeam.model.ModelSpec;
import org.fedbeam.model.Parameters;
import org.fedbeam.model.Stats;
import org.fedbeam.model.SystemMetadata;
import org.fedbeam.model.TrainConfig;
import org.fedbeam.pipelines.rounds.RoundDescriptor;
import org.fedbeam.pipelines.rounds.RoundPipeline;
import org.fedbeam.pipelines.rounds.RoundRecords;
import org.fedbeam.pipelines.runners.RoundRunner;
import org.fedbeam.transforms.Artifacts;
import org.fedbeam.transforms.SiloTask;

/**
 * The orchestrator's loop in simulation mode, in the shape of Flower's {@code start()}: configure
 * the round (write its {@link RoundDescriptor}) -> run it (one bounded Beam pipeline, the same
 * every round, through a {@link RoundRunner}) -> read the aggregate and its evaluation ->
 * record -> check convergence. It stops after {@code maxRounds} or when the validation loss has
 * improved by less than {@code tolerance} for {@code patience} rounds in a row.
 *
 * <p>It writes, under the output folder: {@code models/round-NNNN.fbm} (round 0 is the initial
 * model) with a provenance sidecar {@code round-NNNN.json}, the round records under
 * {@code rounds/round-NNNN/}, and {@code metrics.csv} (rewritten atomically after every round).
 */
public final class FederatedDriver {
  /** What the driver is asked to do. */
  public record Settings(ModelSpec spec, TrainConfig config, int maxRounds, int patience, double tolerance, long seed) {
    public Settings {
      if (maxRounds < 1) {
        throw new IllegalArgumentException("rounds must be >= 1, was " + maxRounds);
      }
      if (patience < 1) {
        throw new IllegalArgumentException("patience must be >= 1, was " + patience);
      }
      if (!(tolerance >= 0)) {
        throw new IllegalArgumentException("tolerance must be >= 0, was " + tolerance);
      }
    }

    /** The same settings with another local training config (e.g. with DP-SGD calibrated). */
    public Settings withConfig(TrainConfig newConfig) {
      return new Settings(spec, newConfig, maxRounds, patience, tolerance, seed);
    }
  }

  /** One finished round, as the driver saw it. */
  public record RoundStats(int round, double wallSeconds, String slowestSilo, double slowestSiloSeconds,
      SortedMap<String, SystemMetadata> participants, SortedMap<String, String> skipped,
      Map<String, EvalReport> evaluations, String modelUri) {
    public double overheadSeconds() {
      return wallSeconds - slowestSiloSeconds;
    }

    public EvalReport evaluation(String name) {
      return evaluations.get(name);
    }
  }

  /** The run's outcome. */
  public record Result(List<RoundStats> rounds, String finalModelUri, boolean converged, Parameters initialModel) {
    /** The median over rounds of a per-round figure. */
    public double median(java.util.function.ToDoubleFunction<RoundStats> figure) {
      return Stats.median(rounds.stream().mapToDouble(figure).toArray());
    }
  }

  private FederatedDriver() {}

  /** Runs the rounds with the runner {@code pipelineOptions} select, building each round's pipeline anew. */
  public static Result run(PipelineOptions pipelineOptions, SimulationData data, Settings settings, String output,
      PrintStream progress) {
    return run(pipelineOptions, RoundRunner.beam(), data, settings, output, progress);
  }

  /** Runs the rounds with {@code runner}; under DP, metrics.csv reports each silo's epsilon at delta 1e-5. */
  public static Result run(PipelineOptions pipelineOptions, RoundRunner runner, SimulationData data, Settings settings,
      String output, PrintStream progress) {
    return run(pipelineOptions, runner, data, settings, output, progress, 1e-5);
  }

  /** Runs the rounds with {@code runner}; under DP, metrics.csv reports each silo's epsilon so far at {@code dpDelta}. */
  public static Result run(PipelineOptions pipelineOptions, RoundRunner runner, SimulationData data, Settings settings,
      String output, PrintStream progress, double dpDelta) {
    DenseNetwork network = new DenseNetwork(settings.spec());
    Parameters initial = network.initialize(settings.seed());
    String descriptorUri = RoundDescriptor.uri(output);
    RoundPipeline.Plan plan = new RoundPipeline.Plan(descriptorUri, settings.spec(), data.evaluationSets(),
        workers(pipelineOptions));
    Supplier<Pipeline> pipeline = () -> {
      Pipeline p = Pipeline.create(pipelineOptions);
      RoundPipeline.build(p, plan);
      return p;
    };
    Map<String, Long> shardBytes = shardBytes(data.silos());
    SiloSeeds seeds = SiloSeeds.from(pipelineOptions.as(TrainOptions.class), data.silos().keySet(), settings.seed());
    String parentUri = modelUri(output, 0);
    Artifacts.writeAtomically(parentUri, ModelFormat.encode(initial));
    Provenance.write(parentUri, Provenance.initial(settings));
    MetricsCsv metrics = new MetricsCsv(Artifacts.resolve(output, "metrics.csv"), settings.config(), dpDelta);
    List<RoundStats> rounds = new ArrayList<>();
    List<String> evalNames = new ArrayList<>(data.evaluationSets().keySet());
    double best = Double.POSITIVE_INFINITY;
    int stale = 0;
    boolean converged = false;
    for (int round = 1; round <= settings.maxRounds(); round++) {
      String roundDir = Artifacts.resolve(Artifacts.resolve(output, "rounds"), String.format("round-%04d", round));
      String modelUri = modelUri(output, round);
      RoundRecords.clear(roundDir);
      long start = System.nanoTime();
      new RoundDescriptor(round, parentUri, modelUri, roundDir, tasks(data, settings, seeds, round), shardBytes)
          .write(descriptorUri);
      runner.run(round, pipeline);
      if (!Artifacts.exists(modelUri)) {
        throw new IllegalStateException("round " + round + " produced no global model: no silo sent an update"
            + " (left out: " + RoundRecords.readSkipped(roundDir) + ")");
      }
      RoundRecords.Outcome outcome = RoundRecords.read(round, roundDir, evalNames);
      double wall = (System.nanoTime() - start) / 1e9;
      RoundStats stats = stats(round, wall, outcome, modelUri);
      rounds.add(stats);
      Provenance.write(modelUri, Provenance.ofRound(settings, stats, parentUri));
      parentUri = modelUri;
      metrics.append(stats);
      progress.println(progressLine(stats, settings.maxRounds()));
      for (var skipped : outcome.skipped().entrySet()) {
        progress.println("  left out " + skipped.getKey() + ": " + skipped.getValue());
      }
      EvalReport validation = outcome.evaluations().get("validation");
      if (validation != null) {
        if (validation.logLoss() < best - settings.tolerance()) {
          best = validation.logLoss();
          stale = 0;
        } else if (++stale >= settings.patience()) {
          converged = true;
          progress.printf("converged: validation loss improved by less than %g for %d rounds%n", settings.tolerance(),
              settings.patience());
          break;
        }
      }
    }
    RoundStats last = rounds.get(rounds.size() - 1);
    return new Result(rounds, last.modelUri(), converged, initial);
  }

  static String modelUri(String output, int round) {
    return Artifacts.resolve(Artifacts.resolve(output, "models"), String.format("round-%04d.fbm", round));
  }

  static List<SiloTask> tasks(SimulationData data, Settings settings, SiloSeeds seeds, int round) {
    List<SiloTask> tasks = new ArrayList<>();
    int index = 0;
    for (var silo : data.silos().entrySet()) {
      tasks.add(new SiloTask(silo.getKey(), silo.getValue(), round, seeds.seed(silo.getKey(), index++, round),
          settings.config()));
    }
    return tasks;
  }

  /** Each silo's shard size in bytes (0 if it cannot be found: training then fails naming the file). */
  public static Map<String, Long> shardBytes(Map<String, String> silos) {
    Map<String, Long> bytes = new java.util.HashMap<>();
    for (var silo : silos.entrySet()) {
      var metadata = Artifacts.metadataOrNull(silo.getValue());
      bytes.put(silo.getKey(), metadata == null ? 0L : metadata.sizeBytes());
    }
    return bytes;
  }

  /** How many silos train at once: the Flink parallelism when set, else this machine's cores. */
  static int workers(PipelineOptions options) {
    int parallelism = options.as(org.apache.beam.runners.flink.FlinkPipelineOptions.class).getParallelism();
    return parallelism > 0 ? parallelism : Runtime.getRuntime().availableProcessors();
  }

  private static RoundStats stats(int round, double wall, RoundRecords.Outcome outcome, String modelUri) {
    String slowest = null;
    long slowestMillis = -1;
    for (var p : outcome.participants().entrySet()) {
      if (p.getValue().trainMillis() > slowestMillis) {
        slowestMillis = p.getValue().trainMillis();
        slowest = p.getKey();
      }
    }
    return new RoundStats(round, wall, slowest, slowestMillis / 1000.0, outcome.participants(), outcome.skipped(),
        outcome.evaluations(), modelUri);
  }

  static String progressLine(RoundStats s, int maxRounds) {
    StringBuilder line = new StringBuilder(String.format("round %d/%d  wall %.2fs", s.round(), maxRounds, s.wallSeconds()));
    EvalReport test = s.evaluation("test");
    if (test != null) {
      line.append(String.format("  test acc %.4f loss %.4f", test.accuracy(), test.logLoss()));
    }
    EvalReport validation = s.evaluation("validation");
    if (validation != null) {
      line.append(String.format("  val loss %.4f", validation.logLoss()));
    }
    line.append(String.format("  slowest %s %.2fs  silos %d", s.slowestSilo(), s.slowestSiloSeconds(), s.participants().size()));
    if (!s.skipped().isEmpty()) {
      line.append(" (").append(s.skipped().size()).append(" left out)");
    }
    return line.toString();
  }
}
