package org.fedbeam.model.aggregate;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.closeTo;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.greaterThan;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.lessThan;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import java.util.SplittableRandom;
import org.fedbeam.model.ModelSpec;
import org.fedbeam.model.Parameters;
import org.junit.jupiter.api.Test;

/** The median, trimmed mean, Krum and Multi-Krum against hand-computed numbers and a naive reference. */
class RobustAggregatorsTest {
  private static final ModelSpec SPEC = ModelSpec.of(1, List.of(), 2); // 4 parameters

  @Test
  void theMedianOfAnOddNumberIsTheMiddleValueAndOfAnEvenOneTheMeanOfTheTwoMiddleOnes() {
    // coordinate 0 of the three: 1, 5, 3 -> 3; of four (with 10): 3 and 5 -> 4
    double[][] three = {{1, 0, -1, 7}, {5, 0, -3, 8}, {3, 1, -2, 9}};
    double[][] four = {{1, 0, -1, 7}, {5, 0, -3, 8}, {3, 1, -2, 9}, {10, 1, 100, -9}};

    assertThat(aggregate(CoordinateMedian.INSTANCE, three, null), equalTo(params(3, 0, -2, 8)));
    assertThat(aggregate(CoordinateMedian.INSTANCE, four, null), equalTo(params(4, 0.5, -1.5, 7.5)));
  }

  @Test
  void theMedianIgnoresTheWeights() {
    double[][] three = {{1, 0, 0, 0}, {5, 0, 0, 0}, {3, 0, 0, 0}};

    assertThat(aggregate(CoordinateMedian.INSTANCE, three, new double[] {1000, 1, 1}), equalTo(params(3, 0, 0, 0)));
  }

  @Test
  void theTrimmedMeanDropsFloorOfBetaTimesNAtEachEnd() {
    // n = 5, beta 0.2: k = 1; coordinate 0: 1 2 3 4 100 -> mean(2, 3, 4) = 3
    double[][] five = {{100, 1, 0, 5}, {2, 2, 0, 5}, {3, 3, 0, 5}, {1, 4, 0, 5}, {4, -50, 9, 5}};

    assertThat(aggregate(new TrimmedMean(0.2), five, new double[] {9, 1, 1, 1, 1}), equalTo(params(3, 2, 0, 5)));
    // beta 0.19: k = floor(0.95) = 0, the plain unweighted mean
    assertThat(aggregate(new TrimmedMean(0.19), five, null), equalTo(params(22, -8, 1.8, 5)));
    assertThat(new TrimmedMean(0.25).trimmed(4), equalTo(1));
    assertThat(new TrimmedMean(0.49).trimmed(3), equalTo(1));
  }

