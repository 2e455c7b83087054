package org.fedbeam.model.privacy;

/**
 * Privacy spend of DP-SGD: the R&eacute;nyi DP of the sampled Gaussian mechanism (Mironov, Talwar
 * and Zhang 2019) composed over steps, converted to (epsilon, delta).
 *
 * <p>SEAM, to be implemented on branch 'dp': the signatures are fixed so that the silo side can be
 * written against them.
 */
public final class RdpAccountant {
  private RdpAccountant() {}

  /**
   * Epsilon after {@code steps} steps of the sampled Gaussian mechanism with sampling rate
   * {@code q} and noise multiplier {@code sigma}, at {@code delta}.
   */
  public static double epsilon(double q, double sigma, long steps, double delta) {
    throw new UnsupportedOperationException("RdpAccountant.epsilon is implemented on branch 'dp'");
  }
}
