package org.fedbeam.data;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.closeTo;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.greaterThan;
import static org.hamcrest.Matchers.greaterThanOrEqualTo;
import static org.hamcrest.Matchers.lessThan;
import static org.hamcrest.Matchers.lessThanOrEqualTo;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Arrays;
import java.util.SplittableRandom;
import org.fedbeam.data.Partitioner.Scheme;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Splitting rows among silos. Skew bounds were set from measured splits (seeds 1-5): the mean share
 * of a silo's most common class was 0.115-0.124 for IID, 0.57-0.62 for Dirichlet(0.1) and
 * 0.113-0.119 for Dirichlet(100).
 */
class PartitionerTest {
  private static final int ROWS = 6000;
  private static final int CLASSES = 10;
  private static final int SILOS = 10;
  private static final long SEED = 42L;
  /** 600 rows of each class, in a seeded random order. */
  private static final int[] LABELS = shuffledBalancedLabels(ROWS, CLASSES, 7L);

  @ParameterizedTest
  @EnumSource(Scheme.class)
  void everyRowGoesToExactlyOneSilo(Scheme scheme) {
    int[][] parts = Partitioner.split(LABELS, CLASSES, SILOS, scheme, 0.5, SEED);

    assertThat(parts.length, equalTo(SILOS));
    int[] seen = new int[ROWS];
    for (int[] part : parts) {
      for (int row : part) {
        seen[row]++;
      }
    }
    int[] once = new int[ROWS];
    Arrays.fill(once, 1);
    assertThat(seen, equalTo(once));
  }

  @ParameterizedTest
  @EnumSource(Scheme.class)
  void eachSilosRowsAreInAscendingOrder(Scheme scheme) {
    int[][] parts = Partitioner.split(LABELS, CLASSES, SILOS, scheme, 0.5, SEED);

    for (int[] part : parts) {
      int[] sorted = part.clone();
      Arrays.sort(sorted);
      assertThat(part, equalTo(sorted));
    }
  }

  @ParameterizedTest
  @EnumSource(Scheme.class)
  void theSameSeedGivesTheSameSplit(Scheme scheme) {
    int[][] first = Partitioner.split(LABELS, CLASSES, SILOS, scheme, 0.5, SEED);
    int[][] second = Partitioner.split(LABELS, CLASSES, SILOS, scheme, 0.5, SEED);

    assertThat(second, equalTo(first));
  }

  @ParameterizedTest
  @EnumSource(Scheme.class)
  void anotherSeedGivesAnotherSplit(Scheme scheme) {
    int[][] first = Partitioner.split(LABELS, CLASSES, SILOS, scheme, 0.5, SEED);
    int[][] other = Partitioner.split(LABELS, CLASSES, SILOS, scheme, 0.5, SEED + 1);

    assertThat(Arrays.deepEquals(first, other), equalTo(false));
  }

  @Test
  void iidSilosHaveEqualSizes() {
    int[][] parts = Partitioner.split(LABELS, CLASSES, SILOS, Scheme.IID, 0, SEED);

    for (int[] part : parts) {
      assertThat(part.length, equalTo(ROWS / SILOS));
    }
  }

  @Test
  void iidSilosDifferByAtMostOneRowWhenTheSplitIsUneven() {
    int[] labels = shuffledBalancedLabels(6007, CLASSES, 8L);

    int[][] parts = Partitioner.split(labels, CLASSES, 7, Scheme.IID, 0, SEED);

    int min = Arrays.stream(parts).mapToInt(p -> p.length).min().orElseThrow();
    int max = Arrays.stream(parts).mapToInt(p -> p.length).max().orElseThrow();
    assertThat(max - min, lessThanOrEqualTo(1));
  }

  @Test
  void iidSilosHaveLittleLabelSkew() {
    int[][] parts = Partitioner.split(LABELS, CLASSES, SILOS, Scheme.IID, 0, SEED);

    assertThat(meanTopClassShare(parts), lessThanOrEqualTo(0.15));
  }

  @Test
  void dirichletWithSmallAlphaGivesStrongLabelSkew() {
    int[][] parts = Partitioner.split(LABELS, CLASSES, SILOS, Scheme.DIRICHLET, 0.1, SEED);

    assertThat(meanTopClassShare(parts), greaterThanOrEqualTo(0.4));
  }

