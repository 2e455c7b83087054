package org.fedbeam.stats;

import java.util.random.RandomGenerator;

/**
 * The noise of a noisy statistics release (Dwork and Roth 2014, "The Algorithmic Foundations of
 * Differential Privacy"). The release of one pass is split into {@code m} components (every count
 * partition, every clipped sum and sum of squares); a record changes each component's value by at most
 * its sensitivity (1 for a partition of counts, under adding or removing a record; the clipping bound B
 * for a sum; B^2 for a sum of squares). By basic composition each component gets epsilon / m (and
 * delta / m), so the release costs (epsilon, delta) in all.
 * <ul>
 *   <li>Laplace: scale = sensitivity * m / epsilon (Dwork and Roth, Theorem 3.6).
 *   <li>Gaussian, the classic calibration: sigma = sensitivity * sqrt(2 ln(1.25 / delta_i)) /
 *       epsilon_i with epsilon_i = epsilon / m < 1 (Dwork and Roth, Theorem A.1). Not the analytic one
 *       (Balle and Wang 2018), which would add less noise: the classic one is simple to audit.
 * </ul>
 * The draws come from a {@link java.util.SplittableRandom} seeded from the silo's seed: a silo can
 * replay and audit its own release; the seed is the silo's secret (it chooses it, not the
 * orchestrator). It is not a cryptographic generator, and floating-point Laplace sampling is known to
 * leak low-order bits (Mironov 2012); rounding noisy counts to integers blunts that for counts only.
 */
public final class DpNoise {
  private final StatsQuery.Noise noise;
  private final int components;
  private final RandomGenerator random;

  /**
   * @param noise the mechanism and the epsilon (and delta) of the whole release
   * @param components how many components the release has (m above), >= 1
   */
  public DpNoise(StatsQuery.Noise noise, int components, RandomGenerator random) {
    if (components < 1) {
      throw new IllegalArgumentException("a noisy release needs >= 1 component, had " + components);
    }
    this.noise = noise;
    this.components = components;
    this.random = random;
  }

  /** The noise's scale for a component of {@code sensitivity}: Laplace's b, or Gaussian's sigma. */
  public double scale(double sensitivity) {
    double eps = noise.epsilon() / components;
    return switch (noise.mechanism()) {
      case "laplace" -> sensitivity / eps;
      case "gaussian" -> sensitivity * Math.sqrt(2 * Math.log(1.25 / (noise.delta() / components))) / eps;
      default -> 0;
    };
  }

  /** {@code value} plus one draw of noise for a component of {@code sensitivity}. */
  public double add(double value, double sensitivity) {
    double s = scale(sensitivity);
    return switch (noise.mechanism()) {
      case "laplace" -> value + laplace(random, s);
      case "gaussian" -> value + s * random.nextGaussian();
      default -> value;
    };
  }

  /** A count plus noise, rounded and clamped at 0 (post-processing). */
  public long count(long value) {
    return Math.max(0, Math.round(add(value, 1)));
  }

  /** One Laplace(0, b) draw, by inverting its distribution function. */
  public static double laplace(RandomGenerator random, double b) {
    double u = random.nextDouble() - 0.5; // in [-0.5, 0.5)
    double tail = 1 - 2 * Math.abs(u);
    if (tail <= 0) {
      tail = Double.MIN_NORMAL;
    }
    return -b * Math.signum(u) * Math.log(tail);
  }
}
