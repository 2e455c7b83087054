package org.fedbeam.stats;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.closeTo;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.lessThanOrEqualTo;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.datasketches.kll.KllDoublesSketch;
import org.fedbeam.data.table.NumericColumn;
import org.fedbeam.data.table.Table;
import org.junit.jupiter.api.Test;

/** Federated statistics merged over silos agree with the pooled computation. */
class GlobalStatsTest {
  private static final int K = 5;

  private static List<Table> silos() {
    return List.of(StatsFixtures.silo("A", 1200, 0, 1), StatsFixtures.silo("B", 700, 50, 2),
        StatsFixtures.silo("C", 3100, -20, 3));
  }

  private static GlobalStats merged(StatsQuery q, List<Table> silos) {
    GlobalStats g = GlobalStats.empty();
    for (Table t : silos) {
      g = g.merge(GlobalStats.of(StatsComputation.INSTANCE.compute(q, t, 7)));
    }
    return g;
  }

  @Test
  void aColumnWhoseMomentsOneSiloWithheldIsListedAsPartial() {
    double[] ordinary = new double[200];
    double[] dominated = new double[200];
    for (int i = 0; i < 200; i++) {
      ordinary[i] = 50 + i % 17;
      dominated[i] = 50 + i % 17;
    }
    dominated[7] = 1e7; // one record carries nearly all of this silo's M2: the dominance rule withholds its moments
    List<Table> silos = List.of(StatsFixtures.of("A", ordinary, List.of("u"), new int[200]),
        StatsFixtures.of("B", dominated, List.of("u"), new int[200]));
    GlobalStats g = merged(StatsQuery.summary(K), silos);
    assertThat(g.partialColumns(), equalTo(List.of("v")));
    assertThat("the merged moments are silo A's only", g.column("v").moments().n(), equalTo(200L));
    assertThat(merged(StatsQuery.summary(K), List.of(silos.get(0), silos.get(0).withSource("C"))).partialColumns(),
        equalTo(List.of()));
  }

  private static double[] pooled(List<Table> silos, String column) {
    return silos.stream().flatMapToDouble(t -> Arrays.stream(((NumericColumn) t.column(column)).values()))
        .filter(v -> !Double.isNaN(v)).toArray();
  }

  @Test
  void countsAreExactAndMomentsMatchThePooledTwoPassComputation() {
    List<Table> silos = silos();
    StatsQuery q = new StatsQuery(StatsQuery.Pass.SUMMARY, List.of(), 10, java.util.Map.of(), StatsQuery.DEFAULT_RANKS,
        K, false, 15, StatsQuery.Noise.NONE, java.util.Map.of());
    GlobalStats g = merged(q, silos);

    assertThat(g.rows(), equalTo(5000L));
    for (String c : List.of("x", "y")) {
      double[] v = pooled(silos, c);
      double sum = 0;
      for (double x : v) {
        sum += x;
      }
      double mean = sum / v.length;
      double ss = 0;
      for (double x : v) {
        ss += (x - mean) * (x - mean);
      }
      double variance = ss / v.length;
      GlobalColumn col = g.column(c);
      assertThat(col.count(), equalTo((long) v.length));
      assertThat(col.countTotal().lowerBound(), equalTo(false));
      assertThat(Math.abs(col.mean() - mean) / Math.abs(mean), lessThanOrEqualTo(1e-9));
      assertThat(Math.abs(col.variance() - variance) / variance, lessThanOrEqualTo(1e-9));
    }
    assertThat(g.column("y").missing(), equalTo(120L + 70 + 310));
    long colours = g.column("colour").categories().values().stream().mapToLong(Long::longValue).sum();
    assertThat(colours, equalTo(5000L));
    assertThat(g.labels().values().stream().mapToLong(Long::longValue).sum(), equalTo(5000L));
  }

