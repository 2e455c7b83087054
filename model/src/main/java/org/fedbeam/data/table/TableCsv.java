package org.fedbeam.data.table;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.fedbeam.data.DataFormatException;

/**
 * Reads a provider's CSV export into a {@link Table}: a header row, a label column chosen by name, an
 * optional ID column (kept out of the features), columns to leave out, and every other column a numeric
 * or categorical feature. Quoting follows RFC 4180 (see {@link CsvRecords}); any one-character delimiter.
 *
 * <p>Type inference: a column is numeric when more than half of its non-missing cells are finite
 * decimal numbers (a column with no value at all is numeric too), else categorical; {@link
 * Options#categoricalColumns} forces a column categorical (codes like {@code 01}). In a numeric column,
 * a non-missing cell that is not a number (a typo such as {@code oops}) makes its row malformed, named
 * with its line, column and cell.
 * A cell that is empty or one of {@link Options#missingMarkers} is missing. A row without a label is
 * dropped; a row with a missing feature is dropped ({@link Missing#DROP}) or kept with the cell missing
 * ({@link Missing#IMPUTE}, for the fitted preprocessing to impute). Numeric labels are canonical
 * ({@code 1.0} is {@code 1}). A row with the wrong number of cells, bad quoting or a non-number in a
 * numeric column is malformed: counted, and the read fails if more than {@link Options#maxBadRowShare} of
 * the data rows are. Files without a label column (rows to predict) are read row by row, untyped, by
 * {@link TableCsvRows}. Errors are {@link
 * DataFormatException}s naming the file and, where there is one, the line and the column.
 */
public final class TableCsv {
  private static final int EXAMPLES = 5;
  private static final int MAX_ROWS = Integer.MAX_VALUE - 16;

  /** What to do with a row that lacks a feature value. */
  public enum Missing { DROP, IMPUTE }

  /**
   * How to read a CSV export.
   *
   * @param delimiter the cell separator, e.g. {@code ','}, {@code ';'}, {@code '\t'}, {@code '|'}
   * @param labelColumn the label column's name in the header; null for a file without labels, which only
   *     {@link TableCsvRows} reads ({@link #read} and {@link #parse} need a label)
   * @param idColumn an ID column kept out of the features (duplicates are counted), or null for none
   * @param dropColumns columns left out
   * @param categoricalColumns columns read as categorical even when their values look numeric
   * @param missing what to do with rows that lack a feature value
   * @param missingMarkers cell texts that mean "no value" (the empty cell always does)
   * @param maxBadRowShare share of data rows that may be malformed, in [0, 1]
   */
  public record Options(char delimiter, String labelColumn, String idColumn, Set<String> dropColumns,
      Set<String> categoricalColumns, Missing missing, Set<String> missingMarkers, double maxBadRowShare) {
    /** The markers of a missing value {@link #of} uses. */
    public static final Set<String> DEFAULT_MISSING =
        Set.of("", "NA", "N/A", "NaN", "nan", "null", "NULL", "?", "None");

    public Options {
      if (delimiter == '"' || delimiter == '\n' || delimiter == '\r' || delimiter == '\uFEFF') {
        throw new IllegalArgumentException("delimiter must not be a quote or a line break, was '" + delimiter + "'");
      }
      if (labelColumn != null && labelColumn.isBlank()) {
        throw new IllegalArgumentException("labelColumn must be named or null (no label), was blank");
      }
      if (idColumn != null && (idColumn.isBlank() || idColumn.equals(labelColumn))) {
        throw new IllegalArgumentException("idColumn must be a named column other than the label, was '" + idColumn + "'");
      }
      dropColumns = Set.copyOf(java.util.Objects.requireNonNull(dropColumns, "dropColumns"));
      categoricalColumns = Set.copyOf(java.util.Objects.requireNonNull(categoricalColumns, "categoricalColumns"));
      if (labelColumn != null && (dropColumns.contains(labelColumn) || categoricalColumns.contains(labelColumn))) {
        throw new IllegalArgumentException("the label column '" + labelColumn
            + "' cannot be dropped or declared categorical (a label is always categorical)");
      }
      for (String c : categoricalColumns) {
        if (dropColumns.contains(c) || c.equals(idColumn)) {
          throw new IllegalArgumentException("column '" + c + "' is declared categorical and also dropped or the ID column");
        }
      }
      java.util.Objects.requireNonNull(missing, "missing");
      Set<String> markers = new HashSet<>(java.util.Objects.requireNonNull(missingMarkers, "missingMarkers"));
      markers.add("");
      missingMarkers = Set.copyOf(markers);
      if (!(maxBadRowShare >= 0 && maxBadRowShare <= 1)) {
        throw new IllegalArgumentException("maxBadRowShare must be in [0, 1], was " + maxBadRowShare);
      }
    }

    /** ',' as delimiter, no ID column, nothing dropped or forced categorical, {@link Missing#DROP},
     * {@link #DEFAULT_MISSING}, no malformed row allowed. */
    public static Options of(String labelColumn) {
      return new Options(',', labelColumn, null, Set.of(), Set.of(), Missing.DROP, DEFAULT_MISSING, 0.0);
    }
  }

