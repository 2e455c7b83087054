package org.fedbeam.pipelines.federated;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.allOf;
import static org.hamcrest.Matchers.closeTo;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import org.fedbeam.data.table.CategoricalColumn;
import org.fedbeam.data.table.NumericColumn;
import org.fedbeam.data.table.TableColumn;
import org.fedbeam.pipelines.protocol.Signed;
import org.fedbeam.pipelines.protocol.StatsJob;
import org.fedbeam.stats.GlobalColumn;
import org.fedbeam.stats.GlobalStats;
import org.fedbeam.stats.GlobalStatsJson;
import org.fedbeam.transforms.Artifacts;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code fedbeam stats --job} with real silo agents and the real orchestrator (DirectRunner, as
 * {@link OrchestratorTest}): the real credit-g data (1000 rows, 7 numeric and 13 categorical
 * features) split in two prepared tables; counts exact and moments equal to the pooled computation.
 */
class StatsDeploymentTest {
  @TempDir
  Path dir;
  private StatsWorld stats;

  @AfterEach
  void tearDown() throws Exception {
    if (stats != null) {
      stats.world.close();
    }
  }

  private ObjectNode run(Path job, Path output) throws Exception {
    StatsJob spec = StatsJob.read(job);
    return new StatsOrchestrator(spec, stats.options(job, output), System.out, Clock.systemUTC(),
        ExchangeRounds.Sleeper.REAL).run();
  }

  @Test
  void twoSilosCountsAreExactAndMomentsEqualThePooledComputation() throws Exception {
    stats = new StatsWorld(dir, rows -> rows);
    stats.world.serve("alpha");
    stats.world.serve("beta");
    ObjectNode section = Signed.JSON.createObjectNode().put("k", 10).put("bins", 8);
    Path output = dir.resolve("orchestrator/stats-out");

    ObjectNode summary = run(stats.job("credit", section), output);

    assertThat(summary.get("silos").asInt(), equalTo(2));
    assertThat(summary.get("columns").asInt(), equalTo(stats.pooled.columns().size()));
    assertThat(summary.get("epsilon_spent").asDouble(), equalTo(0.0));
    GlobalStats g = GlobalStatsJson.decode(Artifacts.read(output.resolve("merged-pass-1.json").toString(), "m"), "m");
    assertThat(g.rows(), equalTo((long) stats.pooled.rows()));
    int numeric = 0;
    for (TableColumn c : stats.pooled.columns()) {
      GlobalColumn gc = g.column(c.name());
      if (!gc.partial()) {
        assertThat(c.name() + " count", gc.count(), equalTo((long) (c.rows() - c.missingCount())));
      }
      if (c instanceof NumericColumn n) {
        numeric++;
        double sum = 0;
        for (double v : n.values()) {
          sum += v;
        }
        double mean = sum / n.rows();
        double ss = 0;
        for (double v : n.values()) {
          ss += (v - mean) * (v - mean);
        }
        assertThat(c.name() + " mean", gc.mean(), closeTo(mean, 1e-9 * Math.abs(mean)));
        assertThat(c.name() + " variance", gc.variance(), closeTo(ss / n.rows(), 1e-9 * ss / n.rows()));
      }
    }
    assertThat(numeric, equalTo(7));
    CategoricalColumn label = stats.pooled.label();
    long good = 0;
    for (int r = 0; r < label.rows(); r++) {
      good += label.dictionary().get(label.code(r)).equals("good") ? 1 : 0;
    }
    assertThat(g.labels().get("good"), equalTo(good));
    String text = Files.readString(output.resolve("stats.txt"));
    assertThat(text, allOf(containsString("global"), containsString("alpha"), containsString("beta"),
        containsString("duration (numeric)")));
    assertThat(Files.readString(output.resolve("stats.json")), containsString("\"suppressed_cells\""));
    // pass 2 came with histogram edges from pass 1's merge
    assertThat(Files.exists(output.resolve("merged-pass-2.json")), equalTo(true));
    assertThat(stats.world.assertEveryRefusalReasonIsFixed(), equalTo(0));
  }

  @Test
  void aColumnMissingInOneSiloIsNamedWithTheSilos() throws Exception {
    stats = new StatsWorld(dir, rows -> rows);
    // beta's export has no 'duration' column
    List<String> header = stats.export.header();
    int drop = header.indexOf("duration");
    StringBuilder csv = new StringBuilder();
    for (List<String> row : java.util.stream.Stream.concat(java.util.stream.Stream.of(header),
        stats.export.rows().subList(500, 1000).stream()).toList()) {
      List<String> kept = new java.util.ArrayList<>(row);
      kept.remove(drop);
      csv.append(String.join(",", kept.stream().map(v -> v == null ? "" : v.contains(",") ? '"' + v + '"' : v)
          .toList())).append('\n');
    }
    stats.writeBeta(csv.toString());
    stats.world.serve("alpha");
    stats.world.serve("beta");

    Orchestrator.JobFailed e = assertThrows(Orchestrator.JobFailed.class,
        () -> run(stats.job("missing", Signed.JSON.createObjectNode().put("k", 10)), dir.resolve("out")));

    assertThat(e.getMessage(), allOf(containsString("'duration'"), containsString("alpha"), containsString("beta")));
  }
}
