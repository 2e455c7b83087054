package org.fedbeam.pipelines.loop;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SortedMap;
import org.fedbeam.model.EvalReport;
import org.fedbeam.model.ModelFormat;
import org.fedbeam.model.ModelSpec;
import org.fedbeam.model.Parameters;
import org.fedbeam.model.SystemMetadata;
import org.fedbeam.model.TrainConfig;
import org.fedbeam.model.strategy.Participation;
import org.fedbeam.model.strategy.ServerState;
import org.fedbeam.model.strategy.StopRule;
import org.fedbeam.model.strategy.Strategy;
import org.fedbeam.transforms.Artifacts;

/**
 * The one round loop of FedBeam, in the shape of Flower's {@code start()}, for the simulation and
 * the federated deployment alike: choose the round's silos -> configure the round -> run it (the
 * {@link Executor}: aggregate, server step, evaluate) -> record -> stop? Only the executor differs
 * between the modes: the simulation's round pipeline on one Flink, or the exchange with the silos
 * and the orchestrator's aggregation pipeline.
 *
 * <p>Under the output folder, for both modes: {@code models/round-NNNN.fbm} (round 0 is the
 * initial model) with its provenance sidecar {@code round-NNNN.json}; the strategy's server state
 * after each round, {@code state/round-NNNN.state}, written before the round's model (a model's
 * presence means its round is complete); the round records under {@code rounds/round-NNNN/};
 * {@code metrics.csv} (rewritten atomically after every round); and the same progress line per
 * round. {@link RunSummary} turns the result into the summary keys both modes share.
 */
public final class RoundLoop {
  /**
   * What the loop is asked to do.
   *
   * @param spec the model's shape
   * @param config the base local training config (the strategy may change it per round)
   * @param strategy the server side's algorithm
   * @param participation which silos take part in each round
   * @param maxRounds the most rounds to run
   * @param stopRule when to stop early
   * @param seed the run's seed: the initial model, the silos sampled each round
   * @param initialModel the model round 1 starts from (a pretrained model), or null to initialize one from the seed
   * @param initialOrigin where {@code initialModel} came from, for the provenance (null with no initial model)
   */
  public record Settings(ModelSpec spec, TrainConfig config, Strategy strategy, Participation participation,
      int maxRounds, StopRule stopRule, long seed, Parameters initialModel, String initialOrigin) {
    public Settings {
      if (spec == null || config == null || strategy == null || participation == null || stopRule == null) {
        throw new IllegalArgumentException("settings need a model, a config, a strategy, a participation and a stop rule");
      }
      if (maxRounds < 1) {
        throw new IllegalArgumentException("rounds must be >= 1, was " + maxRounds);
      }
      if (initialModel != null && !initialModel.spec().equals(spec)) {
        throw new IllegalArgumentException("the initial model " + (initialOrigin == null ? "" : initialOrigin + " ")
            + "is " + initialModel.spec().describe() + ", the run's model is " + spec.describe());
      }
    }

    /** Settings that start from a model initialized from {@code seed}. */
    public Settings(ModelSpec spec, TrainConfig config, Strategy strategy, Participation participation, int maxRounds,
        StopRule stopRule, long seed) {
      this(spec, config, strategy, participation, maxRounds, stopRule, seed, null, null);
    }

    /** The same settings with another base config (e.g. with DP-SGD calibrated). */
    public Settings withConfig(TrainConfig newConfig) {
      return new Settings(spec, newConfig, strategy, participation, maxRounds, stopRule, seed, initialModel,
          initialOrigin);
    }

    /** The same settings starting from {@code model} (a pretrained model), which came from {@code origin}. */
    public Settings withInitialModel(Parameters model, String origin) {
      return new Settings(spec, config, strategy, participation, maxRounds, stopRule, seed, model, origin);
    }

    /** The model round 1 starts from. */
    public Parameters startingModel() {
      return initialModel != null ? initialModel : spec.learner().initialize(seed);
    }
  }

  /** What runs one round: the only part of the loop that differs between the modes. */
  public interface Executor {
    /** {@code simulation} or {@code federated}. */
    String mode();

    /** Every silo of the federation, in a stable order. */
    List<String> silos();

    /** Called once before round 1, with the initial model in place (warm-up, translation). */
    default void prepare(String initialModelUri) {}

