package org.fedbeam.stats;

import java.util.List;
import java.util.OptionalDouble;

/** Quantiles read from a histogram with fixed edges (used where no sketch was released: with noise). */
final class Histograms {
  private Histograms() {}

  /**
   * The value at {@code rank}, by linear interpolation inside the bin where the cumulative count
   * reaches it; the underflow and overflow bins are taken as points at lo and hi. Empty if the
   * histogram counts nothing.
   */
  static OptionalDouble quantile(StatsQuery.Bins bins, List<Total> counts, double rank) {
    long total = 0;
    for (Total t : counts) {
      total += t.value();
    }
    if (total == 0) {
      return OptionalDouble.empty();
    }
    double target = rank * total;
    double seen = 0;
    for (int i = 0; i < counts.size(); i++) {
      long c = counts.get(i).value();
      if (c > 0 && seen + c >= target) {
        if (i == 0) {
          return OptionalDouble.of(bins.lo());
        }
        if (i == counts.size() - 1) {
          return OptionalDouble.of(bins.hi());
        }
        double lo = bins.edge(i);
        double hi = bins.edge(i + 1);
        return OptionalDouble.of(lo + (hi - lo) * Math.max(0, target - seen) / c);
      }
      seen += c;
    }
    return OptionalDouble.of(bins.hi());
  }
}
