package org.fedbeam.pipelines.federated;

import org.apache.beam.runners.flink.FlinkPipelineOptions;
import org.apache.beam.sdk.options.Default;
import org.apache.beam.sdk.options.Description;
import org.apache.beam.sdk.options.Validation;

/** Options of {@code fedbeam orchestrate}. The orchestrator's Flink is embedded unless {@code --flinkMaster} names its cluster. */
public interface OrchestrateOptions extends FlinkPipelineOptions {
  @Description("The federated job file (JSON)")
  @Validation.Required
  String getJob();

  void setJob(String value);

  @Description("Web UI (REST) port or port range of the embedded Flink cluster; 0 for any free port")
  @Default.String("8081-8099")
  String getWebUiPort();

  void setWebUiPort(String value);
}
