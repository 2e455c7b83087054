package org.fedbeam.stats;

import java.util.Arrays;
import java.util.List;
import org.fedbeam.data.table.NumericColumn;

/** A numeric column's release in each pass, with the disclosure rules applied (see {@link StatsComputation}). */
final class NumericStats {
  private NumericStats() {}

  /** SUMMARY: the partition {present, missing}, moments, min and max, the winsorised sketch. */
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
        moments = Moments.of(values);
        sketch = Sketches.encode(Sketches.of(Disclosure.winsorise(values, k, q.significantDigits())));
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
   * HISTOGRAM: the counts in the query's fixed bins, suppressed over the partition {missing, bins}
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
      long[] cells = new long[counts.length + 1];
      cells[0] = c.missingCount();
      System.arraycopy(counts, 0, cells, 1, counts.length);
      released = Disclosure.suppress(cells, q.k()).subList(1, cells.length);
    } else {
      for (int i = 0; i < counts.length; i++) {
        counts[i] = noise.count(counts[i]);
      }
      released = Disclosure.suppress(counts, q.k());
    }
    return new SiloStats.ColumnStats(c.name(), c.type(), null, null, null, null, null, bins, released, null, null);
  }

  private static double[] present(NumericColumn c) {
    return Arrays.stream(c.values()).filter(v -> !Double.isNaN(v)).toArray();
  }
}
