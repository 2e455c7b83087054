package org.fedbeam.model.strategy;

/**
 * FedYogi (Reddi et al. 2021, "Adaptive Federated Optimization", Algorithm 2; Flower's {@code FedYogi}): the
 * round's weighted mean {@code a} gives the pseudo-gradient {@code d = a - x}, and the server takes
 * an adaptive step: {@code m = beta1 m + (1 - beta1) d},
 * {@code v = v - (1 - beta2) d^2 sign(v - d^2)} (Yogi's additive second moment, Zaheer et al. 2018),
 * {@code x' = x + server_lr * m / (sqrt(v) + tau)},
 * without bias correction, m and v starting at zero (see {@link AdaptiveServerStep}). Flower's
 * defaults except {@code tau}: 1e-3, as Reddi et al. use, instead of Flower's 1e-9, under which a
 * coordinate that barely moved takes a full step of {@code server_lr} in the direction of its
 * rounding noise. State: the vectors {@code m} and {@code v}. Holds in memory one running weighted
 * sum and the two moments (3 x parameters).
 */
public final class FedYogi extends MomentServerOptimizer {
  private static final long serialVersionUID = 1L;
  /** The registry name. */
  public static final String NAME = "fedyogi";

  /**
   * @param serverLr eta, in (0, 10]
   * @param beta1 the first moment's decay, in [0, 1)
   * @param beta2 the second moment's decay, in [0, 1)
   * @param tau the adaptivity, in (0, 1]
   */
  public FedYogi(double serverLr, double beta1, double beta2, double tau) {
    super(NAME, AdaptiveServerStep.Rule.YOGI, serverLr, beta1, beta2, tau);
  }

  /** The parameters, in the order --help lists them. */
  public static java.util.List<StrategyParam> params() {
    return MomentServerOptimizer.params();
  }
}
