package org.fedbeam.data.table;

import java.util.List;
import java.util.Map;

/** What fitting a preprocessing may know of a whole table: its columns' facts and the label's counts. */
public interface TableFacts {
  /** Rows in all (over every silo, for federated statistics). */
  long rows();

  /** The feature columns' facts, in header order. */
  List<ColumnFacts> columns();

  /** The label column's name. */
  String labelName();

  /** The label's released classes and their counts (classes seen in fewer than k records are not named). */
  Map<String, Long> labels();
}
