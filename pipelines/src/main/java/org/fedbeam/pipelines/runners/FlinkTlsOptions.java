package org.fedbeam.pipelines.runners;

import org.apache.beam.sdk.options.Description;
import org.apache.beam.sdk.options.PipelineOptions;

/**
 * Where the client keys of a standalone Flink cluster are ({@code --flinkMaster=HOST:PORT}): every
 * FedBeam cluster answers only mutual TLS (see {@link org.fedbeam.pipelines.runners.ClusterTls}).
 */
public interface FlinkTlsOptions extends PipelineOptions {
  @Description("The TLS folder of the Flink cluster named by --flink-master HOST:PORT (CLUSTERS_DIR/NAME/tls, made by"
      + " 'fedbeam cluster up'); by default the cluster with that REST port in ~/.fedbeam/clusters")
  String getFlinkTlsDir();

  void setFlinkTlsDir(String value);
}
