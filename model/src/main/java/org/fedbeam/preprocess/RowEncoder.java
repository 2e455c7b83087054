package org.fedbeam.preprocess;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.fedbeam.data.table.TableCsv;

/**
 * A {@link Preprocessing} applied to one row of parsed cells, as {@code fedbeam predict} streams them:
 * the column types are the preprocessing's (nothing is inferred from the rows), a missing numeric value
 * takes the fitted imputation, a missing category the fitted one, and a category the vocabulary does
 * not hold (rarer than k at fitting, or never seen) the "other" input. The arithmetic is {@link
 * Preprocessing#encode}'s, in double, so a row gets the same inputs here as in a table.
 */
public final class RowEncoder {
  private final Preprocessing preprocessing;
  private final Map<String, Integer>[] slots;

  /** An encoder for {@code preprocessing}'s columns, in {@link Preprocessing#columns()} order. */
  @SuppressWarnings("unchecked")
  public RowEncoder(Preprocessing preprocessing) {
    this.preprocessing = preprocessing;
    List<ColumnSpec> columns = preprocessing.columns();
    this.slots = new Map[columns.size()];
    for (int c = 0; c < columns.size(); c++) {
      if (columns.get(c) instanceof CategoricalSpec spec) {
        Map<String, Integer> index = new HashMap<>();
        for (int i = 0; i < spec.vocabulary().size(); i++) {
          index.put(spec.vocabulary().get(i), i);
        }
        slots[c] = index;
      }
    }
  }

  /**
   * Writes the row's {@link Preprocessing#inputs()} model inputs to {@code out} from {@code offset}.
   *
   * @param values one cell per column of the preprocessing, in its order; null for a missing value
   * @throws IllegalArgumentException naming the column and the cell if a numeric column's cell is not a
   *     finite number, or if the number of values is wrong
   */
  public void encode(List<String> values, double[] out, int offset) {
    List<ColumnSpec> columns = preprocessing.columns();
    if (values.size() != columns.size()) {
      throw new IllegalArgumentException("expected " + columns.size() + " values (one per column of the"
          + " preprocessing), got " + values.size());
    }
    int at = offset;
    for (int c = 0; c < columns.size(); c++) {
      ColumnSpec spec = columns.get(c);
      String cell = values.get(c);
      if (spec instanceof NumericSpec n) {
        if (cell != null && !TableCsv.isNumber(cell)) {
          throw new IllegalArgumentException("column '" + spec.name() + "': not a finite number: '"
              + (cell.length() > 40 ? cell.substring(0, 40) + "..." : cell) + "'");
        }
        out[at] = n.encode(cell == null ? Double.NaN : Double.parseDouble(cell));
      } else {
        CategoricalSpec cat = (CategoricalSpec) spec;
        java.util.Arrays.fill(out, at, at + cat.width(), 0);
        int slot = cell == null ? cat.missingSlot() : slots[c].getOrDefault(cell, cat.vocabulary().size());
        out[at + slot] = 1;
      }
      at += spec.width();
    }
  }
}
