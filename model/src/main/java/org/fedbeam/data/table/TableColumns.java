package org.fedbeam.data.table;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.regex.Pattern;
import org.fedbeam.data.DataFormatException;

/**
 * The rows {@link TableCsv} keeps, as text, and how they become typed columns: type inference (a column
 * where more than half of the non-missing cells are numbers is numeric, unless declared categorical; its
 * other cells make their rows malformed, see {@link #rejectNonNumbers}), dropping rows with missing
 * values, canonical labels, sorted dictionaries, and the per-column profile.
 */
final class TableColumns {
  private static final Pattern NUMBER = Pattern.compile("[+-]?(\\d+\\.?\\d*|\\.\\d+)([eE][+-]?\\d+)?");
  private static final int IDENTIFIER_MIN_DISTINCT = 20;

  /** The typed table and what the profile says of it. */
  record Built(Table table, long droppedMissing, Map<String, Long> labelCounts,
      List<TableProfile.ColumnProfile> columns, List<String> warnings) {}

  /** A malformed row: its line and what was wrong with it. */
  record Bad(int line, String problem) {
    String text() {
      return "line " + line + ": " + problem;
    }
  }

  private static final int CELL_SHOWN = 40;

  private final String source;
  private final TableCsv.Options options;
  private final List<String> names;
  private final List<String[]> rows = new ArrayList<>();
  private final List<String> labels = new ArrayList<>();
  private final List<Integer> lines = new ArrayList<>();
  private boolean[] numeric;

  TableColumns(String source, TableCsv.Options options, List<String> names) {
    this.source = source;
    this.options = options;
    this.names = names;
  }

  int rows() {
    return rows.size();
  }

  /** A row with a label, read from {@code line}; a null cell is missing. */
  void add(String[] row, String label, int line) {
    rows.add(row);
    labels.add(label);
    lines.add(line);
  }

  /**
   * Infers each column's type and takes out the rows that do not fit it: a column is numeric when it
   * is not declared categorical and more than half of its non-missing cells are finite numbers (or it
   * has no value at all); a row holding anything else in a numeric column is malformed. Call once,
   * before {@link #build}.
   *
   * @return the rows taken out, in line order
   */
  List<Bad> rejectNonNumbers() {
    int width = names.size();
    long[] numbers = new long[width];
    long[] present = new long[width];
    for (String[] row : rows) {
      for (int f = 0; f < width; f++) {
        if (row[f] != null) {
          present[f]++;
          if (isFiniteNumber(row[f])) {
            numbers[f]++;
          }
        }
      }
    }
    numeric = new boolean[width];
    for (int f = 0; f < width; f++) {
      numeric[f] = !options.categoricalColumns().contains(names.get(f)) && 2 * numbers[f] > present[f]
          || present[f] == 0;
    }
    List<Bad> bad = new ArrayList<>();
    int kept = 0;
    for (int r = 0; r < rows.size(); r++) {
      String problem = nonNumber(rows.get(r));
      if (problem != null) {
        bad.add(new Bad(lines.get(r), problem));
        continue;
      }
      rows.set(kept, rows.get(r));
      labels.set(kept, labels.get(r));
      lines.set(kept, lines.get(r));
      kept++;
    }
    rows.subList(kept, rows.size()).clear();
    labels.subList(kept, labels.size()).clear();
    lines.subList(kept, lines.size()).clear();
    return bad;
  }

  private String nonNumber(String[] row) {
    for (int f = 0; f < row.length; f++) {
      if (numeric[f] && row[f] != null && !isFiniteNumber(row[f])) {
        String cell = row[f].length() > CELL_SHOWN ? row[f].substring(0, CELL_SHOWN) + "..." : row[f];
        return "column '" + names.get(f) + "' is not a number: '" + cell + "'";
      }
    }
    return null;
  }

