package org.fedbeam.pipelines.federated;

import org.apache.beam.runners.flink.FlinkPipelineOptions;
import org.apache.beam.sdk.options.Default;
import org.apache.beam.sdk.options.Description;
import org.apache.beam.sdk.options.Validation;

/** Options of {@code fedbeam orchestrate}. The orchestrator's Flink is embedded unless {@code --flinkMaster} names its cluster. */
public interface OrchestrateOptions extends FlinkPipelineOptions, org.fedbeam.pipelines.runners.FlinkTlsOptions,
    org.fedbeam.pipelines.loop.RunOptions {
  @Description("The federated job file (JSON)")
  @Validation.Required
  String getJob();

  void setJob(String value);

  @Description("Web UI (REST) port or port range of the embedded Flink cluster, on 127.0.0.1 behind mutual TLS (the"
      + " operator's client certificate: OUTPUT/flink-tls/operator.p12); 0 for any free port")
  @Default.String("8081-8099")
  String getWebUiPort();

  void setWebUiPort(String value);

  @Description("Runs of the aggregation pipeline on private scratch rounds at start-up, so that the first rounds find a"
      + " compiled pipeline on a warm JVM; 0 for none")
  @Default.Integer(5)
  int getWarmUpRuns();

  void setWarmUpRuns(int value);

  @Description("Which round's model the run reports (final_model, fl_accuracy): best (the best validation accuracy)"
      + " or last; both are kept as OUTPUT/model-best.fbmb and OUTPUT/model-final.fbmb")
  @Default.Enum("best")
  org.fedbeam.pipelines.loop.Bundles.Keep getKeep();

  void setKeep(org.fedbeam.pipelines.loop.Bundles.Keep value);

  @Description("As --resume if OUTPUT holds a run of the job, else start it: the one command a schedule runs every"
      + " time (each run then advances the job by --max-new-rounds)")
  @Default.Boolean(false)
  boolean getResumeOrStart();

  void setResumeOrStart(boolean value);
}
