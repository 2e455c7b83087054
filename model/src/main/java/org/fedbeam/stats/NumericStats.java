package org.fedbeam.stats;

import java.util.Arrays;
import java.util.List;
import org.fedbeam.data.table.NumericColumn;

/** A numeric column's release in each pass, with the disclosure rules applied (see {@link StatsComputation}). */
final class NumericStats {
  private NumericStats() {}

  /** SUMMARY: the partition {present, missing}, moments, min and max, the microaggregated sketch. */
  static SiloStats.ColumnStats summary(NumericColumn c, StatsQuery q, DpNoise noise) {
    int k = q.k();
    double[] values = present(c);
    long n = values.length;
    long present = noise == null ? n : noise.count(n);
    long missing = noise == null ? c.missingCount() : noise.count(c.missingCount());
    List<Long> cells = Disclosure.suppress(new long[] {present, missing}, k);
    Long count = cells.get(0);
    boolean enough = count != null && count >= k && n >= k;
    Moments moments = null;
    Double min = null;
    Double max = null;
    String sketch = null;
    if (noise == null) {
      if (enough) {
        // the dominance rule: no moments when one record carries most of M2 (its value would follow)
        moments = dominated(values) ? null : Moments.of(values);
        double[] grouped = Disclosure.microaggregate(values, k, q.significantDigits());
        sketch = grouped == null ? null : Sketches.encode(Sketches.of(grouped, seedOf(values)));
        if (q.releaseMinMax()) {
          min = Arrays.stream(values).min().orElseThrow();
          max = Arrays.stream(values).max().orElseThrow();
        }
      }
    } else {
      StatsQuery.Clip clip = q.clipping().get(c.name());
      double sum = 0;
      double squares = 0;
      for (double v : values) {
        double x = Math.min(clip.hi(), Math.max(clip.lo(), v));
        sum += x;
        squares += x * x;
      }
      double b = clip.bound();
      double noisySum = noise.add(sum, b); // drawn whether released or not: the draws never depend on the data
      double noisySquares = noise.add(squares, b * b);
      if (enough) {
        double mean = Math.min(clip.hi(), Math.max(clip.lo(), noisySum / present));
        double range = clip.hi() - clip.lo();
        double m2 = Math.min(present * range * range / 4, Math.max(0, noisySquares - present * mean * mean));
        moments = new Moments(present, mean, m2);
      }
    }
    return new SiloStats.ColumnStats(c.name(), c.type(), count, cells.get(1), moments, min, max, null, null, sketch,
        null);
  }

  /**
   * HISTOGRAM: the counts in the query's fixed bins, suppressed among themselves against the present count
   * (with noise: noisy bins, suppressed among themselves); none for a column with fewer than k values
   * or without edges in the query.
   */
  static SiloStats.ColumnStats histogram(NumericColumn c, StatsQuery q, DpNoise noise) {
    StatsQuery.Bins bins = q.histograms().get(c.name());
    double[] values = present(c);
    if (bins == null || values.length < q.k()) {
      return new SiloStats.ColumnStats(c.name(), c.type(), null, null, null, null, null, null, null, null, null);
    }
    long[] counts = new long[bins.bins() + 2];
    for (double v : values) {
      counts[bins.index(v)]++;
    }
    List<Long> released;
    if (noise == null) {
      // The bins partition the column's present count, which the summary pass released (or withheld): the
      // bins are suppressed among themselves against that known total. A cell the summary pass already
      // released (the missing count) hides nothing, so it is never the complementary cell; and a column
      // whose present count the summary pass withheld releases no histogram (its bins would sum to it).
      if (Disclosure.suppress(new long[] {values.length, c.missingCount()}, q.k()).get(0) == null) {
        return new SiloStats.ColumnStats(c.name(), c.type(), null, null, null, null, null, null, null, null, null);
      }
      released = Disclosure.suppress(counts, q.k());
    } else {
      for (int i = 0; i < counts.length; i++) {
        counts[i] = noise.count(counts[i]);
      }
      released = Disclosure.suppress(counts, q.k());
    }
    return new SiloStats.ColumnStats(c.name(), c.type(), null, null, null, null, null, bins, released, null, null);
  }

  /**
   * The seed of a sketch's compaction coin: a hash of the column's values, so the same data gives the same
   * sketch in every run (no secret is needed: the coin only picks which of two neighbours is kept).
   */
  private static long seedOf(double[] values) {
    long h = 0x9E3779B97F4A7C15L;
    for (double v : values) {
      h = (h ^ Double.doubleToLongBits(v)) * 0xBF58476D1CE4E5B9L;
      h ^= h >>> 31;
    }
    return h;
  }


  /**
   * The dominance rule of statistical disclosure control, on the variance: whether one record carries more
   * than {@link Disclosure#MAX_DOMINANCE} of the values' sum of squared deviations. Then the mean and the variance
   * would give that record's value away ({@code mean + sqrt(M2)} is close to an outlier that dominates M2),
   * though the minimum and maximum are withheld, so the column releases no moments.
   */
  static boolean dominated(double[] values) {
    Moments m = Moments.of(values);
    if (!(m.m2() > 0)) {
      return false; // a constant column: every record has the same value, shared by at least k of them
    }
    double worst = 0;
    for (double v : values) {
      double d = v - m.mean();
      worst = Math.max(worst, d * d);
    }
    return worst > Disclosure.MAX_DOMINANCE * m.m2();
  }

  private static double[] present(NumericColumn c) {
    return Arrays.stream(c.values()).filter(v -> !Double.isNaN(v)).toArray();
  }
}