    /**
     * Runs {@code round}: the silos train from the global model, the updates are aggregated with the
     * strategy's aggregator, the strategy's server step writes the new global model to
     * {@link Round#modelUri()} and its state to {@link Round#stateOutUri()}, and the new model is
     * evaluated. Throws if the round cannot complete; the message says why.
     */
    RoundOutcome run(Round round) throws Exception;

    /** Adds what this mode knows of round {@code round} to its entry in the summary's {@code rounds}. */
    default void describeRound(int round, com.fasterxml.jackson.databind.node.ObjectNode entry) {}

    /** Adds this mode's own keys to the run summary. */
    default void summarize(com.fasterxml.jackson.databind.node.ObjectNode summary) {}
  }

  /** One round as the loop asks an executor to run it. */
  public record Round(int round, List<String> silos, TrainConfig config, String globalModelUri, String modelUri,
      String roundDir, String stateInUri, String stateOutUri) {}

  /**
   * What an executor reports of a finished round.
   *
   * @param participants the silos whose updates were aggregated, with their system metadata
   * @param leftOut the silos asked but not aggregated, with the reason
   * @param evaluations the new global model's evaluations, by data set name
   */
  public record RoundOutcome(SortedMap<String, SystemMetadata> participants, SortedMap<String, String> leftOut,
      Map<String, EvalReport> evaluations) {}

  /** One finished round, as the loop saw it. */
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
  public record Result(List<RoundStats> rounds, String finalModelUri, boolean converged, String stopReason,
      Parameters initialModel) {
    /** The median over rounds of a per-round figure. */
    public double median(java.util.function.ToDoubleFunction<RoundStats> figure) {
      return org.fedbeam.model.Stats.median(rounds.stream().mapToDouble(figure).toArray());
    }

    /** The last round. */
    public RoundStats last() {
      return rounds.get(rounds.size() - 1);
    }

    /**
     * The round whose model scored the highest validation accuracy (the earliest of equals); the
     * last round when no round was evaluated on a validation set.
     */
    public RoundStats best() {
      RoundStats best = null;
      for (RoundStats r : rounds) {
        EvalReport v = r.evaluation("validation");
        if (v != null && (best == null || v.accuracy() > best.evaluation("validation").accuracy())) {
          best = r;
        }
      }
      return best == null ? last() : best;
    }
  }

  private RoundLoop() {}

  /**
   * Checks what can be checked before round 1: the participation against the federation, the
   * strategy against the silos each round asks.
   */
  public static void validate(Settings settings, int silos) {
    settings.participation().validate(silos);
    settings.strategy().validate(settings.participation().perRound(silos));
  }

