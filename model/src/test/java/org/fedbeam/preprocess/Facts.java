package org.fedbeam.preprocess;

import java.util.List;
import java.util.Map;
import java.util.OptionalDouble;
import org.fedbeam.data.table.ColumnFacts;
import org.fedbeam.data.table.TableFacts;

/** Hand-written facts, as a test states them. */
record Facts(long rows, List<ColumnFacts> columns, String labelName, Map<String, Long> labels) implements TableFacts {

  record Col(String name, String type, long count, long missing, double mean, double variance, OptionalDouble min,
      OptionalDouble max, OptionalDouble median, Map<String, Long> categories) implements ColumnFacts {
    @Override
    public OptionalDouble quantile(double rank) {
      return rank == 0.5 ? median : OptionalDouble.empty();
    }
  }

  static Col numeric(String name, long count, long missing, double mean, double variance) {
    return new Col(name, "numeric", count, missing, mean, variance, OptionalDouble.empty(), OptionalDouble.empty(),
        OptionalDouble.empty(), Map.of());
  }

  static Col numeric(String name, double mean, double variance, double min, double max, double median) {
    return new Col(name, "numeric", 10, 0, mean, variance, OptionalDouble.of(min), OptionalDouble.of(max),
        OptionalDouble.of(median), Map.of());
  }

  static Col categorical(String name, long missing, Map<String, Long> counts) {
    return new Col(name, "categorical", counts.values().stream().mapToLong(Long::longValue).sum(), missing, Double.NaN,
        Double.NaN, OptionalDouble.empty(), OptionalDouble.empty(), OptionalDouble.empty(), counts);
  }
}
