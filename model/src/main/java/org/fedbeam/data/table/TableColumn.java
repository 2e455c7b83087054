package org.fedbeam.data.table;

/**
 * One named column of a {@link Table}: numeric (a double per row, NaN where missing) or categorical
 * (a code per row into its dictionary of values, -1 where missing). Immutable.
 */
public sealed interface TableColumn permits NumericColumn, CategoricalColumn {
  /** The column's name, as in the provider's header. */
  String name();

  /** How many rows it has. */
  int rows();

  /** Whether row {@code row} has no value. */
  boolean isMissing(int row);

  /** How many rows have no value. */
  int missingCount();

  /** {@code "numeric"} or {@code "categorical"}: the type named in messages and statistics. */
  String type();

  /** The same column restricted to {@code rows}, in that order (a silo's share of a pooled table, say). */
  TableColumn select(int[] rows);
}
