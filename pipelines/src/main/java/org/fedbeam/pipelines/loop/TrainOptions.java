package org.fedbeam.pipelines.loop;

import org.apache.beam.sdk.options.Default;
import org.apache.beam.sdk.options.Description;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.options.Validation;
import org.fedbeam.pipelines.runners.FlinkTlsOptions;

/** Options of {@code fedbeam train}: a federated training simulation with baselines. */
public interface TrainOptions extends PipelineOptions, FlinkTlsOptions, RunOptions, TableReadOptions {
  @Description("Folder (or URI) for the run's models, metrics.csv, run-summary.json and silo shards")
  @Validation.Required
  String getOutput();

  void setOutput(String value);

  @Description("'fashion-mnist' or the path of a CSV file with a header row")
  @Default.String("fashion-mnist")
  String getDataset();

  void setDataset(String value);

  @Description("Folder holding Fashion-MNIST's IDX files")
  @Default.String("/usr/share/datasets/fashion-mnist")
  String getFashionMnistDir();

  void setFashionMnistDir(String value);

  @Description("CSV only: name of the label column")
  @Default.String("label")
  String getLabelColumn();

  void setLabelColumn(String value);

  @Description("CSV only: share of malformed rows tolerated before the read fails")
  @Default.Double(0.01)
  double getMaxBadRowShare();

  void setMaxBadRowShare(double value);

  @Description("CSV only: share of rows held out as the test set")
  @Default.Double(0.2)
  double getTestShare();

  void setTestShare(double value);

  @Description("Share of the training rows held out by the orchestrator for validation (convergence)")
  @Default.Double(0.1)
  double getValidationShare();

  void setValidationShare(double value);

  @Description("Number of silos the training data is split into")
  @Default.Integer(10)
  int getSilos();

  void setSilos(int value);

  @Description("How rows are split over silos: iid, dirichlet (label skew) or quantity (size skew)")
  @Default.String("dirichlet")
  String getPartition();

  void setPartition(String value);

  @Description("Dirichlet concentration for the dirichlet and quantity partitions; smaller is more skewed")
  @Default.Double(0.5)
  double getAlpha();

  void setAlpha(double value);

  @Description("The run's seed: partitioning, initial weights and every silo's shuffling derive from it")
  @Default.Long(42)
  long getSeed();

  void setSeed(long value);

  @Description("Model kind: mlp or logreg")
  @Default.String("mlp")
  String getModel();

  void setModel(String value);

  @Description("Hidden layer widths of the MLP, comma separated")
  @Default.String("128")
  String getHidden();

  void setHidden(String value);

  @Description("Start from this pretrained model: a FedBeam model (.fbm), a bundle (.fbmb) or an ONNX dense network"
      + " (Gemm or MatMul+Add, Relu, Softmax); its shape must be the data's features and classes and --model/--hidden")
  String getInitialModel();

  void setInitialModel(String value);

  @Description("Local epochs per round")
  @Default.Integer(1)
  int getEpochs();

  void setEpochs(int value);

  @Description("Maximum number of rounds")
  @Default.Integer(50)
  int getRounds();

  void setRounds(int value);

  @Description("Local learning rate")
  @Default.Double(0.05)
  double getLr();

  void setLr(double value);

  @Description("Local minibatch size")
  @Default.Integer(64)
  int getBatchSize();

  void setBatchSize(int value);

  @Description("Local SGD momentum, in [0, 1)")
  @Default.Double(0.9)
  double getMomentum();

  void setMomentum(double value);

  @Description("Local L2 weight decay")
  @Default.Double(0.0)
  double getWeightDecay();

  void setWeightDecay(double value);

  @Description("Stop when the validation loss has improved by less than --tolerance for this many rounds in a row"
      + " (FedAvg's validation loss is noisy under label skew, so this is not small)")
  @Default.Integer(10)
  int getPatience();

  void setPatience(int value);

  @Description("Smallest validation-loss improvement that counts as progress")
  @Default.Double(0.001)
  double getTolerance();

  void setTolerance(double value);

  @Description("Also train the centralized and the silo-alone baselines and compare")
  @Default.Boolean(true)
  boolean getBaselines();

  void setBaselines(boolean value);

  @Description("Train with DP-SGD so that each silo spends at most this epsilon over every round it may train"
      + " (max rounds x local epochs); the noise multiplier is calibrated with the RDP accountant. Unset: no DP")
  Double getDpEpsilon();

  void setDpEpsilon(Double value);

  @Description("DP: the delta of the (epsilon, delta) budget")
  @Default.Double(1e-5)
  double getDpDelta();

  void setDpDelta(double value);

  @Description("DP: per-example gradient clipping norm C")
  @Default.Double(1.0)
  double getDpClip();

  void setDpClip(double value);

  @Description("Embedded Flink: port or range for the REST endpoint and web UI, on 127.0.0.1 behind mutual TLS (the"
      + " client certificate: OUTPUT/flink-tls/operator.p12); '0' picks a free port")
  @Default.String("8081-8099")
  String getWebUiPort();

  void setWebUiPort(String value);

  @Description("JSON file {silo: Base64 secret}: each silo's training seed per round is then drawn from its secret,"
      + " the job id and the round, as a silo agent draws it; needs --job-id. Unset: from --seed")
  String getSiloSecrets();

  void setSiloSecrets(String value);

  @Description("The job id the silos' secrets are combined with (see --silo-secrets)")
  String getJobId();

  void setJobId(String value);

  @Description("The federated strategy: fedavg, fedavgm, fedprox, fedadam, fedyogi, fedadagrad, fedmedian, trimmed-mean,"
      + " krum or multi-krum (docs/strategies.md); its parameters are flags of their own, e.g. --server-lr 0.01")
  @Default.String("fedavg")
  String getStrategy();

  void setStrategy(String value);

  @Description("The strategy's parameters as name=value pairs separated by commas, e.g. server_lr=0.01,beta1=0.9;"
      + " the command line also fills it from flags such as --server-lr 0.01 --mu 0.1")
  @Default.String("")
  String getStrategyParams();

  void setStrategyParams(String value);

  @Description("Share of the silos asked to train in each round, in (0, 1]; a new sample each round")
  @Default.Double(1.0)
  double getFraction();

  void setFraction(double value);

  @Description("The fewest silos a round may aggregate")
  @Default.Integer(1)
  int getMinSilos();

  void setMinSilos(int value);

  @Description("Simulation only: how many silos are Byzantine and send attacked updates (see --attack)")
  @Default.Integer(0)
  int getByzantine();

  void setByzantine(int value);

  @Description("Simulation only: what the Byzantine silos do: sign-flip, scaled or label-flip")
  @Default.String("sign-flip")
  String getAttack();

  void setAttack(String value);

  @Description("Which round's model the run reports (final_model, fl_accuracy): best (the best validation accuracy)"
      + " or last; both are kept as OUTPUT/model-best.fbmb and OUTPUT/model-final.fbmb")
  @Default.Enum("best")
  org.fedbeam.pipelines.loop.Bundles.Keep getKeep();

  void setKeep(org.fedbeam.pipelines.loop.Bundles.Keep value);
}
