package org.fedbeam.tools;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.empty;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.everyItem;
import static org.hamcrest.Matchers.greaterThan;
import static org.hamcrest.Matchers.greaterThanOrEqualTo;
import static org.hamcrest.Matchers.hasItems;
import static org.hamcrest.Matchers.lessThan;
import static org.hamcrest.Matchers.startsWith;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import org.fedbeam.pipelines.protocol.Signed;
import org.fedbeam.pipelines.rounds.RoundRecords;
import org.fedbeam.pipelines.rounds.SiloPipeline;
import org.fedbeam.pipelines.runners.StandaloneCluster;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The federated mode on real standalone Flink 1.16 clusters, one per trust boundary: the test
 * starts an orchestrator cluster and two silo clusters with the launcher, runs {@code fedbeam demo
 * federated --clusters} (3 rounds on Fashion-MNIST, each agent submitting to its own silo's cluster,
 * the orchestrator to its own), then checks through each cluster's REST API where every job ran,
 * that it finished, and that its metrics are there. Every cluster process is stopped at the end,
 * also when a test or the set-up fails.
 */
@Tag("slow")
class ClusterDemoTest {
  private static final List<String> SILOS = List.of("silo-00", "silo-01");
  private static final String ORCHESTRATOR = DemoClusters.ORCHESTRATOR;

  @TempDir
  static Path dir;
  private static final Map<String, StandaloneCluster.Info> clusters = new LinkedHashMap<>();
  private static JsonNode summary;
  private static JsonNode runSummary;

