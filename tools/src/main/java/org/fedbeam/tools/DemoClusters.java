package org.fedbeam.tools;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.fedbeam.pipelines.protocol.Signed;
import org.fedbeam.pipelines.runners.StandaloneCluster;
import org.fedbeam.transforms.Errors;

/**
 * The standalone Flink clusters of {@code fedbeam demo federated --clusters}: one named {@code
 * orchestrator} and one per silo, named after the silo. A cluster of that name already running in
 * the clusters folder (started with {@code fedbeam cluster up}) is used as it is; the others are
 * started with the launcher, all at once, and stopped by {@link #close()}, also when the demo fails.
 */
final class DemoClusters implements AutoCloseable {
  static final String ORCHESTRATOR = "orchestrator";
  private final Path clustersDir;
  private final Map<String, StandaloneCluster.Info> clusters;
  private final List<String> started;
  private final PrintStream out;
  /** Stops the clusters this demo started if the JVM exits before {@link #close()} (Ctrl-C, SIGTERM). */
  private final Thread onExit;

  private DemoClusters(Path clustersDir, Map<String, StandaloneCluster.Info> clusters, List<String> started,
      PrintStream out) {
    this.clustersDir = clustersDir;
    this.clusters = clusters;
    this.started = started;
    this.out = out;
    this.onExit = new Thread(this::stopStarted, "fedbeam-demo-clusters-stop");
    Runtime.getRuntime().addShutdownHook(onExit);
  }

  /** Uses or starts the clusters {@code orchestrator} and each of {@code silos}. */
  static DemoClusters open(Path clustersDir, List<String> silos, PrintStream out) throws Exception {
    List<String> names = new ArrayList<>();
    names.add(ORCHESTRATOR);
    names.addAll(silos);
    Map<String, StandaloneCluster.Info> clusters = new LinkedHashMap<>();
    List<String> started = new ArrayList<>();
    Map<String, Future<StandaloneCluster.Info>> starting = new LinkedHashMap<>();
    ExecutorService pool = Executors.newFixedThreadPool(names.size());
    List<ObjectNode> status = StandaloneCluster.status(clustersDir);
    try {
      for (String name : names) {
        Optional<StandaloneCluster.Info> running = StandaloneCluster.read(clustersDir.resolve(name))
            .filter(i -> status.stream().anyMatch(s -> s.path("name").asText().equals(name)
                && s.path("state").asText().equals("running")));
        if (running.isPresent()) {
          out.printf("cluster %s: using the running one, web UI %s%n", name, running.get().restUrl());
          clusters.put(name, running.get());
        } else {
          starting.put(name, pool.submit(() -> StandaloneCluster.up(clustersDir, name, StandaloneCluster.defaultRole(name),
              out)));
        }
      }
      Exception failed = null;
      for (var s : starting.entrySet()) {
        try {
          clusters.put(s.getKey(), s.getValue().get());
          started.add(s.getKey());
        } catch (java.util.concurrent.ExecutionException e) {
          failed = failed == null ? new IllegalStateException("cannot start cluster " + s.getKey() + ": "
              + Errors.messages(e.getCause()), e.getCause()) : failed;
        }
      }
      DemoClusters result = new DemoClusters(clustersDir, clusters, started, out);
      if (failed != null) {
        result.close();
        throw failed;
      }
      return result;
    } finally {
      pool.shutdown();
    }
  }

  /** {@code host:port} of the named cluster's REST endpoint. */
  String flinkMaster(String name) {
    return clusters.get(name).flinkMaster();
  }

  /** The named cluster's TLS folder, for {@code --flinkTlsDir}: its client certificate is the only way in. */
  String flinkTlsDir(String name) {
    return clusters.get(name).tls().dir().toString();
  }

  /**
   * For each cluster, the Flink jobs that started there at or after {@code sinceMillis}, as
   * {@code {"orchestrator": [{"id", "name", "state"}...], "silo-00": [...]}}.
   */
  ObjectNode jobsSince(long sinceMillis) {
    ObjectNode all = Signed.JSON.createObjectNode();
    for (var c : clusters.entrySet()) {
      var list = all.putArray(c.getKey());
      JsonNode jobs = c.getValue().rest().get("/jobs/overview").map(j -> j.path("jobs"))
          .orElseThrow(() -> new IllegalStateException("cluster " + c.getKey() + " at " + c.getValue().restUrl()
              + " does not answer /jobs/overview"));
      List<JsonNode> sorted = new ArrayList<>();
      jobs.forEach(sorted::add);
      sorted.sort(java.util.Comparator.comparingLong(j -> j.path("start-time").asLong()));
      for (JsonNode j : sorted) {
        if (j.path("start-time").asLong() >= sinceMillis) {
          list.addObject().put("id", j.path("jid").asText()).put("name", j.path("name").asText())
              .put("state", j.path("state").asText());
        }
      }
    }
    return all;
  }

  /** Each cluster's web UI. */
  ObjectNode webUis() {
    ObjectNode n = Signed.JSON.createObjectNode();
    clusters.forEach((name, info) -> n.put(name, info.restUrl()));
    return n;
  }

  /** Stops the clusters this demo started (the ones it found running stay up). */
  @Override
  public void close() {
    try {
      Runtime.getRuntime().removeShutdownHook(onExit);
    } catch (IllegalStateException e) {
      return; // the JVM is exiting: the hook stops them
    }
    stopStarted();
  }

  private synchronized void stopStarted() {
    for (String name : List.copyOf(started)) {
      try {
        StandaloneCluster.down(clustersDir, name, out);
        started.remove(name);
      } catch (Exception e) {
        out.println("cannot stop cluster " + name + ": " + Errors.messages(e));
      }
    }
  }
}
