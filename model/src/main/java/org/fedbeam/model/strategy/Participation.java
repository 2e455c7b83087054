package org.fedbeam.model.strategy;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.fedbeam.model.Permutations;
import org.fedbeam.model.Seeds;

/**
 * Which silos take part in a round (Flower's {@code fraction_fit} and {@code min_available_clients}):
 * a fraction of the silos, drawn afresh each round from the run's seed, and a minimum number that
 * must be available for a round to run at all.
 *
 * @param fraction the share of silos asked to train each round, in (0, 1]; 1 asks every silo
 * @param minSilos the fewest silos a round may run with, >= 1
 */
public record Participation(double fraction, int minSilos) implements java.io.Serializable {
  /** Every silo, every round; a round needs one. */
  public static final Participation ALL = new Participation(1.0, 1);

  public Participation {
    if (!(fraction > 0 && fraction <= 1)) {
      throw new IllegalArgumentException("fraction must be in (0, 1], was " + fraction);
    }
    if (minSilos < 1) {
      throw new IllegalArgumentException("min_silos must be >= 1, was " + minSilos);
    }
  }

  /** How many of {@code silos} silos a round asks: {@code ceil(fraction x silos)}, at least 1. */
  public int perRound(int silos) {
    return Math.max(1, (int) Math.ceil(fraction * silos - 1e-9));
  }

  /**
   * Checks that a federation of {@code silos} silos can meet this participation.
   *
   * @throws IllegalArgumentException naming {@code fraction} or {@code min_silos}
   */
  public void validate(int silos) {
    if (minSilos > silos) {
      throw new IllegalArgumentException("min_silos is " + minSilos + " but the job has only " + silos + " silos");
    }
    int asked = perRound(silos);
    if (asked < minSilos) {
      throw new IllegalArgumentException("fraction " + fraction + " asks " + asked + " of " + silos
          + " silos per round, fewer than min_silos " + minSilos);
    }
  }

  /**
   * The silos of round {@code round}: all of them when the fraction is 1, else a sample of
   * {@link #perRound} drawn from {@code seed} and the round, in the order of {@code silos}.
   */
  public List<String> sample(int round, List<String> silos, long seed) {
    int asked = perRound(silos.size());
    if (asked >= silos.size()) {
      return List.copyOf(silos);
    }
    int[] order = Permutations.identity(silos.size());
    Permutations.shuffle(order, new SplittableRandom(Seeds.derive(seed, "participation", round)));
    boolean[] chosen = new boolean[silos.size()];
    for (int i = 0; i < asked; i++) {
      chosen[order[i]] = true;
    }
    List<String> sample = new ArrayList<>();
    for (int i = 0; i < silos.size(); i++) {
      if (chosen[i]) {
        sample.add(silos.get(i));
      }
    }
    return List.copyOf(sample);
  }
}
