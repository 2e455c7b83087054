package org.fedbeam.model.aggregate;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.sameInstance;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import java.util.Map;
import org.fedbeam.model.ModelSpec;
import org.fedbeam.model.Parameters;
import org.fedbeam.model.strategy.Strategies;
import org.fedbeam.model.strategy.Strategy;
import org.junit.jupiter.api.Test;

/** FedAvg with a cap on one silo's share: the capped weighted mean against hand-computed numbers. */
class CappedMeanTest {
  private static final ModelSpec SPEC = ModelSpec.of(1, List.of(), 2); // 2 weights + 2 biases

  @Test
  void aSiloClaimingMostSamplesGetsOnlyItsCapAndTheRestGoesToTheOthersByTheirWeights() {
    CappedMean mean = new CappedMean(0.5);
    KeptUpdates acc = mean.create(SPEC);
    mean.add(acc, "big", filled(10f), 800);
    mean.add(acc, "a", filled(1f), 100);
    mean.add(acc, "b", filled(4f), 100);

    // uncapped shares 0.8, 0.1, 0.1; capped: big 0.5, a and b share 0.5 by their weights: 0.25 each
    // 0.5 * 10 + 0.25 * 1 + 0.25 * 4 = 6.25 (the plain weighted mean would be 8.5)
    assertThat(mean.result(acc), equalTo(Parameters.copyOf(SPEC, new float[] {6.25f, 6.25f, 6.25f, 6.25f})));
  }

  @Test
  void whenNoSiloReachesTheCapItIsThePlainWeightedMean() {
    CappedMean mean = new CappedMean(0.9);
    KeptUpdates acc = mean.create(SPEC);
    mean.add(acc, "a", filled(1f), 300);
    mean.add(acc, "b", filled(5f), 100);

    // (300 * 1 + 100 * 5) / 400 = 2
    assertThat(mean.result(acc), equalTo(Parameters.copyOf(SPEC, new float[] {2f, 2f, 2f, 2f})));
  }

  @Test
  void fedAvgTakesTheCapAsAParameterAndWithoutItStaysThePlainWeightedMean() {
    Strategy plain = Strategies.create("fedavg", Map.of());
    Strategy capped = Strategies.create("fedavg", Map.of("max_silo_share", 0.3));

    assertThat(plain.aggregator(), sameInstance(WeightedMean.INSTANCE));
    assertThat(plain.parameters(), equalTo(Map.of("max_silo_share", 1.0)));
    assertThat(capped.aggregator().name(), equalTo("capped-mean-0.3"));
    assertThat(capped.aggregator().keepsEveryInput(), equalTo(true));
    assertThat(capped.parameters(), equalTo(Map.of("max_silo_share", 0.3)));
  }

  @Test
  void aCapOutsideItsRangeIsRefusedNamingIt() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> Strategies.create("fedavg", Map.of("max_silo_share", 0.0)));

    assertThat(e.getMessage(), equalTo("strategy fedavg: max_silo_share must be in (0, 1], was 0"));
  }

  private static Parameters filled(float v) {
    return Parameters.copyOf(SPEC, new float[] {v, v, v, v});
  }
}
