package org.fedbeam.data;

import java.util.List;

/** One CSV line split into cells the way {@link CsvReader} splits them, for readers that stream a file. */
public final class CsvLine {
  private CsvLine() {}

  /** Splits on commas, honouring double quotes ({@code ""} inside quotes is a quote); trims cells. */
  public static List<String> split(String line) {
    return CsvReader.split(line);
  }

  /** {@code cell} as a CSV cell: quoted (quotes doubled) if it holds a comma, a quote, a line break or edge spaces. */
  public static String quote(String cell) {
    boolean plain = cell.chars().noneMatch(c -> c == ',' || c == '"' || c == '\n' || c == '\r')
        && cell.equals(cell.trim());
    return plain ? cell : '"' + cell.replace("\"", "\"\"") + '"';
  }
}
