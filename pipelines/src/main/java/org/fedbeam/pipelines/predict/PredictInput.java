package org.fedbeam.pipelines.predict;

import java.io.IOException;

/** Rows to predict, each turned into the model's inputs: {@link PreprocessedInput} or {@link NumericInput}. */
interface PredictInput {
  /** Whether an ID column is passed through. */
  boolean hasId();

  /**
   * Writes the next row's model inputs into {@code chunk} from {@code base}.
   *
   * @return the row's ID cell ("" without an ID column), or null at the end of the input
   */
  String next(float[] chunk, int base) throws IOException;
}
