package org.fedbeam.data.table;

import java.util.Map;
import java.util.OptionalDouble;

/**
 * What fitting a preprocessing may know of one feature column: aggregates only, as federated
 * statistics release them (merged over the silos) or as a pooled table gives them (the centralized
 * baseline). Never a record.
 */
public interface ColumnFacts {
  /** The column's name. */
  String name();

  /** {@code "numeric"} or {@code "categorical"}. */
  String type();

  /** Rows with a value. */
  long count();

  /** Rows without a value. */
  long missing();

  /** The mean of the values (numeric columns; NaN otherwise or when not released). */
  double mean();

  /** The population variance of the values (numeric columns; NaN otherwise or when not released). */
  double variance();

  /** The smallest value, only where the silos' policies release it. */
  OptionalDouble min();

  /** The largest value, only where the silos' policies release it. */
  OptionalDouble max();

  /** A quantile of the values at {@code rank} in [0, 1] where a sketch gives it (numeric), else empty. */
  OptionalDouble quantile(double rank);

  /**
   * The released categories and their counts (categorical columns): only values seen in at least k
   * records; rarer values are folded away, never named. Empty for a numeric column.
   */
  Map<String, Long> categories();
}
