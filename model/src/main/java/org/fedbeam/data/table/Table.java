package org.fedbeam.data.table;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A silo's prepared table: its feature columns, in the order of the provider's header, and its label,
 * a categorical column with no missing value (a row without a label is dropped when the table is
 * prepared). An ID column is never part of it. Immutable.
 */
public final class Table {
  private final String source;
  private final List<TableColumn> columns;
  private final Map<String, TableColumn> byName;
  private final CategoricalColumn label;

  /**
   * @param source what the rows are (a file or a silo), named in errors
   * @param columns the feature columns, each with as many rows as the label, names unique
   * @param label the label column: no missing values, its name not among the features'
   * @throws IllegalArgumentException naming the source and the column at fault
   */
  public Table(String source, List<TableColumn> columns, CategoricalColumn label) {
    this.source = source;
    this.columns = List.copyOf(columns);
    this.label = label;
    if (this.columns.isEmpty()) {
      throw new IllegalArgumentException(source + ": a table needs at least one feature column");
    }
    if (label.missingCount() > 0) {
      throw new IllegalArgumentException(source + ": label column '" + label.name() + "' has " + label.missingCount()
          + " rows without a value");
    }
    Map<String, TableColumn> names = new LinkedHashMap<>();
    for (TableColumn c : this.columns) {
      if (c.rows() != label.rows()) {
        throw new IllegalArgumentException(source + ": column '" + c.name() + "' has " + c.rows() + " rows, the label "
            + label.rows());
      }
      if (names.put(c.name(), c) != null) {
        throw new IllegalArgumentException(source + ": column '" + c.name() + "' appears twice");
      }
    }
    if (names.containsKey(label.name())) {
      throw new IllegalArgumentException(source + ": the label column '" + label.name() + "' is also a feature");
    }
    this.byName = names;
  }

  static String requireName(String name) {
    if (name == null || name.isBlank()) {
      throw new IllegalArgumentException("a column needs a name");
    }
    return name;
  }

  /** What the rows are, named in errors. */
  public String source() {
    return source;
  }

  public int rows() {
    return label.rows();
  }

  /** The feature columns, in header order. */
  public List<TableColumn> columns() {
    return columns;
  }

  /** The names of the feature columns, in header order. */
  public List<String> columnNames() {
    return columns.stream().map(TableColumn::name).toList();
  }

  /** The feature column named {@code name}, or null. */
  public TableColumn column(String name) {
    return byName.get(name);
  }

  /** The label column. */
  public CategoricalColumn label() {
    return label;
  }

  /** The same table named otherwise (a silo's name for its share, say). */
  public Table withSource(String newSource) {
    return new Table(newSource, columns, label);
  }

  /** The rows {@code rows}, in that order, named {@code newSource}; categorical dictionaries are compacted. */
  public Table select(int[] rows, String newSource) {
    List<TableColumn> out = new ArrayList<>();
    for (TableColumn c : columns) {
      TableColumn s = c.select(rows);
      out.add(s instanceof CategoricalColumn cat ? cat.compact() : s);
    }
    return new Table(newSource, out, label.select(rows).compact());
  }

  /** The names of the categorical feature columns. */
  public Set<String> categoricalNames() {
    Set<String> out = new HashSet<>();
    for (TableColumn c : columns) {
      if (c instanceof CategoricalColumn) {
        out.add(c.name());
      }
    }
    return out;
  }
}
