package org.fedbeam.model.strategy;

import java.util.Map;
import org.fedbeam.model.aggregate.Aggregator;
import org.fedbeam.model.aggregate.TrimmedMean;

/**
 * The trimmed mean (Yin et al. 2018; Flower's {@code FedTrimmedAvg}), registered as
 * {@code trimmed-mean}: per coordinate, the {@code floor(beta x n)} lowest and highest of the
 * {@code n} updates' values are dropped and the rest averaged, unweighted ({@link TrimmedMean}).
 * No server state. Holds in memory every update of the round (silos x parameters).
 *
 * @param beta the share trimmed at each end, in [0, 0.5)
 */
public record FedTrimmedAvg(double beta) implements Strategy {
  private static final long serialVersionUID = 1L;
  /** The registry name. */
  public static final String NAME = "trimmed-mean";
  /** The share trimmed at each end. */
  public static final StrategyParam BETA = StrategyParam.real("beta", 0.2, 0, false, 0.5, true,
      "share of the updates dropped at each end of every coordinate");

  public FedTrimmedAvg {
    BETA.check(NAME, beta);
  }

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public Map<String, Double> parameters() {
    return Map.of(BETA.name(), beta);
  }

  @Override
  public Aggregator<?> aggregator() {
    return new TrimmedMean(beta);
  }

  /**
   * Refuses a beta that trims nothing from a round of {@code silosPerRound} updates (a plain
   * unweighted mean under a robust name).
   */
  @Override
  public void validate(int silosPerRound) {
    if (beta > 0 && Math.floor(beta * silosPerRound) < 1) {
      throw new IllegalArgumentException(String.format(java.util.Locale.ROOT, "strategy %s: beta %s trims floor(%s x %d)"
          + " = 0 updates at each end of %d silos per round; it needs beta >= %s or more silos", NAME,
          StrategyParam.number(beta), StrategyParam.number(beta), silosPerRound, silosPerRound,
          StrategyParam.number(1.0 / silosPerRound)));
    }
  }
}
