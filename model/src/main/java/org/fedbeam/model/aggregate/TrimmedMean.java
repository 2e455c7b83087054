package org.fedbeam.model.aggregate;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * The coordinate-wise trimmed mean (Yin et al. 2018, "Byzantine-Robust Distributed Learning:
 * Towards Optimal Statistical Rates"; Flower's {@code FedTrimmedAvg}, which calls SciPy's
 * {@code trim_mean}): for each coordinate, the {@code k = floor(beta x n)} lowest and the {@code k}
 * highest of the {@code n} values are dropped and the rest averaged, unweighted. Keeps every
 * update: memory O(silos x parameters).
 */
public final class TrimmedMean extends KeepingAggregator {
  private static final long serialVersionUID = 1L;
  private final double beta;

  /** Trims {@code beta} of the updates at each end; beta in [0, 0.5). */
  public TrimmedMean(double beta) {
    if (!(beta >= 0 && beta < 0.5)) {
      throw new IllegalArgumentException("trimmed mean: beta must be in [0, 0.5), was " + beta);
    }
    this.beta = beta;
  }

  /** The share trimmed at each end. */
  public double beta() {
    return beta;
  }

  /** How many values each end loses with {@code n} updates: {@code floor(beta x n)}. */
  public int trimmed(int n) {
    return (int) Math.floor(beta * n);
  }

  @Override
  public String name() {
    return String.format(Locale.ROOT, "trimmed-mean(beta=%s)", beta);
  }

  @Override
  float[] combine(List<KeptUpdates.Kept> updates) {
    int n = updates.size();
    int k = trimmed(n);
    if (n - 2 * k < 1) {
      throw new IllegalArgumentException("trimmed mean: beta " + beta + " trims " + k + " of " + n
          + " updates at each end, leaving none");
    }
    int p = updates.get(0).values().length;
    float[] out = new float[p];
    double[] column = new double[n];
    for (int j = 0; j < p; j++) {
      Arrays.sort(column(updates, j, column));
      double sum = 0;
      for (int i = k; i < n - k; i++) {
        sum += column[i];
      }
      out[j] = (float) (sum / (n - 2 * k));
    }
    return out;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof TrimmedMean t && Double.compare(t.beta, beta) == 0;
  }

  @Override
  public int hashCode() {
    return Double.hashCode(beta);
  }
}
