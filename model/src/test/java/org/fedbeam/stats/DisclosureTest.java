package org.fedbeam.stats;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.everyItem;
import static org.hamcrest.Matchers.greaterThanOrEqualTo;
import static org.hamcrest.Matchers.lessThan;
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
