package org.fedbeam.tools;

import org.apache.beam.sdk.options.Default;
import org.apache.beam.sdk.options.Description;
import org.fedbeam.pipelines.loop.TrainOptions;

/**
 * Options of {@code fedbeam bench}: the main job's options (the federated rounds it times use
 * them, with the main job's defaults) plus the benchmark's own. {@code --output} defaults to
 * {@code target/bench}.
 */
public interface BenchOptions extends TrainOptions {
  @Description("Federated rounds timed for the round overhead: the main job's default number of rounds, so the"
      + " median covers the run the main job does, its first round (translation) and warm-up included")
  @Default.Integer(50)
  int getBenchRounds();

  void setBenchRounds(int value);

  @Description("Repetitions of each micro-measurement (the median is reported)")
  @Default.Integer(5)
  int getRepeats();

  void setRepeats(int value);

  @Description("The python3 that runs the NumPy twin of the trainer")
  @Default.String("python3")
  String getPython();

  void setPython(String value);

  @Description("Benchmark the federated mode on standalone Flink clusters (an orchestrator cluster and one per"
      + " silo, started for the run) instead of the main job on the embedded Flink")
  @Default.Boolean(false)
  boolean getClusters();

  void setClusters(boolean value);

  @Description("Benchmark DP-SGD instead: federated accuracy without DP and at epsilon 1, 3 and 8 (--dp-delta),"
      + " same silos and rounds (--rounds), in one run")
  @Default.Boolean(false)
  boolean getDp();

  void setDp(boolean value);

  @Description("Federated rounds timed with --clusters")
  @Default.Integer(10)
  int getClusterRounds();

  void setClusterRounds(int value);
}
