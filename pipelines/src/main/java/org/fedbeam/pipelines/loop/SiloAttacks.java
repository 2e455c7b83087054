package org.fedbeam.pipelines.loop;

import java.util.Collections;
import java.util.List;
import java.util.SortedMap;
import java.util.SplittableRandom;
import java.util.TreeMap;
import org.fedbeam.model.Permutations;
import org.fedbeam.model.Seeds;
import org.fedbeam.model.attack.Attack;

/**
 * Which silos of a simulation are Byzantine ({@code --byzantine K --attack NAME}) and what they do:
 * {@code K} silos drawn from the run's seed, the same in every round, each applying the attack to
 * its update (or its labels) in every round it takes part in. An honest run has none.
 */
public final class SiloAttacks {
  /** No Byzantine silo. */
  public static final SiloAttacks NONE = new SiloAttacks(new TreeMap<>());

  private final SortedMap<String, Attack> bySilo;

  private SiloAttacks(SortedMap<String, Attack> bySilo) {
    this.bySilo = Collections.unmodifiableSortedMap(bySilo);
  }

  /**
   * {@code count} of {@code silos} attack with {@code attack}, drawn from {@code seed}.
   *
   * @throws IllegalArgumentException naming {@code --byzantine} or {@code --attack} if they make no sense
   */
  public static SiloAttacks choose(int count, String attack, List<String> silos, long seed) {
    if (count < 0 || count >= silos.size()) {
      throw new IllegalArgumentException("--byzantine must be between 0 and " + (silos.size() - 1)
          + " (at least one silo stays honest of the " + silos.size() + "), was " + count);
    }
    Attack what = Attack.parse(attack);
    if (count == 0) {
      return NONE;
    }
    int[] order = Permutations.identity(silos.size());
    Permutations.shuffle(order, new SplittableRandom(Seeds.derive(seed, "byzantine")));
    SortedMap<String, Attack> chosen = new TreeMap<>();
    for (int i = 0; i < count; i++) {
      chosen.put(silos.get(order[i]), what);
    }
    return new SiloAttacks(chosen);
  }

  /** The attack of {@code silo}, or null for an honest one. */
  public Attack of(String silo) {
    return bySilo.get(silo);
  }

  /** The Byzantine silos and their attacks. */
  public SortedMap<String, Attack> all() {
    return bySilo;
  }
}
