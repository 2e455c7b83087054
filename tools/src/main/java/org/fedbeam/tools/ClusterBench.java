package org.fedbeam.tools;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.fedbeam.model.Stats;
import org.fedbeam.pipelines.protocol.Signed;
import org.fedbeam.pipelines.rounds.RoundRecords;
import org.fedbeam.pipelines.runners.StandaloneCluster;

/**
 * {@code fedbeam bench --clusters}: the federated mode on standalone Flink clusters, one per trust
 * boundary (an orchestrator cluster and one per silo, 3 silos), started fresh for the run with the
 * launcher. It times {@code --cluster-rounds} rounds of {@code demo federated --clusters} and
 * prints, in its {@code BENCH} line:
 * <ul>
 *   <li>{@code cluster_round_overhead_s_median}: each round's wall time (request out to the next
 *       global model, at the orchestrator) minus its slowest silo's training time as the silo
 *       reports it ({@code train_ms}), the median over the rounds;</li>
 *   <li>each cluster's resident memory after the run (JobManager and TaskManager, from
 *       {@code /proc/PID/status});</li>
 *   <li>how the job jar got to the clusters: copied once per cluster when it started, and found
 *       on the JobManager's class path through its REST API ({@code /jobmanager/environment});
 *       the jobs themselves carry no jar (see {@link org.fedbeam.pipelines.runners.RemoteFlink}).</li>
 * </ul>
 */
public final class ClusterBench {
  static final List<String> SILOS = List.of("silo-00", "silo-01", "silo-02");

  private ClusterBench() {}

  public static ObjectNode run(BenchOptions options, PrintStream out) throws Exception {
    Path dir = Path.of(options.getOutput()).toAbsolutePath().resolve("clusters-" + System.currentTimeMillis());
    Path clustersDir = dir.resolve("clusters");
    ObjectNode result = Signed.JSON.createObjectNode();
    out.println("bench --clusters: starting an orchestrator cluster and " + SILOS.size() + " silo clusters in " + clustersDir);
    long start = System.nanoTime();
    try (DemoClusters clusters = DemoClusters.open(clustersDir, SILOS, out)) {
      result.put("clusters_start_s", (System.nanoTime() - start) / 1e9);
      out.printf("bench --clusters: %d rounds of demo federated --clusters%n", options.getClusterRounds());
      ObjectNode summary = Demo.run(List.of("--silos", Integer.toString(SILOS.size()), "--rounds",
          Integer.toString(options.getClusterRounds()), "--clusters", "--clusters-dir", clustersDir.toString(),
          "--fashion-mnist-dir", options.getFashionMnistDir(), "--seed", Long.toString(options.getSeed()),
          "--output", dir.resolve("demo").toString()), out);
      JsonNode run = RoundRecords.readJson(dir.resolve("demo/orchestrator/run/run-summary.json").toString(), "run summary");
      List<Double> overheads = new ArrayList<>();
      List<Double> walls = new ArrayList<>();
      for (JsonNode round : run.path("rounds")) {
        JsonNode attempts = round.path("attempts");
        double slowest = 0;
        for (var silo : (Iterable<java.util.Map.Entry<String, JsonNode>>) () -> attempts.get(attempts.size() - 1)
            .path("silos").fields()) {
          slowest = Math.max(slowest, silo.getValue().path("train_s").asDouble(0));
        }
        walls.add(round.path("wall_s").asDouble());
        overheads.add(round.path("wall_s").asDouble() - slowest);
      }
      double overhead = median(overheads);
      result.put("cluster_round_overhead_s_median", overhead);
      result.put("cluster_round_overhead_s_median_after_round_1", median(overheads.subList(1, overheads.size())));
      result.put("cluster_round_wall_s_median", median(walls));
      result.put("rounds_timed", walls.size());
      result.put("deployment_added_s_per_round", summary.path("deployment_added_s_per_round").asDouble());
      result.put("same_model_as_simulation", summary.path("same_model_as_simulation").asBoolean());
      result.put("fl_accuracy", summary.path("fl_accuracy").asDouble());
      ObjectNode memory = result.putObject("cluster_rss_mb");
      ObjectNode onClasspath = result.putObject("job_jar_on_cluster_classpath");
      ObjectNode jobs = result.putObject("cluster_jobs");
      long jarBytes = 0;
      for (String name : names(summary)) {
        StandaloneCluster.Info info = StandaloneCluster.read(clustersDir.resolve(name)).orElseThrow();
        long jm = rssKb(info.jobManagerPid());
        long tm = rssKb(info.taskManagerPid());
        memory.putObject(name).put("jobmanager", jm / 1024).put("taskmanager", tm / 1024).put("total", (jm + tm) / 1024);
        String jar = info.dir().resolve(StandaloneCluster.JOB_JAR).toString();
        onClasspath.put(name, info.rest().get("/jobmanager/environment")
            .map(e -> e.path("classpath").toString().contains(jar)).orElse(false));
        jobs.put(name, summary.path("cluster_jobs").path(name).size());
        jarBytes = Files.size(info.dir().resolve(StandaloneCluster.JOB_JAR));
      }
      result.put("job_jar_mb", jarBytes / 1e6);
      ObjectNode targets = result.putObject("targets");
      targets.put("cluster_round_overhead_le_3s", overhead <= 3.0);
    }
    out.println("BENCH " + RoundRecords.oneLine(result));
    return result;
  }

  private static List<String> names(JsonNode summary) {
    List<String> names = new ArrayList<>();
    summary.path("cluster_jobs").fieldNames().forEachRemaining(names::add);
    return names;
  }

  private static double median(List<Double> values) {
    return Stats.median(values.stream().mapToDouble(Double::doubleValue).toArray());
  }

  /** VmRSS of a process in kB, from /proc. */
  static long rssKb(long pid) throws IOException {
    for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
      if (line.startsWith("VmRSS:")) {
        return Long.parseLong(line.replaceAll("[^0-9]", ""));
      }
    }
    throw new IllegalStateException("no VmRSS for pid " + pid);
  }
}
