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

  @Description("Benchmark the strategies instead (docs/strategies.md): a pilot that picks each strategy's parameters on"
      + " validation accuracy, the accuracy sweep against the centralized baseline, the Byzantine sweep")
  @Default.Boolean(false)
  boolean getStrategies();

  void setStrategies(boolean value);

  @Description("With --strategies: which parts run, comma-separated: pilot, accuracy, byzantine, all, or report (no run:"
      + " the report of what --output holds)")
  @Default.String("all")
  String getStrategySweep();

  void setStrategySweep(String value);

  @Description("With --strategies: seeds per (alpha, strategy), from --seed up (the partition and the model's init"
      + " follow the seed)")
  @Default.Integer(3)
  int getSeeds();

  void setSeeds(int value);

  @Description("With --strategies: the Dirichlet alphas of the accuracy sweep, in the order they run")
  @Default.String("0.5,0.1")
  String getAlphas();

  void setAlphas(String value);

  @Description("With --strategies: the pilot's rounds (its parameter grid is chosen on validation accuracy)")
  @Default.Integer(20)
  int getPilotRounds();

  void setPilotRounds(int value);

  @Description("With --strategies: only these strategies (comma-separated; empty: each sweep's own list)")
  @Default.String("")
  String getBenchStrategies();

  void setBenchStrategies(String value);

  @Description("With --strategies: the attacks of the Byzantine sweep")
  @Default.String("sign-flip,scaled,label-flip")
  String getAttacks();

  void setAttacks(String value);

  @Description("With --strategies: also write the SVG plots to this folder (e.g. docs)")
  String getSvgDir();

  void setSvgDir(String value);
}
