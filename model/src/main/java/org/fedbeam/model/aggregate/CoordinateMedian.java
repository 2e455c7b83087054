package org.fedbeam.model.aggregate;

import java.util.Arrays;
import java.util.List;

/**
 * The coordinate-wise median of the updates (Yin et al. 2018, "Byzantine-Robust Distributed
 * Learning: Towards Optimal Statistical Rates"; Flower's {@code FedMedian}): unweighted, the mean
 * of the two middle values when the number of updates is even (as NumPy's median). Keeps every
 * update: memory O(silos x parameters).
 */
public final class CoordinateMedian extends KeepingAggregator {
  private static final long serialVersionUID = 1L;
  /** The one instance: it holds nothing. */
  public static final CoordinateMedian INSTANCE = new CoordinateMedian();

  private CoordinateMedian() {}

  @Override
  public String name() {
    return "coordinate-median";
  }

  @Override
  float[] combine(List<KeptUpdates.Kept> updates) {
    int n = updates.size();
    int p = updates.get(0).values().length;
    float[] out = new float[p];
    double[] column = new double[n];
    for (int j = 0; j < p; j++) {
      Arrays.sort(column(updates, j, column));
      out[j] = (float) (n % 2 == 1 ? column[n / 2] : (column[n / 2 - 1] + column[n / 2]) / 2);
    }
    return out;
  }

  private Object readResolve() {
    return INSTANCE;
  }
}
