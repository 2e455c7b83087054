package org.fedbeam.pipelines.rounds;

import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.beam.sdk.metrics.Metrics;
import org.fedbeam.model.EvalReport;
import org.fedbeam.transforms.ModelEvaluation;

/**
 * Reports a round's evaluation of its new model as Beam metrics that the Flink web UI and REST API
 * show in plain text, for as long as the cluster keeps the finished job (see docs/metrics.md).
 *
 * <p>On Flink 1.16 with Beam 2.59, a finished batch job keeps its Beam metrics only in the user
 * accumulator {@code __metricscontainers} ({@code GET /jobs/JOB/accumulators}, and the Accumulators
 * tab of the step's vertex), where every value is base64-encoded, while each metric's name is plain
 * text; the Flink operator metrics Beam also registers are gone once the task has finished. So each
 * evaluation is one counter (value 1) whose <em>name</em> holds the values, e.g. {@code
 * eval.test: accuracy=0.843750 log_loss=0.412345 macro_f1=0.801234 samples=50} (6 decimals), and two
 * gauges for typed readers ({@code PipelineResult#metrics()}, a running task's Metrics tab): {@code
 * testAccuracyPpm} and {@code testLogLossPpm}, in millionths. All in namespace {@value #NAMESPACE}.
 */
public final class EvaluationMetrics {
  /** The namespace of FedBeam's metrics. */
  public static final String NAMESPACE = "fedbeam";
  /** The prefix of the name of an evaluation's counter. */
  public static final String PREFIX = "eval.";
  private static final Pattern NAME = Pattern.compile(
      "eval\\.(?<dataset>[^:]+): accuracy=(?<accuracy>[0-9.]+) log_loss=(?<logLoss>[0-9.]+|NaN|Infinity)"
          + " macro_f1=(?<macroF1>[0-9.]+|NaN) samples=(?<samples>\\d+)");

  private EvaluationMetrics() {}

  /** Reports {@code evaluation} in the current step's metrics; call it from the step that writes it. */
  public static void report(ModelEvaluation evaluation) {
    EvalReport r = evaluation.report();
    Metrics.counter(NAMESPACE, name(evaluation.dataset(), r)).inc();
    Metrics.gauge(NAMESPACE, evaluation.dataset() + "AccuracyPpm").set(ppm(r.accuracy()));
    Metrics.gauge(NAMESPACE, evaluation.dataset() + "LogLossPpm").set(ppm(r.logLoss()));
  }

  /** The name of the counter that reports {@code report} on {@code dataset}. */
  public static String name(String dataset, EvalReport report) {
    return String.format(Locale.ROOT, "%s%s: accuracy=%.6f log_loss=%.6f macro_f1=%.6f samples=%d", PREFIX, dataset,
        report.accuracy(), report.logLoss(), report.macroF1(), report.samples());
  }

  /**
   * The values in an evaluation counter's name: {@code dataset} (as text) and {@code accuracy},
   * {@code log_loss}, {@code macro_f1}, {@code samples}.
   *
   * @throws IllegalArgumentException if {@code name} is not one {@link #name} makes
   */
  public static Map<String, String> parse(String name) {
    Matcher m = NAME.matcher(name);
    if (!m.matches()) {
      throw new IllegalArgumentException("not a FedBeam evaluation metric name: '" + name + "'");
    }
    Map<String, String> values = new TreeMap<>();
    values.put("dataset", m.group("dataset"));
    values.put("accuracy", m.group("accuracy"));
    values.put("log_loss", m.group("logLoss"));
    values.put("macro_f1", m.group("macroF1"));
    values.put("samples", m.group("samples"));
    return values;
  }

  private static long ppm(double value) {
    return Double.isFinite(value) ? Math.round(value * 1e6) : Long.MAX_VALUE;
  }
}
