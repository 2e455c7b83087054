package org.fedbeam.pipelines.predict;

import java.io.Reader;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.fedbeam.data.DataFormatException;
import org.fedbeam.data.table.TableCsv;
import org.fedbeam.data.table.TableCsvRows;
import org.fedbeam.preprocess.ColumnSpec;
import org.fedbeam.preprocess.Preprocessing;
import org.fedbeam.preprocess.RowEncoder;

/**
 * The raw CSV a bundle with a {@link Preprocessing} predicts on, read row by row as {@code fedbeam train}
 * read its data ({@link TableCsvRows}: the delimiter, quoting, the missing-value markers) and encoded by
 * the preprocessing ({@link RowEncoder}): its raw columns are found by name, in any order; the label
 * column may be there or not (it is ignored); the ID column is passed through; dropped columns are
 * skipped; any other column is refused, so a renamed or misplaced column is never silently ignored.
 */
final class PreprocessedInput {
  private final String source;
  private final Preprocessing preprocessing;
  private final TableCsvRows rows;
  private final RowEncoder encoder;
  private final int[] columnAt;
  private final int idAt;
  private final double[] inputs;
  private final String[] values;

  PreprocessedInput(Reader in, String source, Preprocessing preprocessing, Predict.Reading reading) {
    this.source = source;
    this.preprocessing = preprocessing;
    this.rows = new TableCsvRows(in, source, new TableCsv.Options(reading.delimiter(), null, reading.idColumn(),
        reading.dropColumns(), Set.of(), TableCsv.Missing.IMPUTE, reading.missingValues(), 0.0));
    this.encoder = new RowEncoder(preprocessing);
    List<ColumnSpec> columns = preprocessing.columns();
    this.columnAt = new int[columns.size()];
    Set<String> used = new HashSet<>(reading.dropColumns());
    used.add(preprocessing.labelName());
    List<String> missing = new ArrayList<>();
    for (int c = 0; c < columns.size(); c++) {
      String name = columns.get(c).name();
      columnAt[c] = rows.indexOf(name);
      if (columnAt[c] < 0) {
        missing.add(name);
      } else if (name.equals(reading.idColumn()) || reading.dropColumns().contains(name)) {
        throw new DataFormatException(source + ": column '" + name + "' is one of the model's columns; it cannot be"
            + (name.equals(reading.idColumn()) ? " the --id-column" : " dropped"));
      }
      used.add(name);
    }
    if (!missing.isEmpty()) {
      throw new DataFormatException(source + ": missing " + missing.size() + " of the model's " + columns.size()
          + " columns: " + Predict.abbreviate(missing));
    }
    this.idAt = reading.idColumn() == null ? -1 : rows.indexOf(reading.idColumn());
    if (idAt >= 0) {
      used.add(reading.idColumn());
    }
    List<String> extra = rows.header().stream().filter(h -> !used.contains(h)).toList();
    if (!extra.isEmpty()) {
      throw new DataFormatException(source + ": column(s) " + Predict.abbreviate(extra) + " are not columns of the"
          + " model; name an id column with --id-column, leave them out with --drop-columns, or remove them");
    }
    this.inputs = new double[preprocessing.inputs()];
    this.values = new String[columns.size()];
  }

  /** Whether an ID column is passed through. */
  boolean hasId() {
    return idAt >= 0;
  }

  /**
   * Encodes the next row into {@code chunk} from {@code base}.
   *
   * @return the row's ID cell ("" without an ID column), or null at the end of the input
   */
  String next(float[] chunk, int base) {
    TableCsvRows.Row row = rows.next();
    if (row == null) {
      return null;
    }
    for (int c = 0; c < columnAt.length; c++) {
      values[c] = rows.value(row.cells().get(columnAt[c]));
    }
    try {
      encoder.encode(Arrays.asList(values), inputs, 0);
    } catch (IllegalArgumentException e) {
      throw new DataFormatException(source + ": line " + row.line() + ", " + e.getMessage());
    }
    for (int i = 0; i < inputs.length; i++) {
      float x = (float) inputs[i];
      if (!Float.isFinite(x)) {
        throw new DataFormatException(source + ": line " + row.line() + ", input '" + preprocessing.featureNames().get(i)
            + "': the value scaled by the bundle's preprocessing is not a finite number");
      }
      chunk[base + i] = x;
    }
    return idAt >= 0 ? row.cells().get(idAt) : "";
  }
}
