package org.fedbeam.stats;

import java.math.BigDecimal;
import java.math.MathContext;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The disclosure rules a silo applies before anything leaves it (docs/statistics.md):
 * <ul>
 *   <li>a count cell is released only if it is 0 or at least k (an empty cell names no record);
 *   <li>complementary suppression: within a partition (cells that sum to a known total, e.g. a column's
 *       missing count and its bins), the suppressed cells must sum to 0 or at least k, else the next
 *       smallest cells are suppressed too, so no suppressed cell is recovered as the total minus the
 *       others;
 *   <li>category values (and label classes) seen in fewer than k records fold into "other" and their
 *       names are never released; complementary suppression folds the next smallest value in;
 *   <li>a quantile sketch is built from microaggregated values ({@link #microaggregate}): each item is
 *       the rounded mean of a group of k to 2k - 1 records, never one record's value.
 * </ul>
 */
public final class Disclosure {
  /**
   * The dominance rule's threshold: a silo releases no mean and variance of a column where one record
   * carries more than this share of the sum of squared deviations (its value would follow from them).
   * Honest heavy-tailed columns stay below it: the largest share in any silo of the breast-cancer table
   * split 2 to 10 ways was 0.81 (a 57-row silo).
   */
  public static final double MAX_DOMINANCE = 0.9;

  private Disclosure() {}

  /**
   * The released cells of one partition: each count, or null where suppressed.
   *
   * @param cells the true (or noisy) counts of the partition, each >= 0
   */
  public static List<Long> suppress(long[] cells, int k) {
    boolean[] hidden = new boolean[cells.length];
    long hiddenSum = 0;
    for (int i = 0; i < cells.length; i++) {
      if (cells[i] > 0 && cells[i] < k) {
        hidden[i] = true;
        hiddenSum += cells[i];
      }
    }
    while (hiddenSum > 0 && hiddenSum < k) {
      int next = -1;
      for (int i = 0; i < cells.length; i++) {
        if (!hidden[i] && cells[i] > 0 && (next < 0 || cells[i] < cells[next])) {
          next = i;
        }
      }
      if (next < 0) {
        break; // everything is hidden: the partition's total is all an observer learns
      }
      hidden[next] = true;
      hiddenSum += cells[next];
    }
    List<Long> out = new ArrayList<>(cells.length);
    for (int i = 0; i < cells.length; i++) {
      out.add(hidden[i] ? null : cells[i]);
    }
    return java.util.Collections.unmodifiableList(out);
  }

  /**
   * Categories after folding: the values seen in at least k records, with their counts; the rest
   * folded into {@code other} (null if suppressed); {@code missing} (null if suppressed). The
   * partition is {missing, other, values}: while its suppressed cells sum to between 1 and k - 1, the
   * smallest released cell is suppressed, a named value by folding it into a suppressed "other".
   *
   * @param counts each value's count in the silo (values with count 0 are ignored)
   * @param missing rows without a value (0 for labels)
   */
  public static SiloStats.Categories fold(Map<String, Long> counts, long missing, int k) {
    Map<String, Long> named = new LinkedHashMap<>();
    long other = 0;
    for (Map.Entry<String, Long> e : counts.entrySet()) {
      if (e.getValue() >= k) {
        named.put(e.getKey(), e.getValue());
      } else {
        other += e.getValue();
      }
    }
    boolean otherHidden = other > 0 && other < k;
    boolean missingHidden = missing > 0 && missing < k;
    while (true) {
      long hiddenSum = (otherHidden ? other : 0) + (missingHidden ? missing : 0);
      if (hiddenSum == 0 || hiddenSum >= k) {
        break;
      }
      String smallest = null;
      for (Map.Entry<String, Long> e : named.entrySet()) {
        if (smallest == null || e.getValue() < named.get(smallest)) {
          smallest = e.getKey();
        }
      }
      long candidateMissing = !missingHidden && missing > 0 ? missing : Long.MAX_VALUE;
      long candidateOther = !otherHidden && other > 0 ? other : Long.MAX_VALUE;
      long candidateNamed = smallest == null ? Long.MAX_VALUE : named.get(smallest);
      long min = Math.min(candidateMissing, Math.min(candidateOther, candidateNamed));
      if (min == Long.MAX_VALUE) {
        break;
      }
      if (min == candidateNamed) {
        other += named.remove(smallest);
        otherHidden = true;
      } else if (min == candidateOther) {
        otherHidden = true;
      } else {
        missingHidden = true;
      }
    }
    return new SiloStats.Categories(named, otherHidden ? null : other, missingHidden ? null : missing);
  }

  /**
   * The values a silo's quantile sketch is built from: winsorised, then microaggregated (Domingo-Ferrer
   * and Mateo-Sanz 2002, the k-anonymity of statistical disclosure control for numbers). The sorted
   * values are first clamped to [the k-th smallest, the k-th largest], so an outlier cannot dominate a
   * group's mean; then cut into groups of k consecutive values (the last group takes the remainder, so
   * a group holds k to 2k - 1 values), each value replaced by its group's mean rounded to {@code
   * digits} significant digits. Every value that can reach the sketch is an aggregate of at least k
   * records, never one record's value, and at least k records lie at or beyond each extreme item. The
   * rank of any point moves by less than a group, so quantiles gain at most (2k - 1) / n of rank error.
   * Each rounded mean is kept within [the k-th smallest rounded up, the k-th largest rounded down], so
   * at least k records lie at or beyond the sketch's extreme items whatever the rounding did.
   *
   * @param values the present values (no NaN), at least k of them
   * @return the microaggregated values, in ascending order; null when the k-th smallest and the k-th
   *     largest value lie within one rounding step, so that no rounded item has k records on each side
   *     (the column then releases no sketch)
   */
  public static double[] microaggregate(double[] values, int k, int digits) {
    if (values.length < k) {
      throw new IllegalArgumentException("microaggregation needs at least k = " + k + " values, had " + values.length);
    }
    double[] sorted = values.clone();
    Arrays.sort(sorted);
    int n = sorted.length;
    Arrays.fill(sorted, 0, k - 1, sorted[k - 1]);
    Arrays.fill(sorted, n - k + 1, n, sorted[n - k]);
    // every item within [lo, hi]: at least k records lie at or below lo, and at least k at or above hi
    double lo = new BigDecimal(sorted[k - 1]).round(new MathContext(digits, java.math.RoundingMode.CEILING)).doubleValue();
    double hi = new BigDecimal(sorted[n - k]).round(new MathContext(digits, java.math.RoundingMode.FLOOR)).doubleValue();
    if (lo > hi) {
      return null; // the middle values lie within one rounding step: no rounded item keeps k records on each side
    }
    MathContext mc = new MathContext(digits);
    double[] out = new double[n];
    int groups = n / k;
    for (int g = 0; g < groups; g++) {
      int from = g * k;
      int to = g == groups - 1 ? n : from + k;
      double sum = 0;
      for (int i = from; i < to; i++) {
        sum += sorted[i];
      }
      double mean = Math.min(hi, Math.max(lo, round(sum / (to - from), mc)));
      Arrays.fill(out, from, to, mean);
    }
    return out;
  }

  /** The distinct values {@link #microaggregate} gives for {@code values}: what a sketch item may be. */
  public static java.util.Set<Double> microaggregateValues(double[] values, int k, int digits) {
    java.util.Set<Double> out = new java.util.HashSet<>();
    double[] m = microaggregate(values, k, digits);
    if (m == null) {
      return out;
    }
    for (double v : m) {
      out.add(v);
    }
    return out;
  }

  static double round(double v, MathContext mc) {
    return v == 0 ? 0 : new BigDecimal(v).round(mc).doubleValue();
  }
}