  @Test
  void quantilesFromTheMergedSketchAreWithinItsNormalizedRankError() {
    List<Table> silos = silos();
    StatsQuery q = new StatsQuery(StatsQuery.Pass.SUMMARY, List.of(), 10, java.util.Map.of(), StatsQuery.DEFAULT_RANKS,
        K, false, 15, StatsQuery.Noise.NONE, java.util.Map.of());
    GlobalStats g = merged(q, silos);
    double eps = KllDoublesSketch.getNormalizedRankError(Sketches.K, false);
    for (String c : List.of("x", "y")) {
      double[] v = pooled(silos, c);
      Arrays.sort(v);
      for (double rank : StatsQuery.DEFAULT_RANKS) {
        double quantile = g.column(c).quantile(rank).orElseThrow();
        double trueRank = (double) upper(v, quantile) / v.length;
        assertThat(c + " at " + rank, Math.abs(trueRank - rank), lessThanOrEqualTo(eps + (double) silos.size() * (2 * K - 1) / v.length));
      }
    }
  }

  private static int upper(double[] sorted, double q) {
    int i = 0;
    while (i < sorted.length && sorted[i] <= q) {
      i++;
    }
    return i;
  }

  @Test
  void theHistogramPassUsesSharedEdgesAndItsCountsAddUp() {
    List<Table> silos = silos();
    StatsQuery q = StatsQuery.summary(K);
    GlobalStats summary = merged(q, silos);
    StatsQuery second = q.forHistograms(summary);
    GlobalStats full = summary.withHistograms(merged(second, silos));

    GlobalColumn x = full.column("x");
    assertThat(x.histogram().size(), equalTo(12));
    long sum = x.histogram().stream().mapToLong(Total::value).sum();
    assertThat(sum, lessThanOrEqualTo(5000L));
    assertThat(x.bins().lo(), closeTo(summary.column("x").quantile(0.01).orElseThrow(), 1e-12));
    long[] expected = new long[12];
    for (double v : pooled(silos, "x")) {
      expected[x.bins().index(v)]++;
    }
    for (int i = 0; i < 12; i++) {
      Total t = x.histogram().get(i);
      if (!t.lowerBound()) {
        assertThat("bin " + i, t.value(), equalTo(expected[i]));
      } else {
        assertThat("bin " + i, t.value(), lessThanOrEqualTo(expected[i]));
      }
    }
  }

  @Test
  void aColumnMissingInOneSiloOrOfAnotherTypeIsNamedWithTheSilos() {
    StatsQuery q = StatsQuery.summary(K);
    Table a = StatsFixtures.silo("A", 100, 0, 1);
    Table b = StatsFixtures.silo("B", 100, 0, 2);
    List<org.fedbeam.data.table.TableColumn> cols = new ArrayList<>(b.columns());
    cols.set(0, new org.fedbeam.data.table.CategoricalColumn("x", List.of("u"), new int[100]));
    Table retyped = new Table("B", cols, b.label());
    GlobalStats ga = GlobalStats.of(StatsComputation.INSTANCE.compute(q, a, 1));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> ga.merge(GlobalStats.of(StatsComputation.INSTANCE.compute(q, retyped, 1))));
    assertThat(e.getMessage(), containsString("column 'x' is numeric in silo A but categorical in silo B"));

    Table dropped = new Table("B", cols.subList(1, cols.size()), b.label());
    e = assertThrows(IllegalArgumentException.class,
        () -> ga.merge(GlobalStats.of(StatsComputation.INSTANCE.compute(q, dropped, 1))));
    assertThat(e.getMessage(), containsString("column 'x' is in silo A but missing in silo B"));
  }

  @Test
  void theMergedStatisticsSurviveTheirJson() {
    GlobalStats g = merged(StatsQuery.summary(K), silos());
    GlobalStats back = GlobalStatsJson.decode(GlobalStatsJson.encode(g), "test");
    assertThat(new String(GlobalStatsJson.encode(back)), equalTo(new String(GlobalStatsJson.encode(g))));
    assertThat(back, equalTo(g));
  }
}
