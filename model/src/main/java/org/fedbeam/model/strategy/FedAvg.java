package org.fedbeam.model.strategy;

import java.util.Map;
import org.fedbeam.model.aggregate.Aggregator;
import org.fedbeam.model.aggregate.CappedMean;
import org.fedbeam.model.aggregate.WeightedMean;

/**
 * Federated averaging (McMahan et al. 2017): the next global model is the sample-weighted mean of
 * the round's updates. Every other method of {@link Strategy} keeps its default. Holds in memory one
 * running weighted sum (O(parameters)).
 *
 * <p>With {@code max_silo_share} below 1, each update's share of the round is capped
 * ({@link CappedMean}), so one silo claiming many samples cannot dominate the average; capping needs
 * every weight first, so the round then keeps every update (O(silos x parameters)).
 */
public final class FedAvg implements Strategy {
  private static final long serialVersionUID = 1L;
  /** Plain FedAvg, without a cap. */
  public static final FedAvg INSTANCE = new FedAvg(1.0);
  /** The cap on one update's share of a round: (0, 1], 1 for none. */
  static final StrategyParam MAX_SILO_SHARE = StrategyParam.real("max_silo_share", 1.0, 0, true, 1, false,
      "the largest share of a round's weight one silo's update may get (1: no cap)");

  private final double maxSiloShare;

  private FedAvg(double maxSiloShare) {
    this.maxSiloShare = maxSiloShare;
  }

  /** FedAvg with each update's share capped at {@code maxSiloShare} (1: plain FedAvg). */
  static FedAvg of(double maxSiloShare) {
    return maxSiloShare >= 1 ? INSTANCE : new FedAvg(MAX_SILO_SHARE.check("fedavg", maxSiloShare));
  }

  @Override
  public String name() {
    return "fedavg";
  }

  @Override
  public Map<String, Double> parameters() {
    return Map.of("max_silo_share", maxSiloShare);
  }

  @Override
  public Aggregator<?> aggregator() {
    return maxSiloShare >= 1 ? WeightedMean.INSTANCE : new CappedMean(maxSiloShare);
  }

  private Object readResolve() {
    return maxSiloShare >= 1 ? INSTANCE : this;
  }
}
