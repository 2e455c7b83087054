package org.fedbeam.model;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.closeTo;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

/** {@link WeightCaps#capShares}: one cap for every silo, as any strategy can combine with it. */
class WeightCapsSharesTest {
  @Test
  void aShareOverTheCapGetsExactlyTheCap() {
    // 600 of 1000 is over 0.4: W = 400 / (1 - 0.4) = 666.67, the capped weight 266.67; 300 of 666.67 is 0.45 > 0.4 too:
    // then W = 100 / (1 - 0.8) = 500, both capped at 200
    double[] w = WeightCaps.capShares(new double[] {600, 300, 100}, 0.4);

    assertThat(w[0], closeTo(200, 1e-9));
    assertThat(w[1], closeTo(200, 1e-9));
    assertThat(w[2], equalTo(100.0));
  }

  @Test
  void aCapOfOneLeavesTheWeightsAsTheyAre() {
    assertThat(WeightCaps.capShares(new double[] {5, 1e9, 3}, 1.0), equalTo(new double[] {5, 1e9, 3}));
  }

  @Test
  void aCapBelowOneOverNGivesEqualShares() {
    double[] w = WeightCaps.capShares(new double[] {100, 200, 300}, 0.2);

    assertThat(w[0], closeTo(200, 1e-9));
    assertThat(w[1], closeTo(200, 1e-9));
    assertThat(w[2], closeTo(200, 1e-9));
  }

  @Test
  void aCapOutsideZeroToOneIsRefused() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> WeightCaps.capShares(new double[] {1, 2}, 1.5));

    assertThat(e.getMessage(), equalTo("cap 0 must be in (0, 1], was 1.5"));
  }
}