  /** The table read and the profile of what was read. */
  public record Result(Table table, TableProfile profile) {}

  private TableCsv() {}

  /** Reads {@code file} as UTF-8 text; errors name it. */
  public static Result read(Path file, Options o) {
    if (!Files.isRegularFile(file)) {
      throw new DataFormatException(file + ": no such CSV file");
    }
    try (BufferedReader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
      return parse(in, file.toString(), o);
    } catch (IOException e) {
      throw new DataFormatException(file + ": cannot read: " + e.getMessage());
    }
  }

  /** Reads CSV text from {@code in}; {@code source} names it in errors and becomes the table's source. */
  public static Result parse(Reader in, String source, Options o) {
    if (o.labelColumn() == null) {
      throw new IllegalArgumentException(source + ": a table needs a label column; rows without one are read by TableCsvRows");
    }
    CsvRecords records = new CsvRecords(in, source, o.delimiter());
    CsvRecords.Record head = records.next();
    if (head == null) {
      throw new DataFormatException(source + ": empty file, expected a header row");
    }
    List<String> header = head.cells();
    checkHeader(head, source, o);
    int width = header.size();
    records.maxCells(width + 1);
    int labelIdx = header.indexOf(o.labelColumn());
    int idIdx = o.idColumn() == null ? -1 : header.indexOf(o.idColumn());
    List<Integer> featureIdx = new ArrayList<>();
    for (int i = 0; i < width; i++) {
      if (i != labelIdx && i != idIdx && !o.dropColumns().contains(header.get(i))) {
        featureIdx.add(i);
      }
    }
    if (featureIdx.isEmpty()) {
      throw new DataFormatException(source + ": line " + head.line() + ": no feature column is left once the label, ID and dropped columns are taken out");
    }
    TableColumns cols = new TableColumns(source, o, featureIdx.stream().map(header::get).toList());
    Set<String> ids = new HashSet<>();
    long rowsRead = 0;
    long missingLabel = 0;
    long duplicateIds = 0;
    long missingIds = 0;
    List<TableColumns.Bad> bad = new ArrayList<>();
    long malformed = 0;
    for (CsvRecords.Record r = records.next(); r != null; r = records.next()) {
      rowsRead++;
      List<String> cells = r.cells();
      if (r.problem() != null || cells.size() != width) {
        malformed++;
        if (bad.size() < EXAMPLES) {
          bad.add(new TableColumns.Bad(r.line(), r.problem() != null ? r.problem() : "expected " + width + " cells, found " + cells.size()));
        }
        continue;
      }
      if (idIdx >= 0) {
        String id = valueOf(cells.get(idIdx), o);
        if (id == null) {
          missingIds++;
        } else if (!ids.add(id)) {
          duplicateIds++;
        }
      }
      String label = valueOf(cells.get(labelIdx), o);
      if (label == null) {
        missingLabel++;
        continue;
      }
      if (cols.rows() >= MAX_ROWS) {
        throw new DataFormatException(source + ": line " + r.line() + ": more than " + MAX_ROWS + " rows");
      }
      String[] row = new String[featureIdx.size()];
      for (int f = 0; f < row.length; f++) {
        row[f] = valueOf(cells.get(featureIdx.get(f)), o);
      }
      cols.add(row, label, r.line());
    }
    if (rowsRead == 0) {
      throw new DataFormatException(source + ": no data rows after the header on line " + head.line());
    }
    List<TableColumns.Bad> notNumbers = cols.rejectNonNumbers();
    malformed += notNumbers.size();
    bad.addAll(notNumbers);
    bad.sort(java.util.Comparator.comparingInt(TableColumns.Bad::line));
    List<String> first = bad.stream().limit(EXAMPLES).map(TableColumns.Bad::text).toList();
    double share = (double) malformed / rowsRead;
    if (share > o.maxBadRowShare()) {
      throw new DataFormatException(String.format(Locale.ROOT,
          "%s: %d of %d data rows are malformed (%.1f%%, more than the allowed %.1f%%; see --max-bad-row-share); first: %s%s",
          source, malformed, rowsRead, 100 * share, 100 * o.maxBadRowShare(), String.join("; ", first),
          notNumbers.isEmpty() ? "" : ". A column where more than half of the cells are numbers is numeric: if its text"
              + " values mean something, declare it with --categorical-columns; if they mean \"no value\", list them"
              + " with --missing-values"));
    }
    TableColumns.Built built = cols.build();
    TableProfile profile = new TableProfile(source, rowsRead, built.table().rows(), missingLabel, built.droppedMissing(),
        malformed, first, o.labelColumn(), built.labelCounts(), o.idColumn(), duplicateIds, missingIds,
        header.stream().filter(o.dropColumns()::contains).toList(), built.columns(), built.warnings());
    return new Result(built.table(), profile);
  }

