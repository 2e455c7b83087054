package org.fedbeam.pipelines.loop;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.TreeSet;
import org.fedbeam.model.EvalReport;
import org.fedbeam.pipelines.rounds.RoundRecords;
import org.fedbeam.transforms.Artifacts;
import org.fedbeam.transforms.ConfigJson;

/**
 * The run summary's keys that both modes share ({@code OUTPUT/run-summary.json}): the outcome
 * ({@code fl_accuracy}, the test accuracy of the model {@code final_model} names, which is the
 * best-validation round's unless {@code --keep last}; the best and the last round's figures;
 * {@code converged} and why; see {@link #outcome}), the run's
 * figures (round wall and overhead medians, training throughput), the strategy and its
 * parameters, the hyperparameters, and one entry per round in {@code rounds}. Each mode adds its
 * own keys: the simulation its baselines, the orchestrator its answer counts.
 */
public final class RunSummary {
  private RunSummary() {}

  /**
   * Adds whether the run finished or was halted ({@code status}), and for a halted run why
   * ({@code halted}) and the command that continues it ({@code resume_command}).
   */
  public static void putStatus(ObjectNode summary, RoundLoop.Result result, String resumeCommand) {
    summary.put("status", result.status());
    if (!result.finished()) {
      summary.put("halted", result.halted());
      summary.put("resume_command", resumeCommand);
    }
  }

  /** The summary of a run halted before it completed a round in this invocation. */
  public static ObjectNode noRound(RoundLoop.Result result) {
    ObjectNode none = RoundRecords.JSON.createObjectNode();
    none.put("status", result.status()).put("halted", result.halted()).put("rounds_completed", 0);
    return none;
  }

  /** The shared keys of a finished run. */
  public static ObjectNode of(RoundLoop.Settings settings, RoundLoop.Result result, RoundLoop.Executor executor,
      double totalSeconds) {
    ObjectNode s = RoundRecords.JSON.createObjectNode();
    s.put("mode", executor.mode());
    outcome(s, result, Bundles.Keep.best, result.best().modelUri(), result.last().modelUri());
    s.put("rounds_completed", result.rounds().size());
    s.put("converged", result.converged());
    if (result.stopReason() != null) {
      s.put("stop_reason", result.stopReason());
    } else {
      s.putNull("stop_reason");
    }
    s.put("round_wall_s_median", result.median(RoundLoop.RoundStats::wallSeconds));
    s.put("round_overhead_s_median", result.median(RoundLoop.RoundStats::overheadSeconds));
    long samples = result.rounds().stream().flatMap(r -> r.participants().values().stream())
        .mapToLong(m -> m.sampleCount()).sum() * settings.config().epochs();
    s.put("train_samples_per_s", samples / result.rounds().stream().mapToDouble(RoundLoop.RoundStats::wallSeconds).sum());
    s.put("silos", executor.silos().size());
    ArrayNode leftOut = s.putArray("silos_left_out");
    TreeSet<String> left = new TreeSet<>();
    result.rounds().forEach(r -> left.addAll(r.skipped().keySet()));
    left.forEach(leftOut::add);
    s.put("model", settings.spec().describe());
    s.put("seed", settings.seed());
    s.set("strategy", Provenance.strategy(settings));
    ObjectNode hp = s.putObject("hyperparameters");
    hp.setAll(ConfigJson.toJson(settings.config()));
    hp.put("max_rounds", settings.maxRounds());
    ArrayNode rounds = s.putArray("rounds");
    for (RoundLoop.RoundStats r : result.rounds()) {
      ObjectNode entry = rounds.addObject();
      entry.put("round", r.round());
      entry.put("wall_s", r.wallSeconds());
      ObjectNode participants = entry.putObject("participants");
      r.participants().forEach((silo, m) -> participants.put(silo, m.sampleCount()));
      ObjectNode skipped = entry.putObject("left_out");
      r.skipped().forEach(skipped::put);
      r.evaluations().forEach((name, e) -> entry.putObject(name).put("accuracy", e.accuracy()).put("log_loss", e.logLoss()));
      executor.describeRound(r.round(), entry);
    }
    executor.summarize(s);
    s.put("total_s", totalSeconds);
    return s;
  }

  /**
   * Sets the outcome keys: {@code fl_accuracy}, {@code fl_test_log_loss} and {@code fl_test_macro_f1}
   * of the model {@code keep} chooses, which {@code final_model} names ({@code bestModel} or
   * {@code lastModel}) with {@code final_model_sha256} (of that round's {@code .fbm} file, so
   * {@code model_sha256} in the bundle's provenance), {@code final_round}; {@code best_model},
   * {@code best_round}, {@code best_validation_accuracy}, {@code best_test_accuracy}; {@code last_model},
   * {@code last_round}, {@code last_test_accuracy}. Keys already there keep their place.
   */
  public static void outcome(ObjectNode s, RoundLoop.Result result, Bundles.Keep keep, String bestModel,
      String lastModel) {
    RoundLoop.RoundStats best = result.best();
    RoundLoop.RoundStats last = result.last();
    RoundLoop.RoundStats reported = keep == Bundles.Keep.last ? last : best;
    EvalReport test = reported.evaluation("test");
    if (test != null) {
      s.put("fl_accuracy", test.accuracy());
      s.put("fl_test_log_loss", test.logLoss());
      s.put("fl_test_macro_f1", test.macroF1());
    } else {
      s.putNull("fl_accuracy").putNull("fl_test_log_loss").putNull("fl_test_macro_f1");
    }
    s.put("keep", keep.name());
    s.put("final_model", keep == Bundles.Keep.last ? lastModel : bestModel);
    s.put("final_model_sha256", Artifacts.sha256Hex(Artifacts.read(reported.modelUri(), "round " + reported.round()
        + " model")));
    s.put("final_round", reported.round());
    s.put("best_model", bestModel);
    s.put("best_round", best.round());
    accuracy(s, "best_validation_accuracy", best.evaluation("validation"));
    accuracy(s, "best_test_accuracy", best.evaluation("test"));
    s.put("last_model", lastModel);
    s.put("last_round", last.round());
    accuracy(s, "last_test_accuracy", last.evaluation("test"));
  }

  private static void accuracy(ObjectNode s, String key, EvalReport report) {
    if (report == null) {
      s.putNull(key);
    } else {
      s.put(key, report.accuracy());
    }
  }
}
