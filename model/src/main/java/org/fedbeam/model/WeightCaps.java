package org.fedbeam.model;

import java.util.Arrays;

/**
 * Caps on each update's share of a round's weight, so that no silo's word alone decides the
 * average (issue 10, "the orchestrator trusts no silo's word alone").
 *
 * <p>In: the round's weights {@code w_i > 0} (each silo's sample count, already checked against its
 * declared count) and each silo's largest share {@code c_i} in (0, 1]. Out: weights {@code w'_i}
 * such that {@code w'_i / sum(w') <= c_i}, found by water-filling: an update whose share would
 * exceed its cap gets exactly its cap, {@code w'_i = c_i * W}, the others keep {@code w'_i = w_i},
 * and {@code W = sum(w')} is the one total that makes both hold:
 * {@code W = (sum of the uncapped w_i) / (1 - sum of the capped c_i)}. The set of capped updates
 * is the smallest that works (grown one update at a time from the largest share down); an update
 * that keeps its weight is never capped, so the order of the weights is kept.
 *
 * <p>The caps can all hold only if they add up to at least 1 over the round's updates (for one cap
 * {@code s} for all: at least {@code 1/s} updates). When they add up to less, no weighting meets
 * them; each update then gets {@code c_i / sum(c)} of the weight (for one cap for all: an equal
 * share each), the closest to its cap it can be, and {@link Capped#attainable()} is false.
 */
public final class WeightCaps {
  /** Slack for sums of caps such as 3 x (1/3) that are 1 up to rounding. */
  private static final double EPS = 1e-12;

  private WeightCaps() {}

  /**
   * The capped weights.
   *
   * @param weights {@code w'_i}, in the units of the input weights
   * @param capped whether update {@code i} lost weight to its cap
   * @param attainable false if the caps add up to less than 1 (see the class comment)
   */
  public record Capped(double[] weights, boolean[] capped, boolean attainable) {
    /** Update {@code i}'s share of the total weight. */
    public double share(int i) {
      return weights[i] / Arrays.stream(weights).sum();
    }

    /** True if any update lost weight to its cap. */
    public boolean anyCapped() {
      for (boolean c : capped) {
        if (c) {
          return true;
        }
      }
      return false;
    }
  }

  /**
   * Caps each weight's share at {@code maxShares[i]}.
   *
   * @throws IllegalArgumentException if the arrays differ in length or are empty, a weight is not
   *     a finite number > 0, or a cap is not in (0, 1]
   */
  public static Capped apply(double[] weights, double[] maxShares) {
    int n = weights.length;
    if (n == 0 || maxShares.length != n) {
      throw new IllegalArgumentException(n + " weights and " + maxShares.length + " caps; need as many, at least one");
    }
    double capSum = 0;
    for (int i = 0; i < n; i++) {
      if (!(weights[i] > 0) || !Double.isFinite(weights[i])) {
        throw new IllegalArgumentException("weight " + i + " must be a finite number > 0, was " + weights[i]);
      }
      if (!(maxShares[i] > 0 && maxShares[i] <= 1)) {
        throw new IllegalArgumentException("cap " + i + " must be in (0, 1], was " + maxShares[i]);
      }
      capSum += maxShares[i];
    }
    boolean[] capped = new boolean[n];
    if (capSum < 1 - EPS) {
      return unattainable(weights, maxShares, capSum);
    }
    double uncappedSum = Arrays.stream(weights).sum();
    double cappedShares = 0;
    while (true) {
      double total = uncappedSum / (1 - cappedShares);
      // the uncapped update furthest over its cap, if any
      int worst = -1;
      double worstExcess = 1;
      for (int i = 0; i < n; i++) {
        double excess = weights[i] / (maxShares[i] * total);
        if (!capped[i] && excess > worstExcess) {
          worst = i;
          worstExcess = excess;
        }
      }
      if (worst < 0) {
        double[] out = new double[n];
        for (int i = 0; i < n; i++) {
          out[i] = capped[i] ? maxShares[i] * total : weights[i];
        }
        return new Capped(out, capped, true);
      }
      capped[worst] = true;
      uncappedSum -= weights[worst];
      cappedShares += maxShares[worst];
      if (uncappedSum <= 0 || 1 - cappedShares <= EPS) {
        // only when the caps add up to 1 up to rounding: the caps themselves are the weighting
        return unattainable(weights, maxShares, capSum);
      }
    }
  }

  /**
   * The weights with no share above {@code maxShare}, one cap for all (any strategy can combine
   * with it): {@code apply(weights, [maxShare, ...]).weights()}. A cap of 1 leaves the weights as
   * they are; a cap below {@code 1 / n} cannot hold and gives every update an equal share.
   *
   * @throws IllegalArgumentException if a weight is not a finite number > 0 or the cap is not in (0, 1]
   */
  public static double[] capShares(double[] weights, double maxShare) {
    double[] caps = new double[weights.length];
    Arrays.fill(caps, maxShare);
    return apply(weights, caps).weights();
  }

  private static Capped unattainable(double[] weights, double[] maxShares, double capSum) {
    int n = weights.length;
    double total = Arrays.stream(weights).sum();
    double[] out = new double[n];
    boolean[] capped = new boolean[n];
    for (int i = 0; i < n; i++) {
      out[i] = maxShares[i] / capSum * total;
      capped[i] = out[i] < weights[i];
    }
    return new Capped(out, capped, capSum >= 1 - EPS);
  }

  /**
   * The weights as integers for an aggregation that weighs by whole sample counts, giving the same
   * average: the input weights unchanged (rounded) when no cap bound; otherwise every weight in
   * units of {@code 2^-shift} (a power of two, so scaling loses nothing: the weighted mean is
   * bit-identical), a capped weight rounded down (its share stays at or below its cap), and at
   * least 1. {@code shift} is 20, or less if the largest weight would pass 2^52.
   */
  public static long[] integral(Capped capped) {
    double[] w = capped.weights();
    long[] out = new long[w.length];
    if (!capped.anyCapped()) {
      for (int i = 0; i < w.length; i++) {
        out[i] = Math.max(1, Math.round(w[i]));
      }
      return out;
    }
    double scale = Math.scalb(1.0, shift(w));
    for (int i = 0; i < w.length; i++) {
      out[i] = Math.max(1, (long) Math.floor(w[i] * scale));
    }
    return out;
  }

  /** The power of two {@link #integral} scales capped weights by. */
  public static int shift(double[] weights) {
    double max = Arrays.stream(weights).max().orElse(1);
    return Math.max(0, Math.min(20, 52 - Math.getExponent(max) - 1));
  }
}
