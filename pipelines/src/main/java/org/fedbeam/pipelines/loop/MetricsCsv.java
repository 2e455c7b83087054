package org.fedbeam.pipelines.loop;

import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import org.fedbeam.model.EvalReport;
import org.fedbeam.model.TrainConfig;
import org.fedbeam.model.privacy.RdpAccountant;
import org.fedbeam.transforms.Artifacts;

/**
 * {@code metrics.csv}: one {@code global} row per round (wall time, evaluation) and one row per
 * silo per round ({@code trained} with its system metadata, or {@code left_out}); under DP a
 * trained silo's row also carries its epsilon so far ({@code epsilon}, at the run's delta). The whole file is
 * rewritten atomically after each round, so a reader never sees half a row.
 */
public final class MetricsCsv {
  public static final String HEADER = "round,scope,silo,status,samples,train_loss,train_s,wall_s,overhead_s,"
      + "val_loss,val_accuracy,test_loss,test_accuracy,test_macro_f1,epsilon";
  private final String uri;
  private final TrainConfig config;
  private final double delta;
  private final Map<String, RdpAccountant> spend = new HashMap<>();
  private final StringBuilder content = new StringBuilder(HEADER).append('\n');

  MetricsCsv(String uri) {
    this(uri, null, 1e-5);
  }

  /** Under DP ({@code config.privacy() != null}), each trained silo row carries the silo's epsilon so far at {@code delta}. */
  MetricsCsv(String uri, TrainConfig config, double delta) {
    this.uri = uri;
    this.config = config;
    this.delta = delta;
  }

  void append(RoundLoop.RoundStats s) {
    EvalReport val = s.evaluation("validation");
    EvalReport test = s.evaluation("test");
    row(s.round(), "global", "", "aggregated", s.participants().values().stream().mapToLong(m -> m.sampleCount()).sum(),
        "", "", fmt(s.wallSeconds()), fmt(s.overheadSeconds()), val == null ? "" : fmt(val.logLoss()),
        val == null ? "" : fmt(val.accuracy()), test == null ? "" : fmt(test.logLoss()),
        test == null ? "" : fmt(test.accuracy()), test == null ? "" : fmt(test.macroF1()), "");
    s.participants().forEach((silo, m) -> row(s.round(), "silo", silo, "trained", m.sampleCount(), fmt(m.trainLoss()),
        fmt(m.trainMillis() / 1000.0), "", "", "", "", "", "", "", epsilon(silo, m.sampleCount())));
    s.skipped().forEach((silo, reason) -> row(s.round(), "silo", silo, "left_out", 0, "", "", "", "", "", "", "", "", "",
        ""));
    Artifacts.writeAtomically(uri, content.toString().getBytes(StandardCharsets.UTF_8));
  }

  /** The silo's epsilon after this round's training, or "" without DP. */
  private String epsilon(String silo, long rows) {
    if (config == null || config.privacy() == null) {
      return "";
    }
    RdpAccountant.Plan plan = config.dpPlan((int) rows);
    return fmt(spend.computeIfAbsent(silo, k -> new RdpAccountant())
        .add(plan.q(), config.privacy().noiseMultiplier(), plan.steps()).epsilon(delta));
  }

  private void row(int round, String scope, String silo, String status, long samples, String... rest) {
    content.append(round).append(',').append(scope).append(',').append(silo).append(',').append(status).append(',')
        .append(samples);
    for (String r : rest) {
      content.append(',').append(r);
    }
    content.append('\n');
  }

  private static String fmt(double v) {
    return String.format(Locale.ROOT, "%.6f", v);
  }
}
