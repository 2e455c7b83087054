package org.fedbeam.model.strategy;

import java.util.LinkedHashMap;
import java.util.Map;
import org.fedbeam.model.aggregate.Aggregator;
import org.fedbeam.model.aggregate.KrumSelection;

/**
 * Multi-Krum (Blanchard et al. 2017; Flower's {@code Krum} with {@code num_clients_to_keep}): the
 * {@code m} updates with the lowest Krum scores are averaged, weighted by their weights
 * ({@link KrumSelection}). Needs {@code n >= 2f + 3} and {@code m <= n - f} updates each round. No
 * server state. Holds in memory every update of the round and their n x n distances (silos x
 * parameters).
 *
 * @param byzantine f, the number of Byzantine silos tolerated, whole, >= 0
 * @param selected m, the number of updates averaged, whole, >= 0; 0 means n - f
 */
public record MultiKrum(int byzantine, int selected) implements Strategy {
  private static final long serialVersionUID = 1L;
  /** The registry name. */
  public static final String NAME = "multi-krum";
  /** m. */
  public static final StrategyParam SELECTED = StrategyParam.whole("selected", 0, 0, 100_000,
      "m, the number of best-scored updates averaged; 0 for n - f");

  public MultiKrum {
    Krum.BYZANTINE.check(NAME, byzantine);
    SELECTED.check(NAME, selected);
  }

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public Map<String, Double> parameters() {
    Map<String, Double> p = new LinkedHashMap<>();
    p.put(Krum.BYZANTINE.name(), (double) byzantine);
    p.put(SELECTED.name(), (double) selected);
    return p;
  }

  @Override
  public void validate(int silosPerRound) {
    Krum.requireEnough(NAME, byzantine, silosPerRound);
    if (selected > silosPerRound - byzantine) {
      throw new IllegalArgumentException("strategy " + NAME + ": selected " + selected + " is more than the "
          + (silosPerRound - byzantine) + " updates Multi-Krum may keep with byzantine " + byzantine + " and "
          + silosPerRound + " silos per round");
    }
  }

  @Override
  public Aggregator<?> aggregator() {
    return KrumSelection.multiKrum(byzantine, selected);
  }

  @Override
  public int minimumUpdates() {
    return Math.max(KrumSelection.minimumUpdates(byzantine), selected + byzantine);
  }

  @Override
  public boolean accept(int round, int accepted, int failures) {
    return accepted >= KrumSelection.minimumUpdates(byzantine) && accepted - byzantine >= selected;
  }
}
