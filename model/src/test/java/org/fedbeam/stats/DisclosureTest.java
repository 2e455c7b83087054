package org.fedbeam.stats;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.everyItem;
import static org.hamcrest.Matchers.greaterThanOrEqualTo;
import static org.hamcrest.Matchers.lessThan;
import static org.hamcrest.Matchers.lessThanOrEqualTo;
import static org.hamcrest.Matchers.not;
import static org.hamcrest.Matchers.nullValue;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.apache.datasketches.kll.KllDoublesSketch;
import org.fedbeam.data.table.Table;
import org.junit.jupiter.api.Test;

/** Each disclosure rule replayed as an attack on the real silo computation: nothing it hides leaves. */
class DisclosureTest {
  private static final int K = 5;

  private static String released(SiloStats s) {
    return new String(SiloStatsJson.encode(s), StandardCharsets.UTF_8);
  }

  @Test
  void aCellOfOneIsSuppressedAndCannotBeRecoveredAsTheTotalMinusTheOthers() {
    // 40 values in [0, 10), and one at 10.5: alone in the last bin
    double[] v = new double[41];
    for (int i = 0; i < 40; i++) {
      v[i] = i / 4.0;
    }
    v[40] = 10.5;
    Table t = StatsFixtures.of("A", v, List.of("u"), new int[41]);
    StatsQuery q = StatsQuery.summary(K).withPass(StatsQuery.Pass.HISTOGRAM, Map.of("v", new StatsQuery.Bins(0, 11, 11)));
    List<Long> h = StatsComputation.INSTANCE.compute(q, t, 1).column("v").histogram();

    assertThat(h.get(11), nullValue()); // the bin [10, 11) holding the one record
    long hidden = 41 - h.stream().filter(c -> c != null).mapToLong(Long::longValue).sum();
    assertThat("the attacker's total minus the released bins", hidden, greaterThanOrEqualTo((long) K));
  }

  @Test
  void everyPartitionReleasesOnlyZeroOrKAndHidesZeroOrAtLeastK() {
    SplittableRandom r = new SplittableRandom(11);
    for (int trial = 0; trial < 5000; trial++) {
      long[] cells = new long[1 + r.nextInt(8)];
      for (int i = 0; i < cells.length; i++) {
        cells[i] = r.nextInt(3) == 0 ? 0 : r.nextInt(12);
      }
      long total = Arrays.stream(cells).sum();
      List<Long> out = Disclosure.suppress(cells, K);
      long shown = 0;
      for (Long c : out) {
        if (c != null) {
          assertThat(c == 0 || c >= K, equalTo(true));
          shown += c;
        }
      }
      long hidden = total - shown;
      assertThat(Arrays.toString(cells), hidden == 0 || hidden >= K || hidden == total, equalTo(true));
    }
  }

  @Test
  void aRareCategoryNameNeverLeavesTheSilo() {
    double[] v = new double[30];
    int[] codes = new int[30];
    codes[0] = 1;
    codes[1] = 1; // "Mrs Rare-Surname" twice
    codes[2] = 2; // "blue" once: after folding, "other" is 3 < k, so the smallest named value folds in too
    Table t = StatsFixtures.of("A", v, List.of("common", "Mrs Rare-Surname", "blue"), codes);
    SiloStats s = StatsComputation.INSTANCE.compute(StatsQuery.summary(K), t, 1);

    assertThat(released(s), not(containsString("Rare-Surname")));
    assertThat(released(s), not(containsString("blue")));
    SiloStats.Categories c = s.column("c").categories();
    long hidden = 30 - c.values().values().stream().mapToLong(Long::longValue).sum();
    assertThat(hidden == 0 || hidden >= K, equalTo(true));
  }

  @Test
  void aSmallSilosSketchHoldsNoRecordsValueOnlyMeansOfAtLeastKRecords() {
    // 60 distinct values: KLL (k = 200) would keep every one of them as an item
    double[] v = new double[60];
    java.util.Random r = new java.util.Random(7);
    for (int i = 0; i < v.length; i++) {
      v[i] = Math.round((20 + 60 * r.nextDouble()) * 1000) / 1000.0;
    }
    Table t = StatsFixtures.of("A", v, List.of("u"), new int[v.length]);
    SiloStats s = StatsComputation.INSTANCE.compute(StatsQuery.summary(K), t, 1);
    KllDoublesSketch sketch = Sketches.decode(s.column("v").sketch(), v.length, "test");
    java.util.Set<Double> groupMeans = Disclosure.microaggregateValues(v, K, 3);
    double[] sorted = v.clone();
    Arrays.sort(sorted);
    java.util.Set<Double> items = new java.util.TreeSet<>();
    var it = sketch.iterator();
    while (it.next()) {
      items.add(it.getQuantile());
    }
    assertThat("a group of k to 2k - 1 records per item", items.size(), lessThanOrEqualTo(v.length / K));
    for (double item : items) {
      assertThat("item " + item + " is the rounded mean of a group of k to 2k - 1 records", groupMeans.contains(item),
          equalTo(true));
    }
    long atMin = Arrays.stream(sorted).filter(x -> x <= sketch.getMinItem()).count();
    long atMax = Arrays.stream(sorted).filter(x -> x >= sketch.getMaxItem()).count();
    assertThat("records at or below the smallest item", atMin, greaterThanOrEqualTo((long) K));
    assertThat("records at or above the largest item", atMax, greaterThanOrEqualTo((long) K));
    // the same data gives the same release: the KLL coin is seeded
    assertThat(StatsComputation.INSTANCE.compute(StatsQuery.summary(K), t, 99).column("v").sketch(),
        equalTo(s.column("v").sketch()));
  }

