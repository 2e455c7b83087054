package org.fedbeam.stats;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What one silo releases from one pass of federated statistics, after the disclosure rules of
 * {@link Disclosure} (and the noise of {@link DpNoise}, if asked): per column its counts, moments,
 * histogram, quantile sketch or category counts, and the label distribution. A released count is 0 or
 * at least k; a suppressed one is null. Validated on construction (a silo's file is hostile: {@link
 * SiloStatsJson} names the silo and the field).
 *
 * @param silo the silo's name
 * @param pass the pass this release answers
 * @param k the minimum cell count the silo applied
 * @param rows the silo's rows (SUMMARY pass; noisy with noise; null in the HISTOGRAM pass)
 * @param columns the columns, in the query's order
 * @param labelName the label column's name
 * @param labels the label's classes (SUMMARY pass; null in the HISTOGRAM pass)
 * @param mechanism the noise mechanism ("none", "laplace" or "gaussian")
 * @param epsilon what this release costs the silo's DP budget (0 without noise)
 * @param delta its delta (gaussian), else 0
 */
public record SiloStats(
    String silo,
    StatsQuery.Pass pass,
    int k,
    Long rows,
    List<ColumnStats> columns,
    String labelName,
    Categories labels,
    String mechanism,
    double epsilon,
    double delta) implements java.io.Serializable {
  private static final long serialVersionUID = 1L;
  /** The most categories (or label classes) one column may release. */
  public static final int MAX_CATEGORIES = 100_000;
  /** The longest category name. */
  public static final int MAX_CATEGORY = 1024;

  /** @throws IllegalArgumentException naming the field at fault */
  /** The largest |mean| (and |min|, |max|) a release may carry: merges of such values stay finite. */
  public static final double MAX_MEAN = 1e150;
  /** The largest sum of squared deviations a release may carry. */
  public static final double MAX_M2 = 1e300;

  public SiloStats {
    StatsQuery.requireName("silo", silo);
    if (pass == null) {
      throw new IllegalArgumentException("pass must be SUMMARY or HISTOGRAM, was null");
    }
    if (k < 1 || k > StatsQuery.MAX_K) {
      throw new IllegalArgumentException("k must be in 1.." + StatsQuery.MAX_K + ", was " + k);
    }
    columns = List.copyOf(columns);
    if (columns.isEmpty() || columns.size() > StatsQuery.MAX_COLUMNS) {
      throw new IllegalArgumentException("columns: 1.." + StatsQuery.MAX_COLUMNS + ", was " + columns.size());
    }
    HashSet<String> names = new HashSet<>();
    for (ColumnStats c : columns) {
      if (!names.add(c.name())) {
        throw new IllegalArgumentException("columns: '" + c.name() + "' appears twice");
      }
    }
    StatsQuery.requireName("labelName", labelName);
    boolean summary = pass == StatsQuery.Pass.SUMMARY;
    if (summary != (rows != null) || summary != (labels != null)) {
      throw new IllegalArgumentException("rows and labels are released in the SUMMARY pass only (pass " + pass + ")");
    }
    if (rows != null && rows < k) {
      throw new IllegalArgumentException("rows must be >= k = " + k + ", was " + rows);
    }
    new StatsQuery.Noise(mechanism, epsilon, delta);
    for (ColumnStats c : columns) {
      String at = "column '" + c.name() + "': ";
      requireCell(at + "count", c.count(), k);
      requireCell(at + "missing", c.missing(), k);
      if (c.histogram() != null) {
        c.histogram().forEach(h -> requireCell(at + "histogram", h, k));
      }
      if (c.categories() != null) {
        requireCells(at + "categories", c.categories(), k);
      }
      if (c.count() != null && c.count() < k && (c.moments() != null || c.sketch() != null || c.min() != null
          || c.histogram() != null)) {
        throw new IllegalArgumentException(at + "a column with fewer than k = " + k
            + " values releases no moments, sketch, min, max or histogram");
      }
      if (c.count() == null && (c.moments() != null || c.sketch() != null || c.min() != null)) {
        throw new IllegalArgumentException(at + "moments, sketch, min and max need the count released");
      }
    }
    if (labels != null) {
      requireCells("labels", labels, k);
    }
    if (rows != null && "none".equals(mechanism)) {
      for (ColumnStats c : columns) {
        long present = c.count() == null ? 0 : c.count();
        long missing = c.missing() == null ? 0 : c.missing();
        if (present + missing > rows || c.count() != null && c.missing() != null && present + missing != rows) {
          throw new IllegalArgumentException("column '" + c.name() + "': count " + c.count() + " and missing "
              + c.missing() + " do not add up to the rows " + rows);
        }
      }
    }
  }

  private static void requireCells(String field, Categories c, int k) {
    c.values().forEach((v, n) -> {
      if (n < k) {
        throw new IllegalArgumentException(field + ": a named value must count >= k = " + k + ", one counts " + n);
      }
    });
    requireCell(field + ".other", c.other(), k);
    requireCell(field + ".missing", c.missing(), k);
  }

  /** A released count is 0 or at least k (rule a). */
  private static void requireCell(String field, Long n, int k) {
    if (n != null && n > 0 && n < k) {
      throw new IllegalArgumentException(field + ": a released count must be 0 or >= k = " + k + ", was " + n);
    }
  }

  /** The column named {@code name}, or null. */
  public ColumnStats column(String name) {
    return columns.stream().filter(c -> c.name().equals(name)).findFirst().orElse(null);
  }

  /**
   * One column's release. Numeric: count, missing, moments, min and max (if allowed), histogram (its
   * edges and bins + 2 counts), sketch (a serialized KLL sketch, base64). Categorical: count, missing
   * and categories. Whatever was not released is null.
   */
  public record ColumnStats(
      String name,
      String type,
      Long count,
      Long missing,
      Moments moments,
      Double min,
      Double max,
      StatsQuery.Bins bins,
      List<Long> histogram,
      String sketch,
      Categories categories) implements java.io.Serializable {
    /** @throws IllegalArgumentException naming the column and the field at fault */
    public ColumnStats {
      StatsQuery.requireName("column", name);
      String at = "column '" + name + "': ";
      if (!"numeric".equals(type) && !"categorical".equals(type)) {
        throw new IllegalArgumentException(at + "type must be numeric or categorical, was '" + type + "'");
      }
      requireCount(at + "count", count);
      requireCount(at + "missing", missing);
      boolean numeric = "numeric".equals(type);
      if (!numeric && (moments != null || min != null || max != null || bins != null || sketch != null)) {
        throw new IllegalArgumentException(at + "a categorical column releases no moments, min, max, histogram or sketch");
      }
      if (numeric && categories != null) {
        throw new IllegalArgumentException(at + "a numeric column releases no categories");
      }
      if (moments != null && !moments.equals(Moments.EMPTY) && (count == null || moments.n() != count)) {
        throw new IllegalArgumentException(at + "moments.n " + moments.n() + " differs from count " + count);
      }
      // bounds that keep every merge finite (Chan's update squares a difference of means and multiplies counts)
      if (moments != null && (Math.abs(moments.mean()) > MAX_MEAN || moments.m2() > MAX_M2)) {
        throw new IllegalArgumentException(at + "moments out of range: |mean| must be <= " + MAX_MEAN + " and m2 <= "
            + MAX_M2 + ", were " + moments.mean() + ", " + moments.m2());
      }
      if (min != null && (Math.abs(min) > MAX_MEAN || Math.abs(max) > MAX_MEAN)) {
        throw new IllegalArgumentException(at + "min and max must be within +-" + MAX_MEAN);
      }
      if ((min == null) != (max == null)) {
        throw new IllegalArgumentException(at + "min and max are released together or not at all");
      }
      if (min != null && !(Double.isFinite(min) && Double.isFinite(max) && min <= max)) {
        throw new IllegalArgumentException(at + "min and max must be finite with min <= max, were " + min + ", " + max);
      }
      if ((bins == null) != (histogram == null)) {
        throw new IllegalArgumentException(at + "a histogram needs both its bins and its counts");
      }
      if (histogram != null) {
        histogram = Collections.unmodifiableList(new ArrayList<>(histogram));
        if (histogram.size() != bins.bins() + 2) {
          throw new IllegalArgumentException(at + "histogram must have bins + 2 = " + (bins.bins() + 2)
              + " counts, had " + histogram.size());
        }
        histogram.forEach(c -> requireCount(at + "histogram", c));
      }
      if (sketch != null && sketch.length() > Sketches.MAX_CHARS) {
        throw new IllegalArgumentException(at + "sketch must be at most " + Sketches.MAX_CHARS + " characters, had "
            + sketch.length());
      }
      if (categories != null && !java.util.Objects.equals(categories.missing(), missing)) {
        throw new IllegalArgumentException(at + "categories.missing " + categories.missing() + " differs from missing "
            + missing);
      }
    }
  }

  /**
   * Released categories (or label classes): the values seen in at least k records with their counts,
   * the folded rest as {@code other} (null if suppressed), and the missing count (null if suppressed;
   * 0 for labels).
   */
  public record Categories(Map<String, Long> values, Long other, Long missing) implements java.io.Serializable {
    /** @throws IllegalArgumentException naming the value at fault */
    public Categories {
      if (values.size() > MAX_CATEGORIES) {
        throw new IllegalArgumentException("categories: at most " + MAX_CATEGORIES + " values, had " + values.size());
      }
      Map<String, Long> copy = new LinkedHashMap<>();
      values.forEach((v, c) -> {
        if (v == null || v.isEmpty() || v.length() > MAX_CATEGORY) {
          throw new IllegalArgumentException("categories: a value must be 1.." + MAX_CATEGORY + " characters");
        }
        if (c == null || c < 0) {
          throw new IllegalArgumentException("categories: the count of a named value must be >= 0, was " + c);
        }
        copy.put(v, c);
      });
      values = Collections.unmodifiableMap(copy);
      requireCount("categories.other", other);
      requireCount("categories.missing", missing);
    }
  }

  static void requireCount(String field, Long count) {
    if (count != null && count < 0) {
      throw new IllegalArgumentException(field + " must be >= 0, was " + count);
    }
  }
}