  @Test
  void aTrimmedMeanBetaOfOneHalfOrMoreIsRefused() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new TrimmedMean(0.5));

    assertThat(e.getMessage(), equalTo("trimmed mean: beta must be in [0, 0.5), was 0.5"));
  }

  @Test
  void krumScoresMatchHandComputedNumbers() {
    // first coordinates 0, 1, 2, 3, 100; n = 5, f = 1: each score sums the 2 nearest squared distances
    // A: 1 + 4 = 5, B: 1 + 1 = 2, C: 1 + 1 = 2, D: 1 + 4 = 5, E: 97^2 + 98^2 = 19013
    double[][] updates = {{0, 0, 0, 0}, {1, 0, 0, 0}, {2, 0, 0, 0}, {3, 0, 0, 0}, {100, 0, 0, 0}};
    double[] weights = {1, 2, 1, 4, 1};
    KeptUpdates kept = keep(updates, weights);

    assertThat(KrumSelection.scores(kept.sorted(), 2), equalTo(new double[] {5, 2, 2, 5, 19013}));
    // Krum: B and C tie at 2, B has the lower silo id
    assertThat(aggregate(KrumSelection.krum(1), updates, weights), equalTo(params(1, 0, 0, 0)));
    // Multi-Krum m = 3: B, C, then A (ties with D at 5, lower id); weighted (0 * 1 + 1 * 2 + 2 * 1) / 4 = 1
    assertThat(aggregate(KrumSelection.multiKrum(1, 3), updates, weights), equalTo(params(1, 0, 0, 0)));
    // m = 0 keeps n - f = 4: A, B, C, D: (0 + 2 + 2 + 12) / 8 = 2
    assertThat(aggregate(KrumSelection.multiKrum(1, 0), updates, weights), equalTo(params(2, 0, 0, 0)));
  }

  @Test
  void krumScoresMatchANaiveReferenceOnRandomUpdates() {
    SplittableRandom random = new SplittableRandom(77);
    double[][] updates = new double[9][4];
    for (double[] u : updates) {
      for (int j = 0; j < 4; j++) {
        u[j] = (float) random.nextGaussian();
      }
    }
    int f = 2;

    double[] scores = KrumSelection.scores(keep(updates, null).sorted(), updates.length - f - 2);

    for (int i = 0; i < updates.length; i++) {
      double[] distances = new double[updates.length - 1];
      int o = 0;
      for (int k = 0; k < updates.length; k++) {
        if (k != i) {
          double d = 0;
          for (int j = 0; j < 4; j++) {
            d += Math.pow(updates[i][j] - updates[k][j], 2);
          }
          distances[o++] = d;
        }
      }
      java.util.Arrays.sort(distances);
      double expected = 0;
      for (int c = 0; c < updates.length - f - 2; c++) {
        expected += distances[c];
      }
      assertThat(scores[i], closeTo(expected, 1e-12));
    }
  }

  @Test
  void krumPicksAnHonestUpdateWhenOneSiloSendsAFarOutlier() {
    for (long seed = 1; seed <= 20; seed++) {
      SplittableRandom random = new SplittableRandom(seed);
      double[][] updates = new double[7][4];
      for (double[] u : updates) {
        for (int j = 0; j < 4; j++) {
          u[j] = 1 + 0.1 * random.nextGaussian();
        }
      }
      int liar = random.nextInt(7);
      for (int j = 0; j < 4; j++) {
        updates[liar][j] = -1000; // sign-flipped and scaled
      }
      // the liar also claims a huge weight: Krum's choice ignores it
      double[] weights = {1, 1, 1, 1, 1, 1, 1};
      weights[liar] = 1e9;

      Parameters chosen = aggregate(KrumSelection.krum(1), updates, weights);
      Parameters multi = aggregate(KrumSelection.multiKrum(1, 0), updates, weights);

      boolean honest = false;
      for (int i = 0; i < 7; i++) {
        honest |= i != liar && chosen.equals(params(updates[i]));
      }
      assertThat("seed " + seed, honest, is(true));
      assertThat("seed " + seed, multi.maxAbsDifference(params(1, 1, 1, 1)), lessThan(0.5));
      assertThat(aggregate(WeightedMean.INSTANCE, updates, weights).maxAbsDifference(params(1, 1, 1, 1)), greaterThan(100.0));
    }
  }

  @Test
  void krumRefusesARoundWithFewerUpdatesThanItNeeds() {
    double[][] four = {{0, 0, 0, 0}, {1, 0, 0, 0}, {2, 0, 0, 0}, {3, 0, 0, 0}};

    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> aggregate(KrumSelection.krum(1), four, null));

    assertThat(e.getMessage(), equalTo("krum: byzantine 1 needs at least 5 updates, the round has 4"));
  }

  @Test
  void multiKrumRefusesToSelectMoreUpdatesThanTheRoundHas() {
    double[][] five = {{0, 0, 0, 0}, {1, 0, 0, 0}, {2, 0, 0, 0}, {3, 0, 0, 0}, {4, 0, 0, 0}};

    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> aggregate(KrumSelection.multiKrum(1, 6), five, null));

    assertThat(e.getMessage(), containsString("multi-krum: selected 6 of a round of 5 updates"));
  }

  @Test
  void twoUpdatesFromOneSiloAreRefusedNamingIt() {
    KeptUpdates kept = new KeptUpdates(SPEC);
    kept.add("silo-b", params(1, 1, 1, 1), 1);
    kept.add("silo-a", params(2, 2, 2, 2), 1);
    kept.add("silo-b", params(3, 3, 3, 3), 1);

    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> CoordinateMedian.INSTANCE.result(kept));

    assertThat(e.getMessage(), equalTo("silo silo-b sent two updates in one round"));
  }

  @Test
  void anUpdateOfAnotherModelOrABadWeightIsRefused() {
    KeptUpdates kept = new KeptUpdates(SPEC);

    assertThat(assertThrows(IllegalArgumentException.class,
        () -> kept.add("s", Parameters.zeros(ModelSpec.of(2, List.of(), 2)), 1)).getMessage(),
        equalTo("silo s sent an update of logreg 2-2 where logreg 1-2 was expected"));
    assertThat(assertThrows(IllegalArgumentException.class, () -> kept.add("s", params(1, 1, 1, 1), 0)).getMessage(),
        equalTo("silo s's weight must be a finite number > 0, was 0.0"));
    assertThat(assertThrows(IllegalStateException.class, () -> CoordinateMedian.INSTANCE.result(kept)).getMessage(),
        equalTo("no update to aggregate"));
  }

  static Parameters aggregate(Aggregator<?> aggregator, double[][] updates, double[] weights) {
    return run(aggregator, updates, weights);
  }

  private static <A> Parameters run(Aggregator<A> aggregator, double[][] updates, double[] weights) {
    A acc = aggregator.create(SPEC);
    for (int i = 0; i < updates.length; i++) {
      aggregator.add(acc, silo(i), params(updates[i]), weights == null ? 1 : weights[i]);
    }
    return aggregator.result(acc);
  }

  static KeptUpdates keep(double[][] updates, double[] weights) {
    KeptUpdates kept = new KeptUpdates(SPEC);
    for (int i = 0; i < updates.length; i++) {
      kept.add(silo(i), params(updates[i]), weights == null ? 1 : weights[i]);
    }
    return kept;
  }

  static String silo(int i) {
    return String.format("silo-%02d", i);
  }

  static Parameters params(double... values) {
    float[] f = new float[values.length];
    for (int i = 0; i < f.length; i++) {
      f[i] = (float) values[i];
    }
    return Parameters.copyOf(SPEC, f);
  }
}