  Built build() {
    if (rows.isEmpty()) {
      throw new DataFormatException(source + ": no row has a value in label column '" + options.labelColumn() + "'");
    }
    if (numeric == null) {
      throw new IllegalStateException("rejectNonNumbers() must run before build()");
    }
    int width = names.size();
    long[] missing = new long[width];
    for (String[] row : rows) {
      for (int f = 0; f < width; f++) {
        if (row[f] == null) {
          missing[f]++;
        }
      }
    }
    List<String> warnings = new ArrayList<>();
    for (int f = 0; f < width; f++) {
      if (missing[f] == rows.size()) {
        warnings.add("column '" + names.get(f) + "' has no value in any row with a label: drop it with --drop-columns");
      }
    }
    int[] keep = keptRows();
    if (keep.length == 0) {
      throw new DataFormatException(source + ": every row with a label lacks a value in some feature column (most missing in '"
          + names.get(argmax(missing)) + "', " + missing[argmax(missing)] + " rows): use --missing impute or --drop-columns");
    }
    List<TableColumn> columns = new ArrayList<>();
    List<TableProfile.ColumnProfile> profiles = new ArrayList<>();
    for (int f = 0; f < width; f++) {
      String name = names.get(f);
      if (numeric[f]) {
        NumericColumn c = numericColumn(f, keep);
        columns.add(c);
        profiles.add(numericProfile(c, missing[f]));
      } else {
        CategoricalColumn c = categorical(name, f, keep);
        columns.add(c);
        boolean declared = options.categoricalColumns().contains(name);
        profiles.add(new TableProfile.ColumnProfile(name, "categorical", declared, missing[f], c.dictionary().size(),
            Double.NaN, Double.NaN, Double.NaN));
        if (!declared && c.dictionary().size() > IDENTIFIER_MIN_DISTINCT && c.dictionary().size() == c.rows() - c.missingCount()) {
          warnings.add("column '" + name + "' looks like an identifier (every value distinct): use --id-column or --drop-columns");
        }
      }
    }
    CategoricalColumn label = labelColumn(keep);
    if (label.dictionary().size() < 2) {
      throw new DataFormatException(source + ": label column '" + options.labelColumn() + "' has fewer than 2 classes "
          + label.dictionary() + " in the " + keep.length + " rows kept");
    }
    Map<String, Long> counts = new LinkedHashMap<>();
    label.dictionary().forEach(v -> counts.put(v, 0L));
    for (int r = 0; r < label.rows(); r++) {
      counts.merge(label.value(r), 1L, Long::sum);
    }
    Table table = new Table(source, columns, label);
    return new Built(table, rows.size() - keep.length, counts, profiles, warnings);
  }

  private int[] keptRows() {
    int[] keep = new int[rows.size()];
    int n = 0;
    for (int r = 0; r < rows.size(); r++) {
      if (options.missing() == TableCsv.Missing.IMPUTE || Arrays.stream(rows.get(r)).noneMatch(java.util.Objects::isNull)) {
        keep[n++] = r;
      }
    }
    return Arrays.copyOf(keep, n);
  }

  private NumericColumn numericColumn(int f, int[] keep) {
    double[] v = new double[keep.length];
    for (int i = 0; i < keep.length; i++) {
      String cell = rows.get(keep[i])[f];
      v[i] = cell == null ? Double.NaN : Double.parseDouble(cell);
    }
    return new NumericColumn(names.get(f), v);
  }

  private static TableProfile.ColumnProfile numericProfile(NumericColumn c, long missing) {
    double min = Double.POSITIVE_INFINITY;
    double max = Double.NEGATIVE_INFINITY;
    double sum = 0;
    long n = 0;
    for (int r = 0; r < c.rows(); r++) {
      double v = c.value(r);
      if (!Double.isNaN(v)) {
        min = Math.min(min, v);
        max = Math.max(max, v);
        sum += v;
        n++;
      }
    }
    return n == 0
        ? new TableProfile.ColumnProfile(c.name(), "numeric", false, missing, -1, Double.NaN, Double.NaN, Double.NaN)
        : new TableProfile.ColumnProfile(c.name(), "numeric", false, missing, -1, min, sum / n, max);
  }

  private CategoricalColumn categorical(String name, int f, int[] keep) {
    String[] values = new String[keep.length];
    for (int i = 0; i < keep.length; i++) {
      values[i] = rows.get(keep[i])[f];
    }
    return coded(name, values, false);
  }

  private CategoricalColumn labelColumn(int[] keep) {
    String[] values = new String[keep.length];
    boolean allNumbers = true;
    for (int i = 0; i < keep.length; i++) {
      values[i] = labels.get(keep[i]);
      allNumbers &= isFiniteNumber(values[i]);
    }
    if (allNumbers) {
      for (int i = 0; i < values.length; i++) {
        values[i] = new BigDecimal(values[i]).stripTrailingZeros().toPlainString();
      }
    }
    return coded(options.labelColumn(), values, allNumbers);
  }

  /** Codes into a sorted dictionary: numerically if {@code numbers}, else as text. */
  private static CategoricalColumn coded(String name, String[] values, boolean numbers) {
    TreeSet<String> distinct = numbers
        ? new TreeSet<>((a, b) -> new BigDecimal(a).compareTo(new BigDecimal(b)))
        : new TreeSet<>();
    for (String v : values) {
      if (v != null) {
        distinct.add(v);
      }
    }
    List<String> dictionary = new ArrayList<>(distinct);
    Map<String, Integer> index = new HashMap<>();
    for (int i = 0; i < dictionary.size(); i++) {
      index.put(dictionary.get(i), i);
    }
    int[] codes = new int[values.length];
    for (int i = 0; i < values.length; i++) {
      codes[i] = values[i] == null ? -1 : index.get(values[i]);
    }
    return new CategoricalColumn(name, dictionary, codes);
  }

  static boolean isFiniteNumber(String s) {
    return s.length() <= 400 && NUMBER.matcher(s).matches() && Double.isFinite(Double.parseDouble(s));
  }

  private static int argmax(long[] values) {
    int best = 0;
    for (int i = 1; i < values.length; i++) {
      if (values[i] > values[best]) {
        best = i;
      }
    }
    return best;
  }
}
