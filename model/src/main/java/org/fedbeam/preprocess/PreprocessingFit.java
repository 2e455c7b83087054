package org.fedbeam.preprocess;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.fedbeam.data.table.ColumnFacts;
import org.fedbeam.data.table.TableFacts;

/**
 * Fitting a {@link Preprocessing} from {@link TableFacts}:
 * <ul>
 *   <li>numeric: the impute value is the mean (or the median, the sketch's 0.5 quantile); standardize
 *       takes the mean and the population std (a constant column, std at most 1e-6 of max(1, |mean|),
 *       gets scale 1); minmax takes min and max, which only exist where the silos' policies release
 *       them; none is the identity;
 *   <li>categorical: the vocabulary is every released value counted in at least k records, sorted;
 *       missing values impute to the most frequent of them (the first in sorted order on a tie);
 *   <li>classes: the label values the facts name, sorted numerically when all are numbers, else as
 *       text.
 * </ul>
 * Errors name the column and what the facts lack.
 */
final class PreprocessingFit {
  private PreprocessingFit() {}

  static Preprocessing fit(TableFacts facts, Preprocessing.Options options) {
    List<ColumnSpec> specs = new ArrayList<>();
    for (ColumnFacts c : facts.columns()) {
      specs.add(switch (c.type()) {
        case "numeric" -> numeric(c, options);
        case "categorical" -> categorical(c, options.minCategoryCount());
        default -> throw new IllegalArgumentException("column '" + c.name() + "' has type '" + c.type()
            + "', expected numeric or categorical");
      });
    }
    return new Preprocessing(facts.labelName(), classes(facts), specs);
  }

  private static NumericSpec numeric(ColumnFacts c, Preprocessing.Options options) {
    if (c.count() == 0) {
      throw new IllegalArgumentException("column '" + c.name() + "' has no value in any silo (all " + c.missing()
          + " rows missing): drop it or fix the export");
    }
    double mean = c.mean();
    if (!Double.isFinite(mean)) {
      throw new IllegalArgumentException("column '" + c.name() + "': the statistics release no mean");
    }
    double impute = mean;
    if (options.impute() == Preprocessing.Impute.MEDIAN) {
      impute = c.quantile(0.5).orElseThrow(() -> new IllegalArgumentException("column '" + c.name()
          + "': the statistics release no quantile sketch, so the median cannot impute; impute the mean"));
    }
    return switch (options.scaling()) {
      case STANDARDIZE -> {
        double variance = c.variance();
        if (!(variance >= 0) || !Double.isFinite(variance)) {
          throw new IllegalArgumentException("column '" + c.name() + "': the statistics release no variance"
              + " (was " + variance + ")");
        }
        double std = Math.sqrt(variance);
        yield new NumericSpec(c.name(), Preprocessing.Scaling.STANDARDIZE, impute, mean,
            std > 1e-6 * Math.max(1.0, Math.abs(mean)) ? std : 1.0);
      }
      case MINMAX -> {
        if (c.min().isEmpty() || c.max().isEmpty()) {
          throw new IllegalArgumentException("column '" + c.name() + "': the silos' policies do not release its"
              + " min and max, so it cannot be min-max scaled; use standardize");
        }
        double min = c.min().getAsDouble();
        double max = c.max().getAsDouble();
        yield new NumericSpec(c.name(), Preprocessing.Scaling.MINMAX, impute, min, max > min ? max - min : 1.0);
      }
      case NONE -> new NumericSpec(c.name(), Preprocessing.Scaling.NONE, impute, 0, 1);
    };
  }

  private static CategoricalSpec categorical(ColumnFacts c, long k) {
    List<String> vocabulary = new ArrayList<>();
    String mostFrequent = null;
    long best = 0;
    List<String> values = new ArrayList<>(c.categories().keySet());
    values.sort(null);
    for (String v : values) {
      long n = c.categories().get(v);
      if (n >= k) {
        vocabulary.add(v);
        if (n > best) {
          best = n;
          mostFrequent = v;
        }
      }
    }
    return new CategoricalSpec(c.name(), vocabulary, mostFrequent);
  }

  private static List<String> classes(TableFacts facts) {
    String[] named = facts.labels().entrySet().stream().filter(e -> e.getValue() > 0).map(Map.Entry::getKey)
        .toArray(String[]::new);
    if (named.length < 2) {
      throw new IllegalArgumentException("the label '" + facts.labelName() + "' has " + named.length
          + " released classes, at least 2 are needed");
    }
    return org.fedbeam.data.CsvReader.classOrder(Arrays.asList(named));
  }
}
