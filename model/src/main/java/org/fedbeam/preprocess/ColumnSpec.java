package org.fedbeam.preprocess;

import java.util.List;

/**
 * How one raw input column becomes model inputs: a numeric column one scaled input
 * ({@link NumericSpec}), a categorical column one input per vocabulary value plus "other"
 * ({@link CategoricalSpec}). Immutable; validated on construction (a spec read from a file is
 * hostile until checked).
 */
public sealed interface ColumnSpec permits NumericSpec, CategoricalSpec {
  /** Longest column name or category value accepted, in characters. */
  int MAX_NAME = 4096;

  /** The raw column's name, as in the provider's header. */
  String name();

  /** {@code "numeric"} or {@code "categorical"}, as {@link org.fedbeam.data.table.TableColumn#type()}. */
  String type();

  /** The model inputs this column becomes, named ("age", "colour=red", "colour=other"). */
  List<String> inputNames();

  /** How many model inputs this column becomes. */
  default int width() {
    return inputNames().size();
  }

  static String checkName(String what, String name) {
    if (name == null || name.isEmpty()) {
      throw new IllegalArgumentException(what + " must be a non-empty text");
    }
    if (name.length() > MAX_NAME) {
      throw new IllegalArgumentException(what + " is " + name.length() + " characters long, at most " + MAX_NAME
          + " are accepted");
    }
    return name;
  }
}