  /**
   * Whether {@code cell} is a number as this reader types it: a finite decimal ({@code -1.5}, {@code 2e3});
   * not {@code NaN}, {@code Infinity}, hex or a trailing type letter.
   */
  public static boolean isNumber(String cell) {
    return TableColumns.isFiniteNumber(cell);
  }

  static String valueOf(String cell, Options o) {
    return o.missingMarkers().contains(cell) ? null : cell;
  }

  static void checkHeader(CsvRecords.Record head, String source, Options o) {
    List<String> header = head.cells();
    String at = source + ": line " + head.line() + " (header)";
    if (head.problem() != null) {
      throw new DataFormatException(at + ": " + head.problem());
    }
    if (header.size() == 1) {
      for (char d : new char[] {';', '\t', ',', '|'}) {
        if (d != o.delimiter() && header.get(0).indexOf(d) >= 0) {
          throw new DataFormatException(at + " has one column '" + header.get(0) + "': the file seems to use "
              + (d == '\t' ? "tabs" : "'" + d + "'") + " between cells: use --delimiter " + (d == '\t' ? "tab" : "'" + d + "'"));
        }
      }
    }
    Set<String> seen = new HashSet<>();
    for (int i = 0; i < header.size(); i++) {
      if (header.get(i).isEmpty()) {
        throw new DataFormatException(at + ", column " + (i + 1) + ": the column has no name");
      }
      if (!seen.add(header.get(i))) {
        throw new DataFormatException(at + ", column " + (i + 1) + ": column '" + header.get(i) + "' appears twice");
      }
    }
    Set<String> named = new LinkedHashSet<>();
    if (o.labelColumn() != null) {
      named.add(o.labelColumn());
    }
    if (o.idColumn() != null) {
      named.add(o.idColumn());
    }
    named.addAll(o.dropColumns());
    named.addAll(o.categoricalColumns());
    for (String n : named) {
      if (!seen.contains(n)) {
        String role = n.equals(o.labelColumn()) ? "label column" : n.equals(o.idColumn()) ? "ID column"
            : o.dropColumns().contains(n) ? "column to drop" : "categorical column";
        throw new DataFormatException(at + ": no " + role + " '" + n + "' in the header " + header);
      }
    }
  }
}
