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
 *   <li>a quantile sketch is built from values winsorised at the k-th smallest and k-th largest value
 *       and rounded to a few significant digits, so its extreme items are shared by at least k records.
 * </ul>
 */
public final class Disclosure {
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
   * The values a silo's quantile sketch is built from: each value clamped to [the k-th smallest, the
   * k-th largest] and rounded to {@code digits} significant digits (the clamp bounds too, so each
   * extreme item is shared by at least k records).
   *
   * @param values the present values (no NaN), at least k of them
   */
  public static double[] winsorise(double[] values, int k, int digits) {
    if (values.length < k) {
      throw new IllegalArgumentException("winsorising needs at least k = " + k + " values, had " + values.length);
    }
    double[] sorted = values.clone();
    Arrays.sort(sorted);
    double lo = sorted[k - 1];
    double hi = sorted[sorted.length - k];
    MathContext mc = new MathContext(digits);
    double[] out = new double[values.length];
    for (int i = 0; i < values.length; i++) {
      double v = Math.min(hi, Math.max(lo, values[i]));
      out[i] = round(v, mc);
    }
    return out;
  }

  static double round(double v, MathContext mc) {
    return v == 0 ? 0 : new BigDecimal(v).round(mc).doubleValue();
  }
}
