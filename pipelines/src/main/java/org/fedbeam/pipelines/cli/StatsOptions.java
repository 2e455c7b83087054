package org.fedbeam.pipelines.cli;

import org.apache.beam.sdk.options.Default;
import org.apache.beam.sdk.options.Description;
import org.apache.beam.sdk.options.PipelineOptions;

/**
 * Options of the simulation's {@code fedbeam stats}: federated statistics over a CSV split into silos
 * (or one CSV per silo). A flag that another command has too keeps that command's default: Beam requires
 * one default per property name across every options interface of a process.
 */
public interface StatsOptions extends PipelineOptions {
  @Description("Required: the CSV export to split into silos, or one CSV per silo, comma-separated")
  @Default.String("fashion-mnist") // train's default; stats requires the flag
  String getDataset();

  void setDataset(String value);

  @Description("Required: the folder to write stats.json and stats.txt into")
  String getOutput();

  void setOutput(String value);

  @Description("Required: name of the label column")
  @Default.String("label")
  String getLabelColumn();

  void setLabelColumn(String value);

  @Description("How many silos to split one CSV into (seeded shuffle, even split); with several CSVs, their number")
  @Default.Integer(10)
  int getSilos();

  void setSilos(int value);

  @Description("Seed of the split and of each silo's noise")
  @Default.Long(42)
  long getSeed();

  void setSeed(long value);

  @Description("The smallest count a silo releases (its policy's k)")
  @Default.Integer(5)
  int getK();

  void setK(int value);

  @Description("Release each silo's minimum and maximum (only where its policy allows)")
  @Default.Boolean(false)
  boolean getReleaseMinMax();

  void setReleaseMinMax(boolean value);

  @Description("Bins of each numeric column's histogram, between the merged 1% and 99% quantiles")
  @Default.Integer(10)
  int getBins();

  void setBins(int value);

  @Description("Noise on each silo's release: none, laplace or gaussian")
  @Default.String("none")
  String getNoise();

  void setNoise(String value);

  @Description("With noise: the epsilon each pass costs every silo")
  @Default.Double(1.0)
  double getEpsilon();

  void setEpsilon(double value);

  @Description("With gaussian noise: the delta each pass costs every silo")
  @Default.Double(1e-6)
  double getDelta();

  void setDelta(double value);

  @Description("With noise: clipping bounds per numeric column, e.g. 'age:0:120,bmi:10:60' (required for each)")
  @Default.String("")
  String getClip();

  void setClip(String value);

  @Description("The character between cells: ',' ';' '|' or 'tab'")
  @Default.String(",")
  String getDelimiter();

  void setDelimiter(String value);

  @Description("A column that identifies a record (kept out of the statistics)")
  String getIdColumn();

  void setIdColumn(String value);

  @Description("Columns to leave out, comma-separated")
  @Default.String("")
  String getDropColumns();

  void setDropColumns(String value);

  @Description("Columns read as categorical even when their values look numeric, comma-separated")
  @Default.String("")
  String getCategoricalColumns();

  void setCategoricalColumns(String value);
}
