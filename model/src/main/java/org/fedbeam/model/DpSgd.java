package org.fedbeam.model;

/**
 * DP-SGD settings for local training (Abadi et al. 2016): every example's gradient is clipped to
 * L2 norm {@code clip}, each step adds Gaussian noise of standard deviation
 * {@code noiseMultiplier * clip} to the sum of the clipped gradients, and minibatches are drawn by
 * Poisson sampling (each row independently, with probability batch size / rows), as the RDP
 * accountant of the sampled Gaussian mechanism assumes.
 *
 * @param clip the per-example gradient norm bound C, > 0
 * @param noiseMultiplier sigma, the noise's standard deviation in units of C, > 0
 */
public record DpSgd(double clip, double noiseMultiplier) implements java.io.Serializable {
  public DpSgd {
    if (!(clip > 0) || !Double.isFinite(clip)) {
      throw new IllegalArgumentException("dp clip must be a finite number > 0, was " + clip);
    }
    if (!(noiseMultiplier > 0) || !Double.isFinite(noiseMultiplier)) {
      throw new IllegalArgumentException("dp noise multiplier must be a finite number > 0, was " + noiseMultiplier);
    }
  }
}
