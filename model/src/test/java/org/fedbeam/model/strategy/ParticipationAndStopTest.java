package org.fedbeam.model.strategy;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.not;
import static org.hamcrest.Matchers.nullValue;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Which silos a round asks, and when the loop stops: both pure functions of the seed and the history. */
class ParticipationAndStopTest {
  private static final List<String> SILOS = List.of("s0", "s1", "s2", "s3", "s4", "s5", "s6", "s7", "s8", "s9");

  @Test
  void aFractionAsksTheCeilingOfItsShareANewSampleEachRoundTheSameForTheSameSeed() {
    Participation p = new Participation(0.35, 2);
    Set<List<String>> samples = new HashSet<>();
    for (int round = 1; round <= 10; round++) {
      List<String> sample = p.sample(round, SILOS, 42);
      assertThat(sample.size(), equalTo(4)); // ceil(0.35 x 10)
      assertThat(new HashSet<>(sample).size(), equalTo(4));
      assertThat(SILOS.containsAll(sample), equalTo(true));
      // in the silos' own order
      List<String> ordered = new ArrayList<>(sample);
      ordered.sort(java.util.Comparator.comparingInt(SILOS::indexOf));
      assertThat(sample, equalTo(ordered));
      assertThat(p.sample(round, SILOS, 42), equalTo(sample));
      samples.add(sample);
    }
    assertThat("rounds draw different samples", samples.size() > 1, equalTo(true));
    assertThat(p.sample(3, SILOS, 43), not(equalTo(p.sample(3, SILOS, 42))));
  }

  @Test
  void everySiloIsAskedWhenTheFractionIsOne() {
    assertThat(Participation.ALL.sample(7, SILOS, 1), equalTo(SILOS));
  }

  @Test
  void aFractionLeavingFewerSilosThanTheMinimumIsRefusedNamingBoth() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> new Participation(0.2, 3).validate(10));

    assertThat(e.getMessage(), equalTo("fraction 0.2 asks 2 of 10 silos per round, fewer than min_silos 3"));
    IllegalArgumentException more = assertThrows(IllegalArgumentException.class, () -> new Participation(1, 11).validate(10));
    assertThat(more.getMessage(), containsString("min_silos is 11 but the job has only 10 silos"));
    assertThrows(IllegalArgumentException.class, () -> new Participation(0, 1));
    assertThrows(IllegalArgumentException.class, () -> new Participation(1.5, 1));
  }

  @Test
  void convergenceStopsAfterPatienceRoundsWithoutAnImprovementOfTolerance() {
    Convergence rule = new Convergence(2, 0.01);

    assertThat(rule.stop(List.of(1.0, 0.9, 0.8)), nullValue());
    // 0.795 and 0.7999 improve the best (0.8) by less than 0.01: two stale rounds
    assertThat(rule.stop(List.of(1.0, 0.9, 0.8, 0.795)), nullValue());
    assertThat(rule.stop(List.of(1.0, 0.9, 0.8, 0.795, 0.7999)),
        equalTo("converged: validation loss improved by less than 0.0100000 for 2 rounds"));
    // rounds without a validation loss neither improve nor count
    assertThat(rule.stop(List.of(1.0, Double.NaN, Double.NaN, 0.5)), nullValue());
    assertThat(StopRule.NEVER.stop(List.of(1.0, 1.0, 1.0)), nullValue());
  }
}
