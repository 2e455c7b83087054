package org.fedbeam.model.strategy;

import java.util.Map;
import org.fedbeam.model.TrainConfig;

/**
 * FedProx (Li et al. 2020, "Federated Optimization in Heterogeneous Networks"): every silo's local
 * objective gains the proximal term {@code mu/2 ||w - w_global||^2}, which keeps a silo with
 * skewed data near the round's global model. The strategy only sets {@link TrainConfig#proximalMu}
 * for each round; the learner adds {@code mu (w - w_start)} to each step. Aggregation is FedAvg's.
 * Holds in memory at the server one running weighted sum (O(parameters)); each silo's learner holds
 * one more copy of the start weights while it trains.
 *
 * @param mu the proximal coefficient, in [0, 10]; 0 is FedAvg
 */
public record FedProx(double mu) implements Strategy {
  private static final long serialVersionUID = 1L;
  /** The registry name. */
  public static final String NAME = "fedprox";
  /** The proximal coefficient. */
  public static final StrategyParam MU = StrategyParam.real("mu", 0.01, 0, false, 10, false,
      "proximal coefficient: the local objective adds mu/2 ||w - w_global||^2");

  public FedProx {
    MU.check(NAME, mu);
  }

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public Map<String, Double> parameters() {
    return Map.of(MU.name(), mu);
  }

  @Override
  public TrainConfig configureRound(int round, TrainConfig base) {
    return base.withProximalMu(mu);
  }
}
