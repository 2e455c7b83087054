package org.fedbeam.model.strategy;

import java.util.Map;

/**
 * Federated averaging (McMahan et al. 2017): the next global model is the sample-weighted mean of
 * the round's updates. Every method of {@link Strategy} keeps its default. Holds in memory one
 * running weighted sum (O(parameters)).
 */
public final class FedAvg implements Strategy {
  private static final long serialVersionUID = 1L;
  /** The one instance: FedAvg has no parameters. */
  public static final FedAvg INSTANCE = new FedAvg();

  private FedAvg() {}

  @Override
  public String name() {
    return "fedavg";
  }

  @Override
  public Map<String, Double> parameters() {
    return Map.of();
  }

  private Object readResolve() {
    return INSTANCE;
  }
}