  @Test
  void dirichletSkewShrinksAsAlphaGrows() {
    double skewed = meanTopClassShare(Partitioner.split(LABELS, CLASSES, SILOS, Scheme.DIRICHLET, 0.1, SEED));
    double even = meanTopClassShare(Partitioner.split(LABELS, CLASSES, SILOS, Scheme.DIRICHLET, 100, SEED));
    double iid = meanTopClassShare(Partitioner.split(LABELS, CLASSES, SILOS, Scheme.IID, 0, SEED));

    assertThat(even, lessThanOrEqualTo(0.15));
    assertThat(skewed, greaterThan(even + 0.25));
    assertThat(skewed, greaterThan(3 * iid));
  }

  @Test
  void quantityWithSmallAlphaGivesUnequalSizes() {
    int[][] parts = Partitioner.split(LABELS, CLASSES, SILOS, Scheme.QUANTITY, 0.5, SEED);

    int min = Arrays.stream(parts).mapToInt(p -> p.length).min().orElseThrow();
    int max = Arrays.stream(parts).mapToInt(p -> p.length).max().orElseThrow();
    assertThat(max, greaterThanOrEqualTo(2 * ROWS / SILOS));
    assertThat(min, lessThanOrEqualTo(ROWS / SILOS / 4));
  }

  @Test
  void quantityWithLargeAlphaGivesNearEqualSizesAndNoLabelSkew() {
    int[][] parts = Partitioner.split(LABELS, CLASSES, SILOS, Scheme.QUANTITY, 1000, SEED);

    for (int[] part : parts) {
      assertThat((double) part.length, closeTo(ROWS / SILOS, 0.1 * ROWS / SILOS));
    }
    assertThat(meanTopClassShare(parts), lessThan(0.15));
  }

  @Test
  void oneSiloGetsEveryRow() {
    int[][] parts = Partitioner.split(LABELS, CLASSES, 1, Scheme.DIRICHLET, 0.1, SEED);

    assertThat(parts[0].length, equalTo(ROWS));
  }

  @Test
  void zeroSilosAreRejectedWithTheValue() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> Partitioner.split(LABELS, CLASSES, 0, Scheme.IID, 0, SEED));

    assertThat(e.getMessage(), equalTo("silos must be >= 1, was 0"));
  }

  @Test
  void zeroAlphaIsRejectedForDirichlet() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> Partitioner.split(LABELS, CLASSES, SILOS, Scheme.DIRICHLET, 0, SEED));

    assertThat(e.getMessage(), equalTo("alpha must be a finite number > 0, was 0.0"));
  }

  @Test
  void infiniteAlphaIsRejectedForQuantity() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> Partitioner.split(LABELS, CLASSES, SILOS, Scheme.QUANTITY, Double.POSITIVE_INFINITY, SEED));

    assertThat(e.getMessage(), equalTo("alpha must be a finite number > 0, was Infinity"));
  }

  @Test
  void schemeParsesItsIdIgnoringCase() {
    assertThat(Scheme.parse(" Dirichlet"), equalTo(Scheme.DIRICHLET));
    assertThat(Scheme.QUANTITY.id(), equalTo("quantity"));
  }

  @Test
  void anUnknownSchemeIsRejectedListingTheAcceptedOnes() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Scheme.parse("zipf"));

    assertThat(e.getMessage(), equalTo("partition must be one of iid, dirichlet, quantity; was 'zipf'"));
  }

  @Test
  void dirichletDrawsArePositiveAndSumToOne() {
    double[] shares = Partitioner.dirichlet(SILOS, 0.1, new SplittableRandom(SEED));

    assertThat(Arrays.stream(shares).sum(), closeTo(1.0, 1e-12));
    assertThat(Arrays.stream(shares).min().orElseThrow(), greaterThanOrEqualTo(0.0));
  }

  /** Mean over non-empty silos of the share of the silo's most common class. */
  private static double meanTopClassShare(int[][] parts) {
    double sum = 0;
    int nonEmpty = 0;
    for (int[] part : parts) {
      if (part.length == 0) {
        continue;
      }
      int[] counts = new int[CLASSES];
      for (int row : part) {
        counts[LABELS[row]]++;
      }
      sum += (double) Arrays.stream(counts).max().orElseThrow() / part.length;
      nonEmpty++;
    }
    return sum / nonEmpty;
  }

  private static int[] shuffledBalancedLabels(int n, int classes, long seed) {
    int[] labels = new int[n];
    for (int i = 0; i < n; i++) {
      labels[i] = i % classes;
    }
    SplittableRandom random = new SplittableRandom(seed);
    for (int i = n - 1; i > 0; i--) {
      int j = random.nextInt(i + 1);
      int t = labels[i];
      labels[i] = labels[j];
      labels[j] = t;
    }
    return labels;
  }
}
