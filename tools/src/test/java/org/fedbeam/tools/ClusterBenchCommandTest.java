package org.fedbeam.tools;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.allOf;
import static org.hamcrest.Matchers.empty;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.greaterThan;
import static org.hamcrest.Matchers.lessThan;
import static org.hamcrest.Matchers.startsWith;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.fedbeam.pipelines.protocol.Signed;
import org.fedbeam.pipelines.runners.StandaloneCluster;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code fedbeam bench --clusters}, scaled down to two rounds: it starts an orchestrator cluster
 * and three silo clusters, prints every figure it promises, and stops every cluster it started.
 */
@Tag("slow")
class ClusterBenchCommandTest {
  private static final List<String> CLUSTERS = List.of("orchestrator", "silo-00", "silo-01", "silo-02");

  @TempDir
  Path dir;

  @Test
  void benchClustersEndsWithEveryFigureAndStopsItsClusters() throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();

    int code = FedBeamTools.run(new String[] {"bench", "--clusters", "--cluster-rounds", "2", "--output", dir.toString()},
        new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));

    String printed = out.toString(StandardCharsets.UTF_8);
    assertThat(err.toString(StandardCharsets.UTF_8) + printed, code, equalTo(0));
    List<String> lines = printed.lines().toList();
    String last = lines.get(lines.size() - 1);
    assertThat(last, startsWith("BENCH {"));
    JsonNode bench = Signed.JSON.readTree(last.substring("BENCH ".length()));
    assertThat(bench.get("rounds_timed").asInt(), equalTo(2));
    for (String key : List.of("cluster_round_overhead_s_median", "cluster_round_wall_s_median", "clusters_start_s")) {
      assertThat(key, bench.get(key).asDouble(), allOf(greaterThan(0.0), lessThan(1e4)));
    }
    assertThat(bench.get("cluster_round_wall_s_median").asDouble(),
        greaterThan(bench.get("cluster_round_overhead_s_median").asDouble()));
    assertThat(bench.get("same_model_as_simulation").asBoolean(), equalTo(true));
    assertThat(bench.get("targets").get("cluster_round_overhead_le_3s").isBoolean(), equalTo(true));
    List<String> stillRunning = new ArrayList<>();
    for (String cluster : CLUSTERS) {
      assertThat(cluster, bench.get("cluster_rss_mb").get(cluster).get("jobmanager").asLong(), greaterThan(100L));
      assertThat(cluster, bench.get("cluster_rss_mb").get(cluster).get("taskmanager").asLong(), greaterThan(100L));
      assertThat(cluster, bench.get("job_jar_on_cluster_classpath").get(cluster).asBoolean(), equalTo(true));
      // 5 warm-up runs and 2 rounds
      assertThat(cluster, bench.get("cluster_jobs").get(cluster).asInt(), equalTo(7));
      assertThat(cluster + " was started by the bench",
          lines.stream().anyMatch(l -> l.startsWith("cluster " + cluster + " (") && l.contains(" is up: ")), equalTo(true));
    }
    // the bench started them, so it stopped them
    try (var dirs = java.nio.file.Files.list(dir)) {
      for (Path run : dirs.filter(p -> p.getFileName().toString().startsWith("clusters-")).toList()) {
        StandaloneCluster.status(run.resolve("clusters")).forEach(c -> stillRunning.add(c.path("name").asText()));
      }
    }
    assertThat(stillRunning, empty());
  }
}
