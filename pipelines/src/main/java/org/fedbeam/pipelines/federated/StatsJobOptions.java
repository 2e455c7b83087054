package org.fedbeam.pipelines.federated;

import org.apache.beam.runners.flink.FlinkPipelineOptions;
import org.apache.beam.sdk.options.Default;
import org.apache.beam.sdk.options.Description;
import org.apache.beam.sdk.options.Validation;

/** Options of {@code fedbeam stats --job JOB.json}: the merge runs on an embedded Flink unless {@code --flinkMaster} names one. */
public interface StatsJobOptions extends FlinkPipelineOptions, org.fedbeam.pipelines.runners.FlinkTlsOptions {
  @Description("The job file (JSON) with its statistics section")
  @Validation.Required
  String getJob();

  void setJob(String value);

  @Description("Where stats.json, stats.txt and the records go (default: the job file's output, then stats/)")
  String getOutput();

  void setOutput(String value);

  @Description("Web UI (REST) port or port range of the embedded Flink cluster; 0 for any free port")
  @Default.String("8081-8099")
  String getWebUiPort();

  void setWebUiPort(String value);
}
