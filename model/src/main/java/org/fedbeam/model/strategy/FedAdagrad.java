package org.fedbeam.model.strategy;

import java.util.LinkedHashMap;
import java.util.Map;
import org.fedbeam.model.Parameters;

/**
 * FedAdagrad (Reddi et al. 2021, "Adaptive Federated Optimization", Algorithm 2; Flower's
 * {@code FedAdagrad}): the round's weighted mean {@code a} gives the pseudo-gradient
 * {@code d = a - x}; the server accumulates {@code v = v + d^2} and steps
 * {@code x' = x + server_lr * d / (sqrt(v) + tau)}. As in Flower there is no first-moment
 * momentum (Flower passes {@code beta_1 = 0}), so FedAdagrad takes no betas. {@code tau} defaults
 * to 1e-3 as Reddi et al. use (Flower: 1e-9; see {@link FedAdam}). State: the vector {@code v},
 * starting at zero. Holds in memory one running weighted sum and v (2 x parameters).
 *
 * @param serverLr eta, in (0, 10]
 * @param tau the adaptivity, in (0, 1]
 */
public record FedAdagrad(double serverLr, double tau) implements Strategy {
  private static final long serialVersionUID = 1L;
  /** The registry name. */
  public static final String NAME = "fedadagrad";

  public FedAdagrad {
    AdaptiveServerStep.SERVER_LR.check(NAME, serverLr);
    AdaptiveServerStep.TAU.check(NAME, tau);
  }

  /** The parameters, in the order --help lists them. */
  public static java.util.List<StrategyParam> params() {
    return java.util.List.of(AdaptiveServerStep.SERVER_LR, AdaptiveServerStep.TAU);
  }

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public Map<String, Double> parameters() {
    Map<String, Double> p = new LinkedHashMap<>();
    p.put(AdaptiveServerStep.SERVER_LR.name(), serverLr);
    p.put(AdaptiveServerStep.TAU.name(), tau);
    return p;
  }

  @Override
  public ServerState initialState(Parameters initial) {
    return AdaptiveServerStep.initial(AdaptiveServerStep.Rule.ADAGRAD, initial.size());
  }

  @Override
  public Step serverStep(int round, Parameters global, Parameters aggregate, ServerState state) {
    return AdaptiveServerStep.step(NAME, AdaptiveServerStep.Rule.ADAGRAD, serverLr, 0, 0, tau, global, aggregate, state);
  }

  @Override
  public String memory() {
    return "one running weighted sum and the server's accumulated second moment v (2 x parameters)";
  }
}
