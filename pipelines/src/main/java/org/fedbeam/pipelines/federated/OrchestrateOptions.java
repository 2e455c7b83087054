package org.fedbeam.pipelines.federated;

import org.apache.beam.runners.flink.FlinkPipelineOptions;
import org.apache.beam.sdk.options.Default;
import org.apache.beam.sdk.options.Description;
import org.apache.beam.sdk.options.Validation;

/** Options of {@code fedbeam orchestrate}. The orchestrator's Flink is embedded unless {@code --flinkMaster} names its cluster. */
public interface OrchestrateOptions extends FlinkPipelineOptions, org.fedbeam.pipelines.runners.FlinkTlsOptions {
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

  @Description("Continue the job in OUTPUT from its last completed round (a round cut by a crash is run again; the"
      + " silos answer a global model they trained already from their cached update). Refused if OUTPUT holds no run of"
      + " the job, if the job file's settings differ from the run's, or if the job finished")
  @Default.Boolean(false)
  boolean getResume();

  void setResume(boolean value);

  @Description("As --resume if OUTPUT holds a run of the job, else start it: the one command a schedule runs every"
      + " time (each run then advances the job by --max-new-rounds)")
  @Default.Boolean(false)
  boolean getResumeOrStart();

  void setResumeOrStart(boolean value);

  @Description("Start the job again in an OUTPUT that holds a run of it, replacing that run's records (the silos"
      + " still refuse to train a round of this job id again: use a new job_id to train anew)")
  @Default.Boolean(false)
  boolean getOverwrite();

  void setOverwrite(boolean value);

  @Description("Stop after this many rounds completed by this run (the job stays unfinished, --resume continues it);"
      + " 0 for no limit")
  @Default.Integer(0)
  int getMaxNewRounds();

  void setMaxNewRounds(int value);
}
