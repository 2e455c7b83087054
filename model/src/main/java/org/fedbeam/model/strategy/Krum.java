package org.fedbeam.model.strategy;

import java.util.Map;
import org.fedbeam.model.aggregate.Aggregator;
import org.fedbeam.model.aggregate.KrumSelection;

/**
 * Krum (Blanchard et al. 2017, "Machine Learning with Adversaries: Byzantine Tolerant Gradient
 * Descent"; Flower's {@code Krum}): the next global model is the one update whose summed squared
 * distance to its {@code n - f - 2} nearest other updates is smallest ({@link KrumSelection}).
 * Needs {@code n >= 2f + 3} updates each round. No server state. Holds in memory every update of
 * the round and their n x n distances (silos x parameters).
 *
 * @param byzantine f, the number of Byzantine silos tolerated, whole, >= 0
 */
public record Krum(int byzantine) implements Strategy {
  private static final long serialVersionUID = 1L;
  /** The registry name. */
  public static final String NAME = "krum";
  /** f. */
  public static final StrategyParam BYZANTINE = StrategyParam.whole("byzantine", 1, 0, 1000,
      "f, the number of Byzantine silos tolerated: a round needs at least 2f + 3 updates");

  public Krum {
    BYZANTINE.check(NAME, byzantine);
  }

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public Map<String, Double> parameters() {
    return Map.of(BYZANTINE.name(), (double) byzantine);
  }

  @Override
  public void validate(int silosPerRound) {
    requireEnough(NAME, byzantine, silosPerRound);
  }

  @Override
  public Aggregator<?> aggregator() {
    return KrumSelection.krum(byzantine);
  }

  @Override
  public int minimumUpdates() {
    return KrumSelection.minimumUpdates(byzantine);
  }

  @Override
  public boolean accept(int round, int accepted, int failures) {
    return accepted >= KrumSelection.minimumUpdates(byzantine);
  }

  static void requireEnough(String strategy, int byzantine, int silosPerRound) {
    int needed = KrumSelection.minimumUpdates(byzantine);
    if (silosPerRound < needed) {
      throw new IllegalArgumentException("strategy " + strategy + ": byzantine " + byzantine + " needs at least " + needed
          + " silos per round, the job has " + silosPerRound);
    }
  }
}