  @Test
  void microaggregationGroupsKToTwoKMinusOneValuesAndKeepsTheirMean() {
    double[] v = {5, 1, 9, 3, 7, 2, 8, 4, 6, 10, 11, 12, 13};
    double[] m = Disclosure.microaggregate(v, 4, 15);
    // clamped to [4th smallest, 4th largest] = [4, 10]: 4 4 4 4 | 5 6 7 8 | 9 10 10 10 10
    assertThat(m, equalTo(new double[] {4, 4, 4, 4, 6.5, 6.5, 6.5, 6.5, 9.8, 9.8, 9.8, 9.8, 9.8}));
  }

  @Test
  void aLargeSilosSketchIsTheSameEveryRun() {
    double[] v = new double[5000];
    java.util.Random r = new java.util.Random(3);
    for (int i = 0; i < v.length; i++) {
      v[i] = r.nextGaussian();
    }
    Table t = StatsFixtures.of("A", v, List.of("u"), new int[v.length]);
    String first = StatsComputation.INSTANCE.compute(StatsQuery.summary(K), t, 1).column("v").sketch();
    for (int i = 0; i < 3; i++) {
      Sketches.of(v, i); // other sketches in between move the shared coin
      assertThat(StatsComputation.INSTANCE.compute(StatsQuery.summary(K), t, 1).column("v").sketch(), equalTo(first));
    }
    KllDoublesSketch a = Sketches.decode(first, v.length, "a");
    assertThat(Sketches.encode(Sketches.merge(a, a)), equalTo(Sketches.encode(Sketches.merge(a, a))));
  }

  @Test
  void anOutlierLeavesNeitherByMinMaxNorBySketch() {
    double[] v = new double[200];
    for (int i = 0; i < 199; i++) {
      v[i] = 50 + i % 17;
    }
    v[199] = 987654.321; // one patient's extreme value
    Table t = StatsFixtures.of("A", v, List.of("u"), new int[200]);
    SiloStats s = StatsComputation.INSTANCE.compute(StatsQuery.summary(K), t, 1);

    assertThat(s.column("v").max(), nullValue());
    assertThat(released(s), not(containsString("987654")));
    KllDoublesSketch sketch = Sketches.decode(s.column("v").sketch(), 200, "test");
    assertThat(sketch.getMaxItem(), lessThan(100.0));
    long atMax = Arrays.stream(v).filter(x -> x >= sketch.getMaxItem()).count();
    assertThat("records at or above the sketch's largest item", atMax, greaterThanOrEqualTo((long) K));
    long atMin = Arrays.stream(v).filter(x -> x <= sketch.getMinItem()).count();
    assertThat(atMin, greaterThanOrEqualTo((long) K));

    StatsQuery allowed = new StatsQuery(StatsQuery.Pass.SUMMARY, List.of(), 10, Map.of(), StatsQuery.DEFAULT_RANKS, K,
        true, 3, StatsQuery.Noise.NONE, Map.of());
    assertThat(StatsComputation.INSTANCE.compute(allowed, t, 1).column("v").max(), equalTo(987654.321));
  }

  @Test
  void aColumnWithFewerThanKValuesReleasesNoMomentsSketchOrHistogram() {
    double[] v = new double[40];
    Arrays.fill(v, Double.NaN);
    v[0] = 1;
    v[1] = 2;
    v[2] = 3;
    Table t = StatsFixtures.of("A", v, List.of("u"), new int[40]);
    SiloStats s = StatsComputation.INSTANCE.compute(StatsQuery.summary(K), t, 1);
    SiloStats.ColumnStats c = s.column("v");
    assertThat(c.count(), nullValue());
    assertThat(c.missing(), nullValue()); // 40 - 37 would give the count back
    assertThat(c.moments(), nullValue());
    assertThat(c.sketch(), nullValue());
    StatsQuery h = StatsQuery.summary(K).withPass(StatsQuery.Pass.HISTOGRAM, Map.of("v", new StatsQuery.Bins(0, 4, 4)));
    assertThat(StatsComputation.INSTANCE.compute(h, t, 1).column("v").histogram(), nullValue());
  }

  @Test
  void aRareLabelClassIsFoldedAndNotNamed() {
    int[] label = new int[50];
    label[0] = 1;
    Table base = StatsFixtures.of("A", new double[50], List.of("u"), new int[50]);
    Table t = new Table("A", base.columns(), new org.fedbeam.data.table.CategoricalColumn("label",
        List.of("healthy", "very-rare-disease"), label));
    SiloStats s = StatsComputation.INSTANCE.compute(StatsQuery.summary(K), t, 1);
    assertThat(released(s), not(containsString("very-rare-disease")));
    assertThat(s.labels().values().keySet(), everyItem(not(equalTo("very-rare-disease"))));
  }

  @Test
  void anAllMissingColumnAndTooFewRowsAreRefusedNamingTheSiloAndColumn() {
    double[] v = new double[30];
    Arrays.fill(v, Double.NaN);
    Table t = StatsFixtures.of("silo-B (b.csv)", v, List.of("u"), new int[30]);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> StatsComputation.INSTANCE.compute(StatsQuery.summary(K), t, 1));
    assertThat(e.getMessage(), containsString("silo silo-B (b.csv): column 'v' has no value in its 30 rows"));

    Table small = StatsFixtures.of("A", new double[3], List.of("u"), new int[3]);
    e = assertThrows(IllegalArgumentException.class,
        () -> StatsComputation.INSTANCE.compute(StatsQuery.summary(K), small, 1));
    assertThat(e.getMessage(), containsString("3 rows, fewer than k = 5"));
  }
}
