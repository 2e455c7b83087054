package org.fedbeam.stats;

/**
 * The count, mean and sum of squared deviations (M2) of some values: enough to merge two groups'
 * moments exactly (Chan, Golub and LeVeque 1979, "Updating formulae and a pairwise algorithm for
 * computing sample variances"), so the merged mean and population variance equal the pooled ones up
 * to rounding.
 *
 * @param n how many values
 * @param mean their mean (0 when {@code n} is 0)
 * @param m2 the sum of squared deviations from the mean, >= 0
 */
public record Moments(long n, double mean, double m2) {
  /** No values. */
  public static final Moments EMPTY = new Moments(0, 0, 0);

  /** @throws IllegalArgumentException naming the field out of range */
  public Moments {
    if (n < 0) {
      throw new IllegalArgumentException("moments: n must be >= 0, was " + n);
    }
    if (!Double.isFinite(mean) || !Double.isFinite(m2) || m2 < 0) {
      throw new IllegalArgumentException("moments: mean and m2 must be finite, m2 >= 0; were " + mean + ", " + m2);
    }
    if (n == 0 && (mean != 0 || m2 != 0)) {
      throw new IllegalArgumentException("moments: no values, but mean " + mean + " and m2 " + m2);
    }
  }

  /** The moments of the non-NaN entries of {@code values}, by two passes (the mean, then the deviations). */
  public static Moments of(double[] values) {
    long n = 0;
    double sum = 0;
    for (double v : values) {
      if (!Double.isNaN(v)) {
        n++;
        sum += v;
      }
    }
    if (n == 0) {
      return EMPTY;
    }
    double mean = sum / n;
    double m2 = 0;
    double comp = 0;
    for (double v : values) {
      if (!Double.isNaN(v)) {
        double d = v - mean;
        m2 += d * d;
        comp += d;
      }
    }
    // the corrected two-pass algorithm: the deviations' sum, zero in exact arithmetic, corrects rounding in the mean
    return new Moments(n, mean + comp / n, Math.max(0, m2 - comp * comp / n));
  }

  /** The moments of both groups together (Chan et al.'s pairwise update). */
  public Moments merge(Moments other) {
    if (other.n == 0) {
      return this;
    }
    if (n == 0) {
      return other;
    }
    long total = n + other.n;
    double delta = other.mean - mean;
    double mergedMean = mean + delta * ((double) other.n / total);
    double mergedM2 = m2 + other.m2 + delta * delta * ((double) n * other.n / total);
    return new Moments(total, mergedMean, mergedM2);
  }

  /** The population variance, M2 / n; NaN with no values. */
  public double variance() {
    return n == 0 ? Double.NaN : m2 / n;
  }
}
