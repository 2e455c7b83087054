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
     * Called once before a resumed run's first round, {@code lastRound + 1}, with the last completed
     * round's model in place. A round cut short before is run again with the same {@link Round}: the
     * executor must not take its leftovers for its result.
     */
    default void resume(int lastRound, String lastModelUri) {
      prepare(lastModelUri);
    }

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

  /**
   * The run's outcome.
   *
   * @param halted why the run stopped short of its end and can be resumed (a signal, a slice's
   *     limit), or null when it finished
   */
  public record Result(List<RoundStats> rounds, String finalModelUri, boolean converged, String stopReason,
      Parameters initialModel, String halted) {
    /** Whether the run finished (converged or ran all its rounds), rather than halted. */
    public boolean finished() {
      return halted == null;
    }

    /** {@code finished}, {@code stopped} (by a signal) or {@code paused} (a slice's limit). */
    public String status() {
      return halted == null ? "finished" : halted.startsWith("stopped") ? "stopped" : "paused";
    }

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
   * How a run uses its output folder and when it stops short of its end.
   *
   * @param start a new run, a resume, either, or an overwrite ({@link RunState.Start})
   * @param maxNewRounds the most rounds this invocation runs before it pauses (0: no limit), so a
   *     schedule can advance a long job a slice at a time
   * @param fingerprint the caller's settings that a resume must match, each named as the user gives
   *     it (e.g. {@code --lr}); the loop adds its own (model, strategy, config, seed, initial model)
   * @param stop asked by a signal or a caller to stop after the round in hand
   * @param resumeCommand the command that continues the run, printed when it stops short (or null)
   */
  public record RunControl(RunState.Start start, int maxNewRounds, Map<String, String> fingerprint, StopSignal stop,
      String resumeCommand) {
    public RunControl {
      if (start == null) {
        throw new IllegalArgumentException("a run control needs a start");
      }
      if (maxNewRounds < 0) {
        throw new IllegalArgumentException("--max-new-rounds must be >= 0, was " + maxNewRounds);
      }
      fingerprint = fingerprint == null ? Map.of() : new java.util.LinkedHashMap<>(fingerprint);
      stop = stop == null ? StopSignal.none() : stop;
    }

    /** A caller that owns the folder (a benchmark, a test): any run there is replaced; no limit. */
    public static RunControl owned() {
      return new RunControl(RunState.Start.OVERWRITE, 0, Map.of(), StopSignal.none(), null);
    }
  }

  /**
   * Runs the rounds with {@code executor}, writing under {@code output} (any run already there is
   * replaced: {@link RunControl#owned()}); under DP, metrics.csv reports each silo's epsilon so far
   * at {@code dpDelta}.
   */
  public static Result run(Settings settings, Executor executor, String output, PrintStream progress, double dpDelta)
      throws Exception {
    return run(settings, executor, output, progress, dpDelta, RunControl.owned());
  }

  /**
   * Runs, or continues, the rounds with {@code executor} under {@code output} as {@code control}
   * says: a new run, a resume from the run's last good checkpoint ({@link RunState}), a slice of at
   * most {@code maxNewRounds} rounds, stopping early when {@code control.stop()} is asked.
   *
   * @throws RunState.Refused if the folder cannot be used as asked, before anything is written
   */
  public static Result run(Settings settings, Executor executor, String output, PrintStream progress, double dpDelta,
      RunControl control) throws Exception {
    List<String> silos = executor.silos();
    validate(settings, silos.size());
    Strategy strategy = settings.strategy();
    Parameters initial = settings.startingModel();
    Map<String, String> fingerprint = new java.util.LinkedHashMap<>(control.fingerprint());
    fingerprint.putAll(fingerprint(settings, executor.mode(), initial));
    boolean resume = RunState.check(output, control.start(), fingerprint);
    RunState.Restored restored = null;
    long t0 = System.nanoTime();
    if (resume) {
      restored = RunState.restore(output, settings.spec(), progress);
      if (restored.round() < 0) {
        progress.println("the run in " + output + " was cut before its start was committed: starting it again");
        resume = false;
      }
    }
    MetricsCsv metrics = new MetricsCsv(Artifacts.resolve(output, "metrics.csv"), settings.config(), dpDelta);
    List<RoundStats> rounds = new ArrayList<>();
    List<Double> losses = new ArrayList<>();
    String parentUri;
    String stateUri;
    int first;
    if (resume) {
      if (restored.finishedReason() != null) {
        throw new RunState.Refused(output + ": its run finished at round " + restored.round() + " ("
            + restored.finishedReason() + "); there is nothing to resume");
      }
      for (RoundStats r : restored.rounds()) {
        rounds.add(r);
        metrics.append(r);
        losses.add(validationLoss(r.evaluations()));
      }
      parentUri = modelUri(output, restored.round());
      stateUri = stateUri(output, restored.round());
      first = restored.round() + 1;
      // the restore alone (verifying the checkpoints, rebuilding the records); the executor's own
      // preparation (e.g. Flink warm-up runs) follows it
      progress.printf(Locale.ROOT, "resuming the run in %s at round %d of %d (%d round(s) done; restored in %.2fs)%n",
          output, first, settings.maxRounds(), restored.round(), (System.nanoTime() - t0) / 1e9);
      executor.resume(restored.round(), parentUri);
    } else {
      if (control.start() == RunState.Start.OVERWRITE) {
        RunState.delete(output, progress);
      }
      if (restored == null) {
        RunState.start(output, executor.mode(), fingerprint);
      }
      parentUri = modelUri(output, 0);
      stateUri = stateUri(output, 0);
      Artifacts.writeAtomically(stateUri, strategy.initialState(initial).encode());
      Artifacts.writeAtomically(parentUri, ModelFormat.encode(initial));
      Provenance.write(parentUri, Provenance.initial(settings));
      RunState.commit(output, 0, parentUri, stateUri, null, null);
      executor.prepare(parentUri);
      first = 1;
    }
    String stopReason = null;
    String halted = null;
    int ran = 0;
    for (int round = first; round <= settings.maxRounds(); round++) {
      if (control.stop().requested() != null) {
        halted = "stopped by " + control.stop().requested();
        break;
      }
      if (control.maxNewRounds() > 0 && ran == control.maxNewRounds()) {
        halted = "paused after " + ran + " new round(s) (--max-new-rounds " + control.maxNewRounds() + ")";
        break;
      }
      control.stop().running(round, round - 1);
      List<String> chosen = settings.participation().sample(round, silos, settings.seed());
      Round spec = new Round(round, chosen, strategy.configureRound(round, settings.config()), parentUri,
          modelUri(output, round), roundDir(output, round), stateUri, stateUri(output, round));
      // an earlier attempt at this round, cut short, may have left its model or state: never taken for this one's
      Artifacts.deleteIfExists(spec.modelUri());
      Artifacts.deleteIfExists(spec.stateOutUri());
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
      losses.add(validationLoss(outcome.evaluations()));
      stopReason = settings.stopRule().stop(losses);
      String finished = stopReason != null ? stopReason
          : round == settings.maxRounds() ? "reached the maximum of " + settings.maxRounds() + " rounds" : null;
      RunState.commit(output, round, spec.modelUri(), spec.stateOutUri(), stats, finished);
      ran++;
      progress.println(progressLine(stats, settings.maxRounds()));
      outcome.leftOut().forEach((silo, reason) -> progress.println("  left out " + silo + ": " + reason));
      progress.flush();
      parentUri = spec.modelUri();
      stateUri = spec.stateOutUri();
      if (stopReason != null) {
        progress.println(stopReason);
        break;
      }
    }
    if (halted != null) {
      int at = rounds.isEmpty() ? 0 : rounds.get(rounds.size() - 1).round();
      progress.printf(Locale.ROOT, "%s: the run in %s is at round %d of %d and is kept%s%n", halted, output, at,
          settings.maxRounds(), control.resumeCommand() == null ? "" : "; continue it with: " + control.resumeCommand());
      progress.flush();
    }
    return new Result(rounds, parentUri, stopReason != null, stopReason, initial, halted);
  }

  /** The settings the loop itself holds a resume to, named for the user. */
  private static Map<String, String> fingerprint(Settings s, String mode, Parameters initial) {
    Map<String, String> f = new java.util.LinkedHashMap<>();
    f.put("mode", mode);
    f.put("model", s.spec().describe());
    f.put("strategy", s.strategy().name() + " " + new java.util.TreeMap<>(s.strategy().parameters()));
    f.put("participation", "fraction " + s.participation().fraction() + ", min_silos " + s.participation().minSilos());
    f.put("training config", org.fedbeam.transforms.ConfigJson.toJson(s.config()).toString());
    f.put("max rounds", Integer.toString(s.maxRounds()));
    f.put("stop rule", s.stopRule().toString());
    f.put("seed", Long.toString(s.seed()));
    f.put("initial model (SHA-256)", Artifacts.sha256Hex(ModelFormat.encode(initial)));
    return f;
  }

  private static double validationLoss(Map<String, EvalReport> evaluations) {
    EvalReport validation = evaluations.get("validation");
    return validation == null ? Double.NaN : validation.logLoss();
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
