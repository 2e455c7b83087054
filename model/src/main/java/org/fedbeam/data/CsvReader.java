package org.fedbeam.data;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.TreeMap;

/**
 * Reads a numeric table from CSV: a header row, one label column chosen by name, every other
 * column a numeric feature. Class labels are the label column's distinct values, sorted (numbers
 * numerically, otherwise as text). A malformed row is recorded with its file and line; if more
 * than {@code maxBadRowShare} of the data rows are bad, the read fails and says why.
 */
public final class CsvReader {
  private static final int EXAMPLES_IN_ERROR = 5;

  /**
   * @param labelColumn name of the label column in the header
   * @param maxBadRowShare share of data rows that may be malformed, in [0, 1]
   */
  public record Options(String labelColumn, double maxBadRowShare) {
    public Options {
      if (labelColumn == null || labelColumn.isBlank()) {
        throw new IllegalArgumentException("labelColumn must be named");
      }
      if (!(maxBadRowShare >= 0 && maxBadRowShare <= 1)) {
        throw new IllegalArgumentException("maxBadRowShare must be in [0, 1], was " + maxBadRowShare);
      }
    }
  }

  /** A malformed row: its 1-based line in the file and what was wrong. */
  public record BadRow(int line, String reason) {
    @Override
    public String toString() {
      return "line " + line + ": " + reason;
    }
  }

  /** What was read: the data set, the names of its features and classes, and the rows skipped. */
  public record Table(Dataset dataset, List<String> featureNames, List<String> classNames, List<BadRow> badRows) {}

  private CsvReader() {}

  public static Table read(Path file, Options options) {
    if (!Files.isRegularFile(file)) {
      throw new DataFormatException(file + ": no such CSV file");
    }
    List<String> lines;
    try (BufferedReader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
      lines = reader.lines().toList();
    } catch (IOException | java.io.UncheckedIOException e) {
      throw new DataFormatException(file + ": cannot read: " + e.getMessage());
    }
    return parse(lines, file.toString(), options);
  }

