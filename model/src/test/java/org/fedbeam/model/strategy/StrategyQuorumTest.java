package org.fedbeam.model.strategy;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Map;
import org.junit.jupiter.api.Test;

/** What a round must hold for a strategy to aggregate it, checked before round 1. */
class StrategyQuorumTest {
  @Test
  void krumAndMultiKrumNeedTwoFPlusThreeUpdatesAndMultiKrumItsSelectionToo() {
    assertThat(Strategies.create("krum", Map.of("byzantine", 2.0)).minimumUpdates(), equalTo(7));
    assertThat(Strategies.create("multi-krum", Map.of("byzantine", 1.0, "selected", 6.0)).minimumUpdates(), equalTo(7));
    assertThat(Strategies.create("fedavg", Map.of()).minimumUpdates(), equalTo(1));
    assertThat(Strategies.create("fedmedian", Map.of()).minimumUpdates(), equalTo(1));
  }

  @Test
  void aTrimmedMeanThatWouldTrimNothingIsRefusedNamingBeta() {
    Strategy trimmed = Strategies.create("trimmed-mean", Map.of("beta", 0.2));

    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> trimmed.validate(4));

    assertThat(e.getMessage(), equalTo("strategy trimmed-mean: beta 0.2 trims floor(0.2 x 4) = 0 updates at each end"
        + " of 4 silos per round; it needs beta >= 0.25 or more silos"));
    trimmed.validate(5);
    Strategies.create("trimmed-mean", Map.of("beta", 0.0)).validate(2); // beta 0 asks for no trimming
  }
}
