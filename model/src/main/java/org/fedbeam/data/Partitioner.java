package org.fedbeam.data;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * Splits a central data set's rows among silos, for simulations of federated data:
 * <ul>
 *   <li>{@link Scheme#IID}: a uniform random split into near-equal parts;</li>
 *   <li>{@link Scheme#DIRICHLET}: label skew, each class's rows spread over silos in proportions
 *       drawn from Dirichlet(alpha) (Hsu et al. 2019; small alpha, few classes per silo);</li>
 *   <li>{@link Scheme#QUANTITY}: quantity skew, silo sizes drawn from Dirichlet(alpha), rows IID.</li>
 * </ul>
 * Every row goes to exactly one silo. The split depends only on the labels, the scheme, alpha and
 * the seed.
 */
public final class Partitioner {
  /** How rows are spread over silos. */
  public enum Scheme {
    IID, DIRICHLET, QUANTITY;

    public static Scheme parse(String text) {
      try {
        return valueOf(text.trim().toUpperCase(Locale.ROOT));
      } catch (IllegalArgumentException | NullPointerException e) {
        throw new IllegalArgumentException("partition must be one of iid, dirichlet, quantity; was '" + text + "'");
      }
    }

    public String id() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  private Partitioner() {}

  /**
   * Row indices per silo, each list in ascending order.
   *
   * @throws IllegalArgumentException if silos < 1, or alpha is not > 0 for a skewed scheme
   */
  public static int[][] split(int[] labels, int classes, int silos, Scheme scheme, double alpha, long seed) {
    if (silos < 1) {
      throw new IllegalArgumentException("silos must be >= 1, was " + silos);
    }
    if (scheme != Scheme.IID && !(alpha > 0 && Double.isFinite(alpha))) {
      throw new IllegalArgumentException("alpha must be a finite number > 0, was " + alpha);
    }
    for (int i = 0; i < labels.length; i++) {
      if (labels[i] < 0 || labels[i] >= classes) {
        throw new IllegalArgumentException("row " + i + " has label " + labels[i] + ", expected [0, " + classes + ")");
      }
    }
    SplittableRandom random = new SplittableRandom(seed);
    List<List<Integer>> parts = new ArrayList<>();
    for (int s = 0; s < silos; s++) {
      parts.add(new ArrayList<>());
    }
    switch (scheme) {
      case IID -> deal(shuffled(allRows(labels.length), random), equalShares(silos), parts);
      case QUANTITY -> deal(shuffled(allRows(labels.length), random), dirichlet(silos, alpha, random), parts);
      case DIRICHLET -> {
        for (int c = 0; c < classes; c++) {
          List<Integer> rows = new ArrayList<>();
          for (int i = 0; i < labels.length; i++) {
            if (labels[i] == c) {
              rows.add(i);
            }
          }
          deal(shuffled(rows, random), dirichlet(silos, alpha, random), parts);
        }
      }
      default -> throw new IllegalStateException("unhandled scheme " + scheme);
    }
    int[][] out = new int[silos][];
    for (int s = 0; s < silos; s++) {
      out[s] = parts.get(s).stream().mapToInt(Integer::intValue).sorted().toArray();
    }
    return out;
  }

  /** Gives consecutive runs of {@code rows} to silos in proportion to {@code shares}. */
  private static void deal(List<Integer> rows, double[] shares, List<List<Integer>> parts) {
    int n = rows.size();
    double cumulative = 0;
    int from = 0;
    for (int s = 0; s < shares.length; s++) {
      cumulative += shares[s];
      int to = s == shares.length - 1 ? n : (int) Math.min(n, Math.round(cumulative * n));
      parts.get(s).addAll(rows.subList(from, Math.max(from, to)));
      from = Math.max(from, to);
    }
  }

  private static List<Integer> allRows(int n) {
    List<Integer> rows = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      rows.add(i);
    }
    return rows;
  }

  private static List<Integer> shuffled(List<Integer> rows, SplittableRandom random) {
    for (int i = rows.size() - 1; i > 0; i--) {
      int j = random.nextInt(i + 1);
      Integer t = rows.get(i);
      rows.set(i, rows.get(j));
      rows.set(j, t);
    }
    return rows;
  }

  private static double[] equalShares(int k) {
    double[] shares = new double[k];
    java.util.Arrays.fill(shares, 1.0 / k);
    return shares;
  }

  /** A draw from the symmetric Dirichlet(alpha) over {@code k} components. */
  static double[] dirichlet(int k, double alpha, SplittableRandom random) {
    double[] x = new double[k];
    double sum = 0;
    for (int i = 0; i < k; i++) {
      x[i] = gamma(alpha, random);
      sum += x[i];
    }
    if (sum == 0) {
      x[random.nextInt(k)] = 1;
      sum = 1;
    }
    for (int i = 0; i < k; i++) {
      x[i] /= sum;
    }
    return x;
  }

  /** Gamma(shape, 1) by Marsaglia and Tsang (2000), boosted for shape < 1. */
  private static double gamma(double shape, SplittableRandom random) {
    if (shape < 1) {
      double u = random.nextDouble();
      return gamma(shape + 1, random) * Math.pow(u, 1.0 / shape);
    }
    double d = shape - 1.0 / 3;
    double c = 1 / Math.sqrt(9 * d);
    while (true) {
      double z = random.nextGaussian();
      double v = 1 + c * z;
      if (v <= 0) {
        continue;
      }
      v = v * v * v;
      double u = random.nextDouble();
      if (Math.log(u) < 0.5 * z * z + d - d * v + d * Math.log(v)) {
        return d * v;
      }
    }
  }
}
