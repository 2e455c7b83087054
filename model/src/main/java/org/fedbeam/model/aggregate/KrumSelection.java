package org.fedbeam.model.aggregate;

import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.stream.IntStream;

/**
 * Krum and Multi-Krum (Blanchard et al. 2017, "Machine Learning with Adversaries: Byzantine
 * Tolerant Gradient Descent"; Flower's {@code Krum}). With {@code n} updates of which at most
 * {@code f} are Byzantine, update {@code i}'s score is the sum of its squared Euclidean distances
 * (in double) to its {@code n - f - 2} nearest other updates. Krum returns the update with the
 * lowest score (ties: the lowest silo id); Multi-Krum returns the mean of the {@code m}
 * lowest-scored updates weighted by their weights (as Flower weighs by {@code num_examples}). Needs
 * {@code n >= 2f + 3}. Keeps every update: memory O(silos x parameters), plus the n x n distances.
 */
public final class KrumSelection extends KeepingAggregator {
  private static final long serialVersionUID = 1L;
  private final int byzantine;
  private final boolean multi;
  private final int selected;

  private KrumSelection(int byzantine, boolean multi, int selected) {
    if (byzantine < 0) {
      throw new IllegalArgumentException("krum: byzantine must be >= 0, was " + byzantine);
    }
    if (selected < 0) {
      throw new IllegalArgumentException("multi-krum: selected must be >= 0, was " + selected);
    }
    this.byzantine = byzantine;
    this.multi = multi;
    this.selected = selected;
  }

  /** Krum tolerating {@code byzantine} Byzantine updates: the one best-scored update. */
  public static KrumSelection krum(int byzantine) {
    return new KrumSelection(byzantine, false, 1);
  }

  /** Multi-Krum: the weighted mean of the {@code selected} best-scored updates (0: {@code n - byzantine}). */
  public static KrumSelection multiKrum(int byzantine, int selected) {
    return new KrumSelection(byzantine, true, selected);
  }

  /** The fewest updates Krum can score with {@code byzantine} Byzantine ones: {@code 2f + 3}. */
  public static int minimumUpdates(int byzantine) {
    return 2 * byzantine + 3;
  }

  /** How many updates Multi-Krum averages out of {@code n}. */
  public int kept(int n) {
    return !multi ? 1 : selected == 0 ? n - byzantine : selected;
  }

  @Override
  public String name() {
    return multi ? "multi-krum(f=" + byzantine + ",m=" + selected + ")" : "krum(f=" + byzantine + ")";
  }

  @Override
  float[] combine(List<KeptUpdates.Kept> updates) {
    int n = updates.size();
    if (n < minimumUpdates(byzantine)) {
      throw new IllegalArgumentException((multi ? "multi-krum" : "krum") + ": byzantine " + byzantine + " needs at least "
          + minimumUpdates(byzantine) + " updates, the round has " + n);
    }
    int m = kept(n);
    if (m < 1 || m > n) {
      throw new IllegalArgumentException("multi-krum: selected " + m + " of a round of " + n + " updates");
    }
    double[] scores = scores(updates, n - byzantine - 2);
    Integer[] order = IntStream.range(0, n).boxed().toArray(Integer[]::new);
    // stable sort: equal scores keep silo order
    Arrays.sort(order, Comparator.comparingDouble(i -> scores[i]));
    if (!multi) {
      return updates.get(order[0]).values().clone();
    }
    int p = updates.get(0).values().length;
    double[] sum = new double[p];
    double total = 0;
    for (int r = 0; r < m; r++) {
      KeptUpdates.Kept k = updates.get(order[r]);
      total += k.weight();
      for (int j = 0; j < p; j++) {
        sum[j] += k.weight() * k.values()[j];
      }
    }
    float[] out = new float[p];
    for (int j = 0; j < p; j++) {
      out[j] = (float) (sum[j] / total);
    }
    return out;
  }

  /** Each update's sum of squared distances to its {@code closest} nearest other updates. */
  static double[] scores(List<KeptUpdates.Kept> updates, int closest) {
    int n = updates.size();
    double[][] distance = new double[n][n];
    for (int a = 0; a < n; a++) {
      float[] x = updates.get(a).values();
      for (int b = a + 1; b < n; b++) {
        float[] y = updates.get(b).values();
        double d = 0;
        for (int j = 0; j < x.length; j++) {
          double diff = (double) x[j] - y[j];
          d += diff * diff;
        }
        distance[a][b] = d;
        distance[b][a] = d;
      }
    }
    double[] scores = new double[n];
    double[] others = new double[n - 1];
    for (int a = 0; a < n; a++) {
      int o = 0;
      for (int b = 0; b < n; b++) {
        if (b != a) {
          others[o++] = distance[a][b];
        }
      }
      Arrays.sort(others);
      for (int c = 0; c < closest; c++) {
        scores[a] += others[c];
      }
    }
    return scores;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof KrumSelection k && k.byzantine == byzantine && k.multi == multi && k.selected == selected;
  }

  @Override
  public int hashCode() {
    return (byzantine * 31 + selected) * 2 + (multi ? 1 : 0);
  }
}