  @BeforeAll
  static void startClustersAndRunTheDemo() throws Exception {
    Path clustersDir = dir.resolve("clusters");
    List<String> names = new ArrayList<>(List.of(ORCHESTRATOR));
    names.addAll(SILOS);
    for (String name : names) {
      clusters.put(name, StandaloneCluster.up(clustersDir, name, StandaloneCluster.defaultRole(name), System.out));
    }
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8)) {
      Demo.run(List.of("--silos", "2", "--rounds", "3", "--hidden", "32", "--clusters", "--clusters-dir",
          clustersDir.toString(), "--output", dir.resolve("demo").toString()), out);
    } finally {
      System.out.println(bytes.toString(StandardCharsets.UTF_8));
    }
    String line = bytes.toString(StandardCharsets.UTF_8).lines().filter(l -> l.startsWith("SUMMARY ")).reduce((a, b) -> b)
        .orElseThrow();
    summary = Signed.JSON.readTree(line.substring("SUMMARY ".length()));
    runSummary = RoundRecords.readJson(dir.resolve("demo/orchestrator/run/run-summary.json").toString(), "run summary");
  }

  @AfterAll
  static void stopEveryClusterProcess() throws Exception {
    List<Long> alive = new ArrayList<>();
    for (StandaloneCluster.Info c : clusters.values()) {
      StandaloneCluster.down(dir.resolve("clusters"), c.name(), System.out);
      for (long pid : new long[] {c.jobManagerPid(), c.taskManagerPid()}) {
        if (ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)) {
          alive.add(pid);
        }
      }
    }
    assertThat("cluster processes still running after 'cluster down'", alive, empty());
  }

  @Test
  void theJobCompletedOnTheClustersWithTheSimulationsModel() {
    assertThat(List.of(summary.path("rounds_completed").asInt(), summary.path("updates_accepted").asInt(),
        summary.path("updates_refused").asInt(), summary.path("same_model_as_simulation").asBoolean()),
        equalTo(List.of(3, 6, 0, true)));
  }

  @Test
  void theModelImprovedRoundAfterRound() {
    JsonNode rounds = runSummary.path("rounds");
    double first = rounds.get(0).path("validation").path("log_loss").asDouble();
    double last = rounds.get(rounds.size() - 1).path("validation").path("log_loss").asDouble();

    assertThat(last, lessThan(first));
    assertThat(summary.path("fl_accuracy").asDouble(), greaterThan(0.7));
  }

  @Test
  void eachSilosJobsRanAndFinishedOnThatSilosClusterAndNowhereElse() {
    for (String silo : SILOS) {
      List<String> ids = ids(silo);
      // the warm-up runs, then one job per round
      assertThat(silo, ids.size(), greaterThanOrEqualTo(3));
      for (String id : ids) {
        JsonNode job = job(silo, id);
        assertThat(silo + " job " + id, job.path("state").asText(), equalTo("FINISHED"));
        // named after the silo and the round: fedbeam-silo-train-SILO-round-0001, or -warm-up
        assertThat(job.path("name").asText(), org.hamcrest.Matchers.matchesPattern(
            java.util.regex.Pattern.quote(SiloPipeline.NAME + "-" + silo) + "-(round-[0-9]{4}|warm-up)"));
        assertThat(vertexNames(job), hasItems(containsString("TrainLocally"), containsString("GuardEgress")));
        for (String other : clusters.keySet()) {
          if (!other.equals(silo)) {
            assertThat(silo + "'s job " + id + " is known to cluster " + other,
                clusters.get(other).rest().get("/jobs/" + id).isPresent(), equalTo(false));
          }
        }
      }
    }
  }

  private static final String AGGREGATION_JOB = "fedbeam-demo-[0-9]+-(round-[0-9]{4}|warm-up)";

  @Test
  void theAggregationRanOnTheOrchestratorsClusterOnly() {
    List<String> ids = ids(ORCHESTRATOR);
    assertThat(ids.size(), greaterThanOrEqualTo(3));
    for (String id : ids) {
      JsonNode job = job(ORCHESTRATOR, id);
      assertThat(job.path("state").asText(), equalTo("FINISHED"));
      // the orchestrator names its jobs after the job id and the round: fedbeam-demo-NNN-round-0001, -warm-up
      assertThat(job.path("name").asText(), org.hamcrest.Matchers.matchesPattern(AGGREGATION_JOB));
      assertThat(vertexNames(job), hasItems(containsString("AggregateUpdates"), containsString("WriteGlobalModel")));
    }
    List<String> onSilos = new ArrayList<>();
    for (String silo : SILOS) {
      for (String id : ids(silo)) {
        if (job(silo, id).path("name").asText().matches(AGGREGATION_JOB)) {
          onSilos.add(silo + "/" + id);
        }
      }
    }
    assertThat("aggregation jobs on a silo's cluster", onSilos, empty());
  }

  @Test
  void theMetricsAreInEachClustersRestApi() {
    for (String silo : SILOS) {
      List<String> ids = ids(silo);
      String metrics = accumulators(silo, ids.get(ids.size() - 1));
      for (String name : List.of("samplesTrained", "trainMillis", "egressAllowed", "updateNormMilli", "updateBytesStaged")) {
        assertThat(silo + "'s last job's accumulators", metrics, containsString(name));
      }
    }
    List<String> ids = ids(ORCHESTRATOR);
    String metrics = accumulators(ORCHESTRATOR, ids.get(ids.size() - 1));
    assertThat(metrics, containsString("updatesAggregated"));
    assertThat(metrics, containsString("globalModelBytesWritten"));
  }

  @Test
  void theClustersAreProcessesOfTheirOwn() {
    TreeSet<Long> pids = new TreeSet<>();
    clusters.values().forEach(c -> {
      pids.add(c.jobManagerPid());
      pids.add(c.taskManagerPid());
    });
    summary.path("silo_pids").forEach(p -> pids.add(p.asLong()));
    pids.add(summary.path("orchestrator_pid").asLong());
    pids.add(ProcessHandle.current().pid());

    assertThat(pids.size(), equalTo(2 * clusters.size() + SILOS.size() + 2));
    assertThat(List.copyOf(clusters.values()).stream().map(StandaloneCluster.Info::restUrl).toList(),
        everyItem(startsWith("https://127.0.0.1:")));
  }

  private static List<String> ids(String cluster) {
    List<String> ids = new ArrayList<>();
    summary.path("cluster_jobs").path(cluster).forEach(j -> ids.add(j.asText()));
    return ids;
  }

  private static JsonNode job(String cluster, String id) {
    return clusters.get(cluster).rest().get("/jobs/" + id)
        .orElseThrow(() -> new AssertionError("cluster " + cluster + " does not know job " + id));
  }

  private static List<String> vertexNames(JsonNode job) {
    List<String> names = new ArrayList<>();
    job.path("vertices").forEach(v -> names.add(v.path("name").asText()));
    return names;
  }

  private static String accumulators(String cluster, String id) {
    return clusters.get(cluster).rest().get("/jobs/" + id + "/accumulators")
        .orElseThrow(() -> new AssertionError("cluster " + cluster + " has no accumulators for job " + id)).toString();
  }
}
