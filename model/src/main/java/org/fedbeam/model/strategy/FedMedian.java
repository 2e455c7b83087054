package org.fedbeam.model.strategy;

import java.util.Map;
import org.fedbeam.model.aggregate.Aggregator;
import org.fedbeam.model.aggregate.CoordinateMedian;

/**
 * FedMedian (Yin et al. 2018, "Byzantine-Robust Distributed Learning: Towards Optimal Statistical
 * Rates"; Flower's {@code FedMedian}): the next global model is the coordinate-wise median of the
 * round's updates, unweighted ({@link CoordinateMedian}). No parameters, no server state. Holds in
 * memory every update of the round (silos x parameters).
 */
public final class FedMedian implements Strategy {
  private static final long serialVersionUID = 1L;
  /** The registry name. */
  public static final String NAME = "fedmedian";
  /** The one instance: FedMedian has no parameters. */
  public static final FedMedian INSTANCE = new FedMedian();

  private FedMedian() {}

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public Map<String, Double> parameters() {
    return Map.of();
  }

  @Override
  public Aggregator<?> aggregator() {
    return CoordinateMedian.INSTANCE;
  }

  private Object readResolve() {
    return INSTANCE;
  }
}
