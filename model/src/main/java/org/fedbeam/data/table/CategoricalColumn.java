package org.fedbeam.data.table;

import java.util.HashSet;
import java.util.List;

/**
 * A categorical column: a dictionary of its distinct values and, per row, the index of its value in
 * the dictionary, or -1 where the value is missing. The dictionary holds only values that occur in
 * the column's rows' origin (a {@link #select} keeps the dictionary; {@link #compact} drops unused
 * values).
 */
public final class CategoricalColumn implements TableColumn {
  private final String name;
  private final List<String> dictionary;
  private final int[] codes;
  private final int missing;

  /**
   * @param dictionary the distinct values, none null or repeated
   * @param codes per row an index into {@code dictionary}, or -1 for missing (copied)
   * @throws IllegalArgumentException naming the column if a code is out of range or a value repeats
   */
  public CategoricalColumn(String name, List<String> dictionary, int[] codes) {
    this.name = Table.requireName(name);
    this.dictionary = List.copyOf(dictionary);
    if (new HashSet<>(this.dictionary).size() != this.dictionary.size()) {
      throw new IllegalArgumentException("column '" + name + "': its dictionary repeats a value");
    }
    this.codes = codes.clone();
    int m = 0;
    for (int r = 0; r < this.codes.length; r++) {
      if (this.codes[r] == -1) {
        m++;
      } else if (this.codes[r] < 0 || this.codes[r] >= this.dictionary.size()) {
        throw new IllegalArgumentException("column '" + name + "' row " + r + ": code " + this.codes[r]
            + " is outside its dictionary of " + this.dictionary.size() + " values");
      }
    }
    this.missing = m;
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public int rows() {
    return codes.length;
  }

  /** The distinct values this column's codes index. */
  public List<String> dictionary() {
    return dictionary;
  }

  /** Row {@code row}'s index into {@link #dictionary()}, -1 if missing. */
  public int code(int row) {
    return codes[row];
  }

  /** Row {@code row}'s value, or null if missing. */
  public String value(int row) {
    return codes[row] < 0 ? null : dictionary.get(codes[row]);
  }

  @Override
  public boolean isMissing(int row) {
    return codes[row] < 0;
  }

  @Override
  public int missingCount() {
    return missing;
  }

  @Override
  public String type() {
    return "categorical";
  }

  @Override
  public CategoricalColumn select(int[] rows) {
    int[] out = new int[rows.length];
    for (int i = 0; i < rows.length; i++) {
      out[i] = codes[rows[i]];
    }
    return new CategoricalColumn(name, dictionary, out);
  }

  /** The same rows with a dictionary of only the values they use, in dictionary order. */
  public CategoricalColumn compact() {
    int[] remap = new int[dictionary.size()];
    java.util.Arrays.fill(remap, -1);
    for (int c : codes) {
      if (c >= 0) {
        remap[c] = 0;
      }
    }
    List<String> kept = new java.util.ArrayList<>();
    for (int i = 0; i < remap.length; i++) {
      if (remap[i] == 0) {
        remap[i] = kept.size();
        kept.add(dictionary.get(i));
      }
    }
    int[] out = new int[codes.length];
    for (int r = 0; r < codes.length; r++) {
      out[r] = codes[r] < 0 ? -1 : remap[codes[r]];
    }
    return new CategoricalColumn(name, kept, out);
  }
}
