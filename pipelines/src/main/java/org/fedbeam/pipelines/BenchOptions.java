package org.fedbeam.pipelines;

import org.apache.beam.sdk.options.Default;
import org.apache.beam.sdk.options.Description;
import org.apache.beam.sdk.options.PipelineOptions;

/** Options of {@code fedbeam bench}. */
public interface BenchOptions extends PipelineOptions {
  @Description("Folder for the benchmark's scratch run (silo shards, models)")
  @Default.String("target/bench")
  String getOutput();

  void setOutput(String value);

  @Description("Folder holding Fashion-MNIST's IDX files")
  @Default.String("/usr/share/datasets/fashion-mnist")
  String getFashionMnistDir();

  void setFashionMnistDir(String value);

  @Description("Federated rounds timed for the round overhead")
  @Default.Integer(12)
  int getRounds();

  void setRounds(int value);

  @Description("Repetitions of each micro-measurement (the median is reported)")
  @Default.Integer(5)
  int getRepeats();

  void setRepeats(int value);

  @Description("The python3 that runs the NumPy twin of the trainer")
  @Default.String("python3")
  String getPython();

  void setPython(String value);

  @Description("Embedded Flink: port or range for the REST endpoint and web UI ('0' picks a free port)")
  @Default.String("0")
  String getWebUiPort();

  void setWebUiPort(String value);
}
