package org.fedbeam.data.table;

import java.io.IOException;
import java.io.Reader;
import java.util.ArrayList;
import java.util.List;
import org.fedbeam.data.DataFormatException;

/**
 * Splits CSV text into records the RFC 4180 way: a cell in double quotes may hold the delimiter, line
 * breaks and doubled quotes; records end at LF, CRLF or CR; a leading UTF-8 byte order mark is skipped;
 * cells are trimmed (outside quotes); blank lines are skipped. Each record knows the line it starts on.
 */
final class CsvRecords {
  /** One record: its cells, the 1-based line it starts on, and what is wrong with it (null if nothing). */
  record Record(int line, List<String> cells, String problem) {}

  private static final int MAX_CELL = 1 << 20;
  /** The most columns a header may have (docs/prepare.md). */
  static final int MAX_COLUMNS = 100_000;

  private final Reader in;
  private final String source;
  private final char delimiter;
  private int line = 1;
  private int pushedBack = -2;
  private boolean first = true;
  /** The most cells a record may have: {@link #MAX_COLUMNS} for the header, then the header's width + 1. */
  private int maxCells = MAX_COLUMNS;

  CsvRecords(Reader in, String source, char delimiter) {
    this.in = in;
    this.source = source;
    this.delimiter = delimiter;
  }

  /**
   * Caps the cells of the records that follow: a record with more is malformed, its extra cells not kept
   * (so one endless row costs no memory).
   */
  void maxCells(int cells) {
    maxCells = cells;
  }

  /** The next non-blank record, or null at the end of the text. */
  Record next() {
    while (true) {
      int start = line;
      List<String> cells = new ArrayList<>();
      StringBuilder cell = new StringBuilder();
      boolean quotedCell = false;
      String problem = null;
      int ch = read();
      if (ch == -1) {
        return null;
      }
      while (true) {
        if (ch == -1 || ch == '\n' || ch == '\r') {
          if (ch == '\r') {
            int after = read();
            if (after != '\n') {
              unread(after);
            }
          }
          if (ch != -1) {
            line++;
          }
          add(cells, cell);
          break;
        } else if (ch == delimiter) {
          add(cells, cell);
          if (cells.size() > maxCells && problem == null) {
            problem = "more than " + maxCells + " cells";
          }
          cell.setLength(0);
          quotedCell = false;
        } else if (ch == '"' && cell.toString().isBlank() && !quotedCell) {
          cell.setLength(0);
          quoted(cell, start);
          quotedCell = true;
        } else {
          if (quotedCell && !Character.isWhitespace(ch) && problem == null) {
            problem = "cell " + (cells.size() + 1) + " has text after its closing quote (a quote inside a quoted cell must be doubled)";
          }
          if (!quotedCell || problem != null) {
            append(cell, (char) ch);
          }
        }
        ch = read();
      }
      if (cells.size() == 1 && cells.get(0).isEmpty() && !quotedCell) {
        continue;
      }
      if (cells.size() > maxCells && problem == null) {
        problem = "more than " + maxCells + " cells";
      }
      return new Record(start, cells, problem);
    }
  }

  /** Keeps a cell while the record is within its cap; past it, cells are counted out, not kept. */
  private void add(List<String> cells, StringBuilder cell) {
    if (cells.size() <= maxCells) {
      cells.add(cell.toString().trim());
    }
  }

  private void quoted(StringBuilder cell, int start) {
    int opened = line;
    while (true) {
      int ch = read();
      if (ch == -1) {
        throw new DataFormatException(source + ": line " + opened + ": a quoted cell opened here is never closed"
            + (opened == start ? "" : " (record from line " + start + ")"));
      }
      if (ch == '"') {
        int after = read();
        if (after == '"') {
          append(cell, '"');
          continue;
        }
        unread(after);
        return;
      }
      if (ch == '\n' || (ch == '\r' && peekNotNewline())) {
        line++;
      }
      append(cell, (char) ch);
    }
  }

  private boolean peekNotNewline() {
    int after = read();
    unread(after);
    return after != '\n';
  }

  private void append(StringBuilder cell, char ch) {
    if (cell.length() >= MAX_CELL) {
      throw new DataFormatException(source + ": line " + line + ": a cell is longer than " + MAX_CELL + " characters");
    }
    cell.append(ch);
  }

  private void unread(int ch) {
    pushedBack = ch;
  }

  private int read() {
    if (pushedBack != -2) {
      int ch = pushedBack;
      pushedBack = -2;
      return ch;
    }
    try {
      int ch = in.read();
      if (first) {
        first = false;
        if (ch == '\uFEFF') {
          ch = in.read();
        }
      }
      return ch;
    } catch (IOException e) {
      throw new DataFormatException(source + ": line " + line + ": cannot read: " + e.getMessage());
    }
  }
}
