package org.fedbeam.data.table;

import java.io.Reader;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.fedbeam.data.DataFormatException;

/**
 * A CSV export read row by row, untyped, with {@link TableCsv}'s reading rules (RFC 4180 quoting, the
 * delimiter, a byte order mark, blank lines, the header checks and the missing-value markers) but
 * without a label and without holding the file: what {@code fedbeam predict} reads. Column types come
 * from elsewhere (a fitted preprocessing), so nothing is inferred here; a row is handed over as its
 * cells, and a row with the wrong number of cells or bad quoting is an error naming the line, since
 * every row must get its own answer.
 *
 * <p>A {@link Table} always has a label, so rows to predict are not a table: this reader and a
 * preprocessing that encodes parsed cells keep a label-less file from needing one, and keep each chunk
 * from inferring its own types.
 */
public final class TableCsvRows {
  /**
   * One data row.
   *
   * @param line the 1-based line it starts on
   * @param cells its cells in header order, as written (trimmed)
   */
  public record Row(int line, List<String> cells) {}

  private final CsvRecords records;
  private final String source;
  private final TableCsv.Options options;
  private final List<String> header;
  private final Map<String, Integer> index = new HashMap<>();

  /**
   * Reads the header now.
   *
   * @param options its delimiter, missing-value markers, and the columns it names (ID, label if not
   *     null, dropped, categorical) must be in the header
   * @throws DataFormatException naming {@code source}, the line and the column if the header is bad
   */
  public TableCsvRows(Reader in, String source, TableCsv.Options options) {
    this.records = new CsvRecords(in, source, options.delimiter());
    this.source = source;
    this.options = options;
    CsvRecords.Record head = records.next();
    if (head == null) {
      throw new DataFormatException(source + ": empty file, expected a header row");
    }
    TableCsv.checkHeader(head, source, options);
    this.header = List.copyOf(head.cells());
    records.maxCells(header.size() + 1);
    for (int i = 0; i < header.size(); i++) {
      index.put(header.get(i), i);
    }
  }

  /** The header's column names, in order. */
  public List<String> header() {
    return header;
  }

  /** The position of column {@code name} in the header, or -1. */
  public int indexOf(String name) {
    return index.getOrDefault(name, -1);
  }

  /** A cell's value: null if it is one of the missing-value markers (the empty cell always is). */
  public String value(String cell) {
    return TableCsv.valueOf(cell, options);
  }

  /**
   * The next data row, or null at the end.
   *
   * @throws DataFormatException naming the file and the line if the row is malformed
   */
  public Row next() {
    CsvRecords.Record r = records.next();
    if (r == null) {
      return null;
    }
    if (r.problem() != null) {
      throw new DataFormatException(source + ": line " + r.line() + ": " + r.problem());
    }
    if (r.cells().size() != header.size()) {
      throw new DataFormatException(source + ": line " + r.line() + ": expected " + header.size() + " cells, found "
          + r.cells().size());
    }
    return new Row(r.line(), r.cells());
  }
}
