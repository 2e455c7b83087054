package org.fedbeam.pipelines.cli;

import org.apache.beam.sdk.options.Default;
import org.apache.beam.sdk.options.Description;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.options.Validation;

/**
 * Options of {@code fedbeam prepare}: turn a provider's CSV export into the silo's prepared table file,
 * inside the silo. A flag that another command has too keeps that command's default: Beam requires one
 * default per property name across every options interface of a process.
 */
public interface PrepareOptions extends PipelineOptions {
  @Description("Required: the CSV export to read (a header row, then one row per record)")
  @Validation.Required
  String getInput();

  void setInput(String value);

  @Description("Required: the prepared table FILE to write (.fbt; written atomically; local or azfs://)")
  @Validation.Required
  String getOutput();

  void setOutput(String value);

  @Description("Required: name of the label column")
  @Validation.Required
  @Default.String("label") // never used (the flag is required): Beam needs train's default on every --label-column
  String getLabelColumn();

  void setLabelColumn(String value);

  @Description("The character between cells: ',' ';' '|' or 'tab'")
  @Default.String(",")
  String getDelimiter();

  void setDelimiter(String value);

  @Description("A column that identifies a record (kept out of the features; duplicates are counted)")
  String getIdColumn();

  void setIdColumn(String value);

  @Description("Columns to leave out, comma-separated")
  @Default.String("")
  String getDropColumns();

  void setDropColumns(String value);

  @Description("Columns read as categorical even when their values look numeric (codes like 01), comma-separated")
  @Default.String("")
  String getCategoricalColumns();

  void setCategoricalColumns(String value);

  @Description("What to do with a row that lacks a feature value: 'drop' the row, or 'impute' (kept; the fitted"
      + " preprocessing fills it in from the federated statistics)")
  @Default.String("drop")
  String getMissing();

  void setMissing(String value);

  @Description("Cell texts that mean 'no value', comma-separated (the empty cell always does);"
      + " default: NA,N/A,NaN,nan,null,NULL,?,None")
  String getMissingValues();

  void setMissingValues(String value);

  @Description("Share of malformed rows (wrong number of cells) tolerated before the read fails")
  @Default.Double(0.01)
  double getMaxBadRowShare();

  void setMaxBadRowShare(double value);

  @Description("Replace an existing output file")
  @Default.Boolean(false)
  boolean getOverwrite();

  void setOverwrite(boolean value);
}
