package org.fedbeam.model.aggregate;

import java.util.Arrays;
import java.util.List;
import org.fedbeam.model.WeightCaps;

/**
 * The weighted mean with each update's share of the round capped at {@code maxShare}
 * ({@link WeightCaps}, water-filling: the weight a capped update loses goes to the others in
 * proportion to theirs), so no single silo, however many samples it claims, moves the model by more
 * than its cap. When the caps cannot all hold (fewer than {@code 1/maxShare} updates), every update
 * gets an equal share. Capping needs every weight before any is used, so it keeps every update:
 * memory O(silos x parameters).
 */
public final class CappedMean extends KeepingAggregator {
  private static final long serialVersionUID = 1L;
  private final double maxShare;

  /** Caps each update's share at {@code maxShare}, in (0, 1). */
  public CappedMean(double maxShare) {
    if (!(maxShare > 0 && maxShare < 1)) {
      throw new IllegalArgumentException("max_silo_share must be in (0, 1) for a capped mean, was " + maxShare);
    }
    this.maxShare = maxShare;
  }

  @Override
  public String name() {
    return "capped-mean-" + maxShare;
  }

  @Override
  float[] combine(List<KeptUpdates.Kept> updates) {
    int n = updates.size();
    double[] weights = new double[n];
    double[] caps = new double[n];
    for (int i = 0; i < n; i++) {
      weights[i] = updates.get(i).weight();
    }
    Arrays.fill(caps, maxShare);
    WeightCaps.Capped capped = WeightCaps.apply(weights, caps);
    int p = updates.get(0).values().length;
    double[] sum = new double[p];
    for (int i = 0; i < n; i++) {
      double share = capped.share(i);
      float[] v = updates.get(i).values();
      for (int j = 0; j < p; j++) {
        sum[j] += share * v[j];
      }
    }
    float[] out = new float[p];
    for (int j = 0; j < p; j++) {
      out[j] = (float) sum[j];
    }
    return out;
  }
}
