package org.fedbeam.preprocess;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalDouble;
import org.fedbeam.data.table.CategoricalColumn;
import org.fedbeam.data.table.ColumnFacts;
import org.fedbeam.data.table.NumericColumn;
import org.fedbeam.data.table.Table;
import org.fedbeam.data.table.TableColumn;
import org.fedbeam.data.table.TableFacts;

/**
 * The facts of one pooled table, computed directly from its rows: the centralized baseline that
 * federated statistics are compared with. Means and population variances by two passes (the second
 * over centred values, no cancellation); min, max and quantiles exact (the quantile at rank q is the
 * sorted values' element at {@code floor(q * (n - 1))}); every category value and label counted, none
 * suppressed.
 */
public record PooledFacts(long rows, List<ColumnFacts> columns, String labelName, Map<String, Long> labels)
    implements TableFacts {

  /** One column's facts. */
  public record Column(String name, String type, long count, long missing, double mean, double variance,
      double[] sorted, Map<String, Long> categories) implements ColumnFacts {
    @Override
    public OptionalDouble min() {
      return sorted.length == 0 ? OptionalDouble.empty() : OptionalDouble.of(sorted[0]);
    }

    @Override
    public OptionalDouble max() {
      return sorted.length == 0 ? OptionalDouble.empty() : OptionalDouble.of(sorted[sorted.length - 1]);
    }

    @Override
    public OptionalDouble quantile(double rank) {
      if (sorted.length == 0 || !(rank >= 0 && rank <= 1)) {
        return OptionalDouble.empty();
      }
      return OptionalDouble.of(sorted[(int) Math.floor(rank * (sorted.length - 1))]);
    }
  }

  /** The facts of {@code table}'s rows. */
  public static PooledFacts of(Table table) {
    List<ColumnFacts> out = new ArrayList<>();
    for (TableColumn c : table.columns()) {
      out.add(c instanceof NumericColumn n ? numeric(n) : categorical((CategoricalColumn) c));
    }
    return new PooledFacts(table.rows(), List.copyOf(out), table.label().name(), counts(table.label()));
  }

  private static Column numeric(NumericColumn c) {
    double[] present = Arrays.stream(c.values()).filter(v -> !Double.isNaN(v)).toArray();
    double mean = Double.NaN;
    double variance = Double.NaN;
    if (present.length > 0) {
      double sum = 0;
      for (double v : present) {
        sum += v;
      }
      mean = sum / present.length;
      double squares = 0;
      for (double v : present) {
        squares += (v - mean) * (v - mean);
      }
      variance = squares / present.length;
    }
    Arrays.sort(present);
    return new Column(c.name(), "numeric", present.length, c.missingCount(), mean, variance, present, Map.of());
  }

  private static Column categorical(CategoricalColumn c) {
    return new Column(c.name(), "categorical", c.rows() - c.missingCount(), c.missingCount(), Double.NaN, Double.NaN,
        new double[0], counts(c));
  }

  private static Map<String, Long> counts(CategoricalColumn c) {
    Map<String, Long> out = new LinkedHashMap<>();
    for (int r = 0; r < c.rows(); r++) {
      if (!c.isMissing(r)) {
        out.merge(c.value(r), 1L, Long::sum);
      }
    }
    return java.util.Collections.unmodifiableMap(out);
  }
}
