package org.fedbeam.pipelines.cli;

import org.apache.beam.sdk.options.Default;
import org.apache.beam.sdk.options.Description;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.options.Validation;

/**
 * Options of {@code fedbeam finetune}: continue training a converged model on the orchestrator's own data.
 * A flag that {@code fedbeam train} has too keeps train's default: Beam requires one default per
 * property name across every options interface of a process.
 */
public interface FinetuneOptions extends PipelineOptions {
  @Description("Required: the model FILE to fine-tune, a bundle (.fbmb, e.g. a run's model-final.fbmb) or a bare"
      + " model (.fbm)")
  @Validation.Required
  @Default.String("mlp") // never used (the flag is required): Beam needs train's default on every --model
  String getModel();

  void setModel(String value);

  @Description("The orchestrator's own labelled data: 'fashion-mnist' or the path of a CSV file with a header row")
  @Default.String("fashion-mnist")
  String getDataset();

  void setDataset(String value);

  @Description("Folder for model.fbmb and finetune-summary.json")
  @Validation.Required
  String getOutput();

  void setOutput(String value);

  @Description("Replace an existing model.fbmb and finetune-summary.json in the output folder")
  @Default.Boolean(false)
  boolean getOverwrite();

  void setOverwrite(boolean value);

  @Description("Folder holding Fashion-MNIST's IDX files")
  @Default.String("/usr/share/datasets/fashion-mnist")
  String getFashionMnistDir();

  void setFashionMnistDir(String value);

  @Description("Fashion-MNIST only: use at most this many rows of its training split, drawn with the seed (0: all)")
  @Default.Integer(0)
  int getMaxRows();

  void setMaxRows(int value);

  @Description("CSV only: name of the label column")
  @Default.String("label")
  String getLabelColumn();

  void setLabelColumn(String value);

  @Description("CSV only: share of malformed rows tolerated before the read fails")
  @Default.Double(0.01)
  double getMaxBadRowShare();

  void setMaxBadRowShare(double value);

  @Description("Share of the rows held out (seeded) as the test set, reported before and after")
  @Default.Double(0.2)
  double getTestShare();

  void setTestShare(double value);

  @Description("Share of the rows held out (seeded) as the validation set, reported before and after")
  @Default.Double(0.1)
  double getValidationShare();

  void setValidationShare(double value);

  @Description("Passes over the fine-tuning rows (the default is train's: fine-tuning often wants several)")
  @Default.Integer(1)
  int getEpochs();

  void setEpochs(int value);

  @Description("Learning rate (the default is train's: fine-tuning often wants a smaller one)")
  @Default.Double(0.05)
  double getLr();

  void setLr(double value);

  @Description("Minibatch size")
  @Default.Integer(64)
  int getBatchSize();

  void setBatchSize(int value);

  @Description("Heavy-ball momentum in [0, 1)")
  @Default.Double(0.9)
  double getMomentum();

  void setMomentum(double value);

  @Description("L2 weight decay")
  @Default.Double(0.0)
  double getWeightDecay();

  void setWeightDecay(double value);

  @Description("Seed of the held-out splits, the row order and the new head")
  @Default.Long(42)
  long getSeed();

  void setSeed(long value);

  @Description("Replace the output layer with a new one for the data's classes (a new task); the class labels"
      + " become the data's")
  @Default.Boolean(false)
  boolean getNewHead();

  void setNewHead(boolean value);

  @Description("Keep the first K weight layers (from the input) frozen; must be < the model's depth")
  @Default.Integer(0)
  int getFreezeLayers();

  void setFreezeLayers(int value);

  @Description("For how many of the first epochs the --freeze-layers stay frozen before every layer trains"
      + " (default: all epochs)")
  Integer getFreezeEpochs();

  void setFreezeEpochs(Integer value);
}