  /**
   * Runs the rounds with {@code executor}, writing under {@code output}; under DP, metrics.csv
   * reports each silo's epsilon so far at {@code dpDelta}.
   */
  public static Result run(Settings settings, Executor executor, String output, PrintStream progress, double dpDelta)
      throws Exception {
    List<String> silos = executor.silos();
    validate(settings, silos.size());
    Strategy strategy = settings.strategy();
    Parameters initial = settings.startingModel();
    String parentUri = modelUri(output, 0);
    String stateUri = stateUri(output, 0);
    Artifacts.writeAtomically(stateUri, strategy.initialState(initial).encode());
    Artifacts.writeAtomically(parentUri, ModelFormat.encode(initial));
    Provenance.write(parentUri, Provenance.initial(settings));
    executor.prepare(parentUri);
    MetricsCsv metrics = new MetricsCsv(Artifacts.resolve(output, "metrics.csv"), settings.config(), dpDelta);
    List<RoundStats> rounds = new ArrayList<>();
    List<Double> losses = new ArrayList<>();
    String stopReason = null;
    for (int round = 1; round <= settings.maxRounds(); round++) {
      List<String> chosen = settings.participation().sample(round, silos, settings.seed());
      Round spec = new Round(round, chosen, strategy.configureRound(round, settings.config()), parentUri,
          modelUri(output, round), roundDir(output, round), stateUri, stateUri(output, round));
      long start = System.nanoTime();
      RoundOutcome outcome = executor.run(spec);
      double wall = (System.nanoTime() - start) / 1e9;
      if (!Artifacts.exists(spec.modelUri())) {
        throw new IllegalStateException("round " + round + " produced no global model (left out: " + outcome.leftOut() + ")");
      }
      String refused = null;
      if (outcome.participants().size() < settings.participation().minSilos()) {
        refused = "round " + round + " aggregated " + outcome.participants().size() + " update(s), fewer than min_silos "
            + settings.participation().minSilos() + " (left out: " + outcome.leftOut() + ")";
      } else if (!strategy.accept(round, outcome.participants().size(), outcome.leftOut().size())) {
        refused = "strategy " + strategy.name() + " does not accept round " + round + " with "
            + outcome.participants().size() + " update(s) and " + outcome.leftOut().size() + " failure(s)";
      }
      if (refused != null) {
        // the round does not count: no model of it may stay behind to be taken for a complete round
        Artifacts.deleteIfExists(spec.modelUri());
        Artifacts.deleteIfExists(spec.stateOutUri());
        throw new IllegalStateException(refused + "; its model was removed");
      }
      RoundStats stats = stats(round, wall, outcome, spec.modelUri());
      rounds.add(stats);
      Provenance.write(spec.modelUri(), Provenance.ofRound(settings, stats, spec, parentUri));
      metrics.append(stats);
      progress.println(progressLine(stats, settings.maxRounds()));
      outcome.leftOut().forEach((silo, reason) -> progress.println("  left out " + silo + ": " + reason));
      progress.flush();
      parentUri = spec.modelUri();
      stateUri = spec.stateOutUri();
      EvalReport validation = outcome.evaluations().get("validation");
      losses.add(validation == null ? Double.NaN : validation.logLoss());
      stopReason = settings.stopRule().stop(losses);
      if (stopReason != null) {
        progress.println(stopReason);
        break;
      }
    }
    return new Result(rounds, parentUri, stopReason != null, stopReason, initial);
  }

  /** {@code OUTPUT/models/round-NNNN.fbm}. */
  public static String modelUri(String output, int round) {
    return Artifacts.resolve(Artifacts.resolve(output, "models"), String.format(Locale.ROOT, "round-%04d.fbm", round));
  }

  /** {@code OUTPUT/state/round-NNNN.state}: the strategy's server state after round NNNN. */
  public static String stateUri(String output, int round) {
    return Artifacts.resolve(Artifacts.resolve(output, "state"), String.format(Locale.ROOT, "round-%04d.state", round));
  }

  /** {@code OUTPUT/rounds/round-NNNN}. */
  public static String roundDir(String output, int round) {
    return Artifacts.resolve(Artifacts.resolve(output, "rounds"), String.format(Locale.ROOT, "round-%04d", round));
  }

  /** Reads a round's server state. */
  public static ServerState readState(String uri) {
    return ServerState.decode(Artifacts.read(uri, "server state"), uri);
  }

  private static RoundStats stats(int round, double wall, RoundOutcome outcome, String modelUri) {
    String slowest = null;
    long slowestMillis = -1;
    for (var p : outcome.participants().entrySet()) {
      if (p.getValue().trainMillis() > slowestMillis) {
        slowestMillis = p.getValue().trainMillis();
        slowest = p.getKey();
      }
    }
    return new RoundStats(round, wall, slowest, Math.max(0, slowestMillis) / 1000.0, outcome.participants(),
        outcome.leftOut(), outcome.evaluations(), modelUri);
  }

  /** The progress line of a round, the same in both modes. */
  public static String progressLine(RoundStats s, int maxRounds) {
    StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "round %d/%d  wall %.2fs", s.round(), maxRounds,
        s.wallSeconds()));
    EvalReport test = s.evaluation("test");
    if (test != null) {
      line.append(String.format(Locale.ROOT, "  test acc %.4f loss %.4f", test.accuracy(), test.logLoss()));
    }
    EvalReport validation = s.evaluation("validation");
    if (validation != null) {
      line.append(String.format(Locale.ROOT, "  val loss %.4f", validation.logLoss()));
    }
    line.append(String.format(Locale.ROOT, "  slowest %s %.2fs  silos %d", s.slowestSilo(), s.slowestSiloSeconds(),
        s.participants().size()));
    if (!s.skipped().isEmpty()) {
      line.append(" (").append(s.skipped().size()).append(" left out)");
    }
    return line.toString();
  }
}
