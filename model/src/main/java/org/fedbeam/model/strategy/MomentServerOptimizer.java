package org.fedbeam.model.strategy;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.fedbeam.model.Parameters;

/**
 * The common part of FedAdam and FedYogi (Reddi et al. 2021, Algorithm 2): the same four
 * parameters, the same first moment and the same step; they differ only in the second moment's
 * update ({@link AdaptiveServerStep.Rule}). State: the vectors {@code m} and {@code v}. Holds in
 * memory one running weighted sum and the two moments (3 x parameters).
 */
abstract class MomentServerOptimizer implements Strategy {
  private static final long serialVersionUID = 1L;
  private final String name;
  private final AdaptiveServerStep.Rule rule;
  private final double serverLr;
  private final double beta1;
  private final double beta2;
  private final double tau;

  MomentServerOptimizer(String name, AdaptiveServerStep.Rule rule, double serverLr, double beta1, double beta2,
      double tau) {
    this.name = name;
    this.rule = rule;
    this.serverLr = AdaptiveServerStep.SERVER_LR.check(name, serverLr);
    this.beta1 = AdaptiveServerStep.BETA1.check(name, beta1);
    this.beta2 = AdaptiveServerStep.BETA2.check(name, beta2);
    this.tau = AdaptiveServerStep.TAU.check(name, tau);
  }

  /** The parameters, in the order --help lists them. */
  static List<StrategyParam> params() {
    return List.of(AdaptiveServerStep.SERVER_LR, AdaptiveServerStep.BETA1, AdaptiveServerStep.BETA2,
        AdaptiveServerStep.TAU);
  }

  @Override
  public final String name() {
    return name;
  }

  @Override
  public final Map<String, Double> parameters() {
    Map<String, Double> p = new LinkedHashMap<>();
    p.put(AdaptiveServerStep.SERVER_LR.name(), serverLr);
    p.put(AdaptiveServerStep.BETA1.name(), beta1);
    p.put(AdaptiveServerStep.BETA2.name(), beta2);
    p.put(AdaptiveServerStep.TAU.name(), tau);
    return p;
  }

  @Override
  public final ServerState initialState(Parameters initial) {
    return AdaptiveServerStep.initial(rule, initial.size());
  }

  @Override
  public final Step serverStep(int round, Parameters global, Parameters aggregate, ServerState state) {
    return AdaptiveServerStep.step(name, rule, serverLr, beta1, beta2, tau, global, aggregate, state);
  }

  @Override
  public final String memory() {
    return "one running weighted sum and the server moments m and v (3 x parameters)";
  }

  @Override
  public final boolean equals(Object o) {
    return o != null && o.getClass() == getClass() && parameters().equals(((MomentServerOptimizer) o).parameters());
  }

  @Override
  public final int hashCode() {
    return Objects.hash(name, parameters());
  }

  @Override
  public final String toString() {
    return name + parameters();
  }
}
