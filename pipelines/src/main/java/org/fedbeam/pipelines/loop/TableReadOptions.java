package org.fedbeam.pipelines.loop;

import org.apache.beam.sdk.options.Default;
import org.apache.beam.sdk.options.Description;
import org.apache.beam.sdk.options.PipelineOptions;

/**
 * How a provider's CSV export is read into a table ({@link org.fedbeam.data.table.TableCsv}) and how
 * the preprocessing is fitted. One interface, shared by every command that reads a CSV this way: Beam
 * requires a property to have the same default in every options interface of one process, so these are
 * declared here once and never redeclared.
 */
public interface TableReadOptions extends PipelineOptions {
  @Description("CSV only: the cell delimiter, one character, or 'tab'")
  @Default.String(",")
  String getDelimiter();

  void setDelimiter(String value);

  @Description("CSV only: an ID column, kept out of the features")
  String getIdColumn();

  void setIdColumn(String value);

  @Description("CSV only: columns to leave out, comma-separated")
  @Default.String("")
  String getDropColumns();

  void setDropColumns(String value);

  @Description("CSV only: columns read as categorical even when their values look numeric, comma-separated")
  @Default.String("")
  String getCategoricalColumns();

  void setCategoricalColumns(String value);

  @Description("CSV only: a row lacking a feature value is dropped ('drop') or kept for the preprocessing to impute ('impute')")
  @Default.String("drop")
  String getMissing();

  void setMissing(String value);

  @Description("CSV only: cell texts that mean 'no value', comma-separated (the empty cell always does);"
      + " default: NA,N/A,NaN,nan,null,NULL,?,None")
  String getMissingValues();

  void setMissingValues(String value);

  @Description("CSV only: fit the preprocessing from the silos' merged statistics ('federated') or from the pooled training rows ('pooled', the centralized baseline)")
  @Default.String("federated")
  String getPreprocessing();

  void setPreprocessing(String value);

  @Description("CSV only: numeric scaling: standardize, minmax (needs released min/max) or none")
  @Default.String("standardize")
  String getScaling();

  void setScaling(String value);

  @Description("CSV only: a category value gets its own one-hot input only if seen in at least this many training records (k)")
  @Default.Integer(1)
  int getMinCategoryCount();

  void setMinCategoryCount(int value);
}
