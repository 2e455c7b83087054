package org.fedbeam.data.table;

import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * What {@link TableCsv} read from one CSV file: counts of rows read, kept and dropped (by reason), and
 * per column its type, missing cells and distinct values, with only min, mean and max for numeric
 * columns. It holds no record's values and is meant for the provider's own console: its numbers are
 * the silo's own and are never sent anywhere.
 *
 * @param source the file read
 * @param rowsRead data rows in the file (records after the header, blank lines not counted)
 * @param rowsKept rows in the prepared table
 * @param droppedMissingLabel rows dropped because their label was missing
 * @param droppedMissingValues rows dropped because a feature was missing ({@link TableCsv.Missing#DROP})
 * @param malformed rows dropped because they were malformed (wrong number of cells, bad quoting)
 * @param malformedLines the lines of the first few malformed rows, with what was wrong
 * @param labelColumn the label column's name
 * @param labelCounts rows per class in the prepared table
 * @param idColumn the ID column kept out of the features, or null
 * @param duplicateIds ID values that occur more than once (each extra occurrence counted)
 * @param missingIds rows without an ID value
 * @param droppedColumns the columns left out on request
 * @param columns the feature columns, in header order
 * @param warnings things the provider should look at (identifier-like or all-missing columns)
 */
public record TableProfile(String source, long rowsRead, int rowsKept, long droppedMissingLabel,
    long droppedMissingValues, long malformed, List<String> malformedLines, String labelColumn,
    Map<String, Long> labelCounts, String idColumn, long duplicateIds, long missingIds,
    List<String> droppedColumns, List<ColumnProfile> columns, List<String> warnings) {

  /**
   * One feature column as read.
   *
   * @param type "numeric" or "categorical"
   * @param declared whether {@code --categorical-columns} named it
   * @param missing cells without a value among the rows with a label (before rows with missing values are dropped)
   * @param distinct distinct values (categorical), -1 for a numeric column
   * @param min smallest value of a numeric column in the prepared table (NaN for a categorical or empty one)
   * @param mean mean of a numeric column in the prepared table (NaN likewise)
   * @param max largest value of a numeric column in the prepared table (NaN likewise)
   */
  public record ColumnProfile(String name, String type, boolean declared, long missing, int distinct,
      double min, double mean, double max) {}

  public TableProfile {
    malformedLines = List.copyOf(malformedLines);
    labelCounts = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(labelCounts));
    droppedColumns = List.copyOf(droppedColumns);
    columns = List.copyOf(columns);
    warnings = List.copyOf(warnings);
  }

  /** A short, readable account for the provider's console. */
  public String render() {
    StringBuilder out = new StringBuilder();
    out.append(String.format(Locale.ROOT, "read %s: %d data rows, %d kept; dropped %d without a label, %d with missing values, %d malformed%n",
        source, rowsRead, rowsKept, droppedMissingLabel, droppedMissingValues, malformed));
    if (!malformedLines.isEmpty()) {
      out.append("  malformed: ").append(String.join("; ", malformedLines)).append('\n');
    }
    out.append("label '").append(labelColumn).append("': ").append(labelCounts.size()).append(" classes:");
    labelCounts.forEach((k, v) -> out.append(' ').append(k).append('=').append(v));
    out.append('\n');
    if (idColumn != null) {
      out.append(String.format(Locale.ROOT, "id column '%s': kept out of the features; %d duplicate ids, %d missing%n",
          idColumn, duplicateIds, missingIds));
    }
    if (!droppedColumns.isEmpty()) {
      out.append("dropped columns: ").append(String.join(", ", droppedColumns)).append('\n');
    }
    int width = columns.stream().mapToInt(c -> c.name().length()).max().orElse(4);
    out.append(columns.size()).append(" feature columns:\n");
    for (ColumnProfile c : columns) {
      String detail = c.type().equals("numeric")
          ? String.format(Locale.ROOT, "min %.4g  mean %.4g  max %.4g", c.min(), c.mean(), c.max())
          : c.distinct() + " values" + (c.declared() ? " (declared categorical)" : "");
      out.append(String.format(Locale.ROOT, "  %-" + width + "s  %-11s  missing %-6d  %s%n", c.name(), c.type(), c.missing(), detail));
    }
    for (String w : warnings) {
      out.append("warning: ").append(w).append('\n');
    }
    return out.toString();
  }
}
