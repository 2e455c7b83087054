package org.fedbeam.pipelines.federated;

import org.apache.beam.runners.flink.FlinkPipelineOptions;
import org.apache.beam.sdk.options.Default;
import org.apache.beam.sdk.options.Description;
import org.apache.beam.sdk.options.Validation;

/** Options of {@code fedbeam agent}. The silo's Flink is embedded unless {@code --flinkMaster} names its cluster. */
public interface AgentOptions extends FlinkPipelineOptions, org.fedbeam.pipelines.runners.FlinkTlsOptions {
  @Description("The silo policy file (JSON) the provider owns")
  @Validation.Required
  String getPolicy();

  void setPolicy(String value);

  @Description("REST (and web UI) port or port range of the embedded Flink cluster, on 127.0.0.1 behind mutual TLS;"
      + " 0 for any free port")
  @Default.String("8081-8099")
  String getWebUiPort();

  void setWebUiPort(String value);

  @Description("Serve the embedded Flink cluster's web UI (behind mutual TLS; an operator client certificate is written"
      + " to the silo's state folder, flink-tls/operator.p12). Off by default: the REST API then serves no UI")
  @Default.Boolean(false)
  boolean getWebUi();

  void setWebUi(boolean value);

  @Description("Answer the requests waiting now, then exit, instead of running as a service")
  @Default.Boolean(false)
  boolean getOnce();

  void setOnce(boolean value);

  @Description("Runs of the silo pipeline on private scratch rounds at start-up, so that the first rounds find a"
      + " compiled pipeline on a warm JVM; 0 for none")
  @Default.Integer(5)
  int getWarmUpRuns();

  void setWarmUpRuns(int value);
}
