package org.fedbeam.model;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.closeTo;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.lessThanOrEqualTo;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.junit.jupiter.api.Test;

class WeightCapsTest {
  @Test
  void weightsWithinTheirCapsAreLeftAsTheyAre() {
    WeightCaps.Capped c = WeightCaps.apply(new double[] {100, 200, 300}, new double[] {0.5, 0.5, 0.5});

    assertThat(c.weights(), equalTo(new double[] {100, 200, 300}));
    assertThat(c.anyCapped(), equalTo(false));
    assertThat(c.attainable(), equalTo(true));
    assertThat(WeightCaps.integral(c), equalTo(new long[] {100, 200, 300}));
  }

  @Test
  void aShareOverItsCapGetsExactlyItsCapAndTheRestKeepTheirRatios() {
    // 300 of 500 is 0.6 > 0.5: W = 200 / (1 - 0.5) = 400, the capped weight is 200
    WeightCaps.Capped c = WeightCaps.apply(new double[] {300, 120, 80}, new double[] {0.5, 0.5, 0.5});

    assertThat(c.weights(), equalTo(new double[] {200, 120, 80}));
    assertThat(c.capped(), equalTo(new boolean[] {true, false, false}));
    assertThat(c.share(0), closeTo(0.5, 1e-15));
    assertThat(c.share(1) / c.share(2), closeTo(1.5, 1e-15));
  }

  @Test
  void cappingOneUpdateCanPushAnotherOverItsCapAndBothAreCapped() {
    // cap 0.4: 1000 is capped first; then 500 of (500 + 100 + 100) / 0.6 is over 0.4 too
    WeightCaps.Capped c = WeightCaps.apply(new double[] {1000, 500, 100, 100}, new double[] {0.4, 0.4, 0.4, 0.4});

    assertThat(c.capped(), equalTo(new boolean[] {true, true, false, false}));
    assertThat(c.share(0), closeTo(0.4, 1e-12));
    assertThat(c.share(1), closeTo(0.4, 1e-12));
    assertThat(c.share(2), closeTo(0.1, 1e-12));
  }

  @Test
  void theLyingSilosClaimOfABillionSamplesGetsOnlyItsCap() {
    WeightCaps.Capped c = WeightCaps.apply(new double[] {1e9, 120, 120}, new double[] {0.5, 0.5, 0.5});

    assertThat(c.share(0), closeTo(0.5, 1e-12));
    assertThat(c.share(1), closeTo(0.25, 1e-12));
  }

  @Test
  void perSiloCapsEqualSharesForAllMakeAnUnweightedAverageOfTheLargeOnes() {
    // three caps of 1/3 (silos with no declared count): each at most an equal share
    WeightCaps.Capped c = WeightCaps.apply(new double[] {100, 200, 300}, new double[] {1 / 3.0, 1 / 3.0, 1 / 3.0});

    assertThat(c.attainable(), equalTo(true));
    for (int i = 0; i < 3; i++) {
      assertThat(c.share(i), closeTo(1 / 3.0, 1e-12));
    }
  }

  @Test
  void whenTooFewUpdatesForTheCapEachGetsAnEqualShareAndItIsSaid() {
    // cap 0.25 with 2 updates: no weighting meets it
    WeightCaps.Capped c = WeightCaps.apply(new double[] {900, 100}, new double[] {0.25, 0.25});

    assertThat(c.attainable(), equalTo(false));
    assertThat(c.share(0), closeTo(0.5, 1e-15));
    assertThat(c.share(1), closeTo(0.5, 1e-15));
    assertThat(c.capped(), equalTo(new boolean[] {true, false}));
  }

  @Test
  void integralWeightsGiveTheSameAverageAndKeepCappedSharesAtOrBelowTheCap() {
    WeightCaps.Capped c = WeightCaps.apply(new double[] {300, 121, 77}, new double[] {0.45, 0.45, 0.45});
    long[] units = WeightCaps.integral(c);
    double total = units[0] + units[1] + units[2];

    assertThat(units[1], equalTo(121L << 20));
    assertThat(units[2], equalTo(77L << 20));
    assertThat(units[0] / total, lessThanOrEqualTo(0.45));
    assertThat(units[0] / total, closeTo(0.45, 1e-7));
    ModelSpec spec = ModelSpec.of(2, List.of(), 2);
    Parameters a = Parameters.copyOf(spec, new float[] {1, 2, 3, 4, 5, 6});
    Parameters b = Parameters.copyOf(spec, new float[] {-1, 0, 1, 2, 3, 4});
    Parameters d = Parameters.copyOf(spec, new float[] {7, 7, 7, 7, 7, 7});
    Parameters fromUnits = Aggregation.weightedAverage(List.of(a, b, d), List.of(units[0], units[1], units[2]));
    Parameters fromDoubles = Aggregation.weightedAverage(List.of(a, b, d), List.of(c.weights()[0], c.weights()[1],
        c.weights()[2]));
    for (int i = 0; i < spec.parameterCount(); i++) {
      assertThat((double) fromUnits.get(i), closeTo(fromDoubles.get(i), 1e-5));
    }
  }

  @Test
  void badInputIsRefusedNamingIt() {
    assertThat(assertThrows(IllegalArgumentException.class,
        () -> WeightCaps.apply(new double[] {1, 0}, new double[] {1, 1})).getMessage(),
        containsString("weight 1 must be a finite number > 0, was 0.0"));
    assertThat(assertThrows(IllegalArgumentException.class,
        () -> WeightCaps.apply(new double[] {1}, new double[] {1.5})).getMessage(),
        containsString("cap 0 must be in (0, 1], was 1.5"));
    assertThat(assertThrows(IllegalArgumentException.class,
        () -> WeightCaps.apply(new double[] {}, new double[] {})).getMessage(), containsString("at least one"));
  }
}
