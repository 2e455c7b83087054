package org.fedbeam.transforms;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.testing.CombineFnTester;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.transforms.Combine;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.util.CoderUtils;
import org.apache.beam.sdk.values.PCollection;
import org.fedbeam.data.table.CategoricalColumn;
import org.fedbeam.data.table.NumericColumn;
import org.fedbeam.data.table.Table;
import org.fedbeam.data.table.TableColumn;
import org.fedbeam.data.table.TableFormat;
import org.fedbeam.stats.GlobalColumn;
import org.fedbeam.stats.GlobalStats;
import org.fedbeam.stats.SiloStats;
import org.fedbeam.stats.StatsComputation;
import org.fedbeam.stats.StatsQuery;
import org.hamcrest.BaseMatcher;
import org.hamcrest.Description;
import org.hamcrest.Matcher;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The silos' statistics merged by Beam: CombineFnTester's re-sharding, and a real pipeline over table files. */
class MergeStatsCombineFnTest {
  private static final StatsQuery QUERY = StatsQuery.summary(5);

  static Table silo(String name, int rows, double shift, long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    double[] x = new double[rows];
    int[] colour = new int[rows];
    int[] label = new int[rows];
    for (int i = 0; i < rows; i++) {
      x[i] = shift + r.nextGaussian();
      colour[i] = r.nextInt(3);
      label[i] = r.nextInt(2);
    }
    List<TableColumn> cols = List.of(new NumericColumn("x", x),
        new CategoricalColumn("colour", List.of("red", "green", "blue"), colour));
    return new Table(name, cols, new CategoricalColumn("label", List.of("yes", "no"), label));
  }

  private static List<SiloStats> releases() {
    List<SiloStats> out = new ArrayList<>();
    for (int s = 0; s < 6; s++) {
      out.add(StatsComputation.INSTANCE.compute(QUERY, silo("silo-" + s, 100 + 50 * s, s * 3.0, s), s));
    }
    return out;
  }

  /** Counts exact; moments to 1e-12 relative; the same silos; the merged sketch counts every value. */
  static Matcher<GlobalStats> sameAs(GlobalStats expected) {
    return new BaseMatcher<>() {
      @Override
      public boolean matches(Object item) {
        GlobalStats g = (GlobalStats) item;
        if (g.rows() != expected.rows() || !g.labels().equals(expected.labels())
            || !new java.util.HashSet<>(g.silos()).equals(new java.util.HashSet<>(expected.silos()))) {
          return false;
        }
        GlobalColumn a = g.column("x");
        GlobalColumn b = expected.column("x");
        return a.count() == b.count() && Math.abs(a.mean() - b.mean()) <= 1e-12 * Math.abs(b.mean())
            && Math.abs(a.variance() - b.variance()) <= 1e-12 * b.variance()
            && a.sketchOf().getN() == b.sketchOf().getN()
            && g.column("colour").categories().equals(expected.column("colour").categories());
      }

      @Override
      public void describeTo(Description d) {
        d.appendText("global statistics like ").appendValue(expected.silos());
      }
    };
  }

  @Test
  void mergingInAnyOrderAndShardingGivesTheSameStatistics() {
    List<SiloStats> in = releases();
    GlobalStats expected = GlobalStats.empty();
    for (SiloStats s : in) {
      expected = expected.merge(GlobalStats.of(s));
    }
    assertThat(expected.rows(), equalTo(100L + 150 + 200 + 250 + 300 + 350));
    CombineFnTester.testCombineFn(new MergeStatsCombineFn(), in, sameAs(expected));
  }

  @Test
  void theCodersRoundTripAndAreDeterministic() throws Exception {
    SiloStats s = releases().get(0);
    StatsCoders.SiloStatsCoder.of().verifyDeterministic();
    byte[] once = CoderUtils.encodeToByteArray(StatsCoders.SiloStatsCoder.of(), s);
    assertThat(CoderUtils.decodeFromByteArray(StatsCoders.SiloStatsCoder.of(), once), equalTo(s));
    assertThat(CoderUtils.encodeToByteArray(StatsCoders.SiloStatsCoder.of(), s), equalTo(once));
    GlobalStats g = GlobalStats.of(s);
    assertThat(CoderUtils.decodeFromByteArray(StatsCoders.GlobalStatsCoder.of(),
        CoderUtils.encodeToByteArray(StatsCoders.GlobalStatsCoder.of(), g)), equalTo(g));
    assertThat(CoderUtils.decodeFromByteArray(StatsCoders.GlobalStatsCoder.of(),
        CoderUtils.encodeToByteArray(StatsCoders.GlobalStatsCoder.of(), GlobalStats.empty())), equalTo(GlobalStats.empty()));
  }

  @Test
  void aPipelineComputesInEachSiloAndMergesOverTheirTableFiles(@TempDir Path dir) throws Exception {
    List<StatsTask> tasks = new ArrayList<>();
    GlobalStats expected = GlobalStats.empty();
    for (int s = 0; s < 3; s++) {
      Table t = silo("silo-" + s, 120 + s, s, s);
      Path file = dir.resolve("silo-" + s + ".fbtb");
      Files.write(file, TableFormat.encode(t));
      tasks.add(new StatsTask("silo-" + s, file.toString(), QUERY, s));
      expected = expected.merge(GlobalStats.of(StatsComputation.INSTANCE.compute(QUERY, t, s)));
    }
    Pipeline p = Pipeline.create(PipelineOptionsFactory.create());
    PCollection<GlobalStats> global = p.apply("CreateTasks", Create.of(tasks).withCoder(StatsCoders.StatsTaskCoder.of()))
        .apply("ComputeStats", ComputeStats.perSilo())
        .apply("MergeStats", Combine.globally(new MergeStatsCombineFn()).withoutDefaults());
    PAssert.thatSingleton(global).satisfies(g -> {
      assertThat(g.rows(), equalTo(363L));
      return null;
    });
    GlobalStats want = expected;
    PAssert.thatSingleton(global).satisfies(g -> {
      assertThat(g, sameAs(want));
      return null;
    });
    assertThat(p.run().waitUntilFinish(), equalTo(PipelineResult.State.DONE));
  }

  @Test
  void aColumnMissingInOneSiloFailsTheMergeNamingBothSilos() {
    SiloStats a = releases().get(0);
    Table t = silo("silo-9", 100, 0, 9);
    Table dropped = new Table("silo-9", List.of(t.columns().get(1)), t.label());
    SiloStats b = StatsComputation.INSTANCE.compute(QUERY, dropped, 1);
    MergeStatsCombineFn fn = new MergeStatsCombineFn();
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> fn.addInput(fn.addInput(fn.createAccumulator(), a), b));
    assertThat(e.getMessage(), containsString("column 'x' is in silo silo-0 but missing in silo silo-9"));
  }
}