  /** Parses lines already read; {@code source} names them in errors. */
  public static Table parse(List<String> lines, String source, Options options) {
    int headerLine = 0;
    while (headerLine < lines.size() && lines.get(headerLine).isBlank()) {
      headerLine++;
    }
    if (headerLine == lines.size()) {
      throw new DataFormatException(source + ": empty file, expected a header row");
    }
    List<String> header = split(lines.get(headerLine));
    int labelIndex = header.indexOf(options.labelColumn());
    if (labelIndex < 0) {
      throw new DataFormatException(source + ": no label column '" + options.labelColumn() + "' in header " + header);
    }
    List<String> featureNames = new ArrayList<>(header);
    featureNames.remove(labelIndex);
    int width = header.size();
    List<float[]> rows = new ArrayList<>();
    List<String> rawLabels = new ArrayList<>();
    List<BadRow> bad = new ArrayList<>();
    int dataRows = 0;
    for (int i = headerLine + 1; i < lines.size(); i++) {
      String line = lines.get(i);
      if (line.isBlank()) {
        continue;
      }
      dataRows++;
      List<String> cells = split(line);
      if (cells.size() != width) {
        bad.add(new BadRow(i + 1, "expected " + width + " columns, found " + cells.size()));
        continue;
      }
      String label = cells.get(labelIndex);
      if (label.isEmpty()) {
        bad.add(new BadRow(i + 1, "empty label in column '" + options.labelColumn() + "'"));
        continue;
      }
      float[] values = new float[width - 1];
      String problem = null;
      for (int c = 0, f = 0; c < width; c++) {
        if (c == labelIndex) {
          continue;
        }
        String cell = cells.get(c);
        try {
          values[f] = Float.parseFloat(cell);
          if (!Float.isFinite(values[f])) {
            problem = "column '" + header.get(c) + "' is not a finite number: '" + cell + "'";
          }
        } catch (NumberFormatException e) {
          problem = "column '" + header.get(c) + "' is not a number: '" + cell + "'";
        }
        if (problem != null) {
          break;
        }
        f++;
      }
      if (problem != null) {
        bad.add(new BadRow(i + 1, problem));
        continue;
      }
      rows.add(values);
      rawLabels.add(label);
    }
    if (dataRows == 0) {
      throw new DataFormatException(source + ": no data rows after the header");
    }
    double share = (double) bad.size() / dataRows;
    if (share > options.maxBadRowShare()) {
      throw new DataFormatException(String.format("%s: %d of %d data rows are malformed (%.1f%%, more than the allowed %.1f%%); first: %s",
          source, bad.size(), dataRows, 100 * share, 100 * options.maxBadRowShare(),
          bad.subList(0, Math.min(EXAMPLES_IN_ERROR, bad.size()))));
    }
    if (rows.isEmpty()) {
      throw new DataFormatException(source + ": every data row is malformed; first: " + bad.get(0));
    }
    if (rawLabels.stream().allMatch(CsvReader::isNumber)) {
      rawLabels.replaceAll(CsvReader::canonicalNumber);
    }
    List<String> classNames = sortedClasses(rawLabels);
    if (classNames.size() < 2) {
      throw new DataFormatException(source + ": label column '" + options.labelColumn() + "' has only one value " + classNames);
    }
    TreeMap<String, Integer> classIndex = new TreeMap<>();
    for (int i = 0; i < classNames.size(); i++) {
      classIndex.put(classNames.get(i), i);
    }
    int featureCount = width - 1;
    float[] features = new float[rows.size() * featureCount];
    int[] labels = new int[rows.size()];
    for (int r = 0; r < rows.size(); r++) {
      System.arraycopy(rows.get(r), 0, features, r * featureCount, featureCount);
      labels[r] = classIndex.get(rawLabels.get(r));
    }
    Dataset dataset = Dataset.adopt(source, features, labels, featureCount, classNames.size());
    return new Table(dataset, List.copyOf(featureNames), classNames, List.copyOf(bad));
  }

  private static List<String> sortedClasses(List<String> labels) {
    return classOrder(labels);
  }

  /**
   * The order of a label's classes everywhere in FedBeam (the CSV readers, the simulation, a fitted
   * preprocessing): numerically when every class is a finite number, else as text; each class once.
   */
  public static List<String> classOrder(java.util.Collection<String> classes) {
    String[] distinct = classes.stream().distinct().toArray(String[]::new);
    boolean numeric = Arrays.stream(distinct).allMatch(CsvReader::isNumber);
    if (numeric) {
      Arrays.sort(distinct, (a, b) -> Double.compare(Double.parseDouble(a), Double.parseDouble(b)));
    } else {
      Arrays.sort(distinct);
    }
    return List.of(distinct);
  }

  /** "1", "1.0" and "1e0" all become "1". */
  private static String canonicalNumber(String s) {
    return new java.math.BigDecimal(s.trim()).stripTrailingZeros().toPlainString();
  }

  private static boolean isNumber(String s) {
    try {
      return Double.isFinite(Double.parseDouble(s));
    } catch (NumberFormatException e) {
      return false;
    }
  }

  /** Splits on commas, honouring double quotes ("" inside quotes is a quote); trims cells. */
  static List<String> split(String line) {
    List<String> cells = new ArrayList<>();
    StringBuilder cell = new StringBuilder();
    boolean quoted = false;
    for (int i = 0; i < line.length(); i++) {
      char ch = line.charAt(i);
      if (quoted) {
        if (ch == '"' && i + 1 < line.length() && line.charAt(i + 1) == '"') {
          cell.append('"');
          i++;
        } else if (ch == '"') {
          quoted = false;
        } else {
          cell.append(ch);
        }
      } else if (ch == '"') {
        quoted = true;
      } else if (ch == ',') {
        cells.add(cell.toString().trim());
        cell.setLength(0);
      } else {
        cell.append(ch);
      }
    }
    cells.add(cell.toString().trim());
    return cells;
  }
}
