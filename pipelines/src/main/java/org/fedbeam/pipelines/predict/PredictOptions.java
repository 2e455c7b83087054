package org.fedbeam.pipelines.predict;

import org.apache.beam.sdk.options.Default;
import org.apache.beam.sdk.options.Description;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.options.Validation;

/** Options of {@code fedbeam predict}. */
public interface PredictOptions extends PipelineOptions {
  @Description("The model bundle (.fbmb), e.g. a run's OUTPUT/model-best.fbmb")
  @Validation.Required
  String getModel();

  void setModel(String value);

  @Description("CSV file with a header row: one column per feature of the bundle, by name, in any order")
  @Validation.Required
  String getInput();

  void setInput(String value);

  @Description("CSV file to write (replaced atomically, and only if every row was predicted)")
  @Validation.Required
  String getOutput();

  void setOutput(String value);

  @Description("A column of the input to copy to the output as each row's id (it is not a feature); every other"
      + " column must be a feature")
  @Default.String("")
  String getIdColumn();

  void setIdColumn(String value);

  @Description("Rows predicted at a time: the most rows held in memory")
  @Default.Integer(4096)
  int getChunkRows();

  void setChunkRows(int value);
}
