package org.fedbeam.pipelines.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.fedbeam.pipelines.runners.ClusterTls;
import org.fedbeam.pipelines.runners.StandaloneCluster;

/**
 * {@code fedbeam cluster up --name NAME [--role orchestrator|silo]}, {@code fedbeam cluster down
 * --name NAME} and {@code fedbeam cluster status [--json]}; every form takes {@code --clusters-dir DIR}
 * (default {@code ~/.fedbeam/clusters}).
 */
public final class ClusterCommand {
  public static final String USAGE = "usage: fedbeam cluster up --name NAME [--role orchestrator|silo] [--clusters-dir DIR]\n"
      + "       fedbeam cluster down --name NAME [--clusters-dir DIR]\n"
      + "       fedbeam cluster status [--json] [--clusters-dir DIR]\n"
      + "       fedbeam cluster tls --dir DIR --name NAME [--hosts HOST,HOST...]   a cluster's keys, unless DIR has them\n"
      + "       fedbeam cluster tls-conf --dir DIR    the Flink settings (mutual TLS) for the keys in DIR";

  private ClusterCommand() {}

  /** Runs the command; returns the exit code (0 done, 1 a cluster did not stop or is missing). */
  public static int run(List<String> args, PrintStream out) throws Exception {
    if (args.isEmpty()) {
      throw new IllegalArgumentException(USAGE);
    }
    String verb = args.get(0);
    Map<String, String> flags = flags(args.subList(1, args.size()), switch (verb) {
      case "up" -> Set.of("name", "role", "clustersDir");
      case "down" -> Set.of("name", "clustersDir");
      case "status" -> Set.of("json", "clustersDir");
      case "tls" -> Set.of("dir", "name", "hosts");
      case "tls-conf" -> Set.of("dir");
      default -> throw new IllegalArgumentException("unknown cluster command '" + verb + "'\n" + USAGE);
    });
    if (verb.startsWith("tls")) {
      tls(verb, flags, out);
      return 0;
    }
    Path dir = flags.containsKey("clustersDir") ? Path.of(flags.get("clustersDir")) : StandaloneCluster.defaultClustersDir();
    switch (verb) {
      case "up" -> {
        String name = required(flags, "name");
        StandaloneCluster.up(dir, name, flags.getOrDefault("role", StandaloneCluster.defaultRole(name)), out);
      }
      case "down" -> {
        return StandaloneCluster.down(dir, required(flags, "name"), out) ? 0 : 1;
      }
      default -> {
        List<ObjectNode> clusters = StandaloneCluster.status(dir);
        if (!"false".equals(flags.getOrDefault("json", "false"))) {
          ObjectNode n = new ObjectMapper().createObjectNode();
          n.put("clusters_dir", dir.toString());
          clusters.forEach(n.withArray("clusters")::add); // the array is there even when empty
          out.println(new ObjectMapper().writeValueAsString(n));
        } else if (clusters.isEmpty()) {
          out.println("no clusters in " + dir);
        } else {
          for (ObjectNode c : clusters) {
            out.printf("%-16s %-12s %-9s %-24s pids %d %d  jobs running %s%n", c.path("name").asText(),
                c.path("role").asText(), c.path("state").asText(), c.path("rest_url").asText(),
                c.path("jobmanager_pid").asLong(), c.path("taskmanager_pid").asLong(), c.path("jobs_running").asText("-"));
          }
        }
      }
    }
    return 0;
  }

  /**
   * {@code tls}: a cluster's keys ({@link ClusterTls#create}, with an operator certificate) in a folder of
   * its own, for a cluster that FedBeam does not start itself (docker-compose.yml), kept if the folder
   * has them; {@code tls-conf}: the Flink settings of those keys ({@link ClusterTls#clusterSettings()}),
   * one {@code key: value} line each, to append to the cluster's flink-conf.yaml.
   */
  private static void tls(String verb, Map<String, String> flags, PrintStream out) throws Exception {
    Path dir = Path.of(required(flags, "dir"));
    if (verb.equals("tls-conf")) {
      ClusterTls.load(dir).clusterSettings().forEach((k, v) -> out.println(k + ": " + v));
      return;
    }
    String name = required(flags, "name");
    List<String> hosts = flags.containsKey("hosts") ? List.of(flags.get("hosts").split(",")) : List.of();
    if (java.nio.file.Files.isRegularFile(dir.resolve("tls.properties"))
        && java.nio.file.Files.isRegularFile(dir.resolve("operator.p12"))) {
      out.println("keeping the TLS keys in " + dir);
      return;
    }
    ClusterTls tls = ClusterTls.create(dir, name, true, hosts);
    out.println("TLS keys of " + name + " in " + dir + " (SAN 127.0.0.1, localhost" + (hosts.isEmpty() ? "" : ", ")
        + String.join(", ", hosts) + "); operator: " + tls.operatorKeystore());
  }

  private static String required(Map<String, String> flags, String name) {
    String v = flags.get(name);
    if (v == null || v.isBlank()) {
      throw new IllegalArgumentException("--" + name + " is required\n" + USAGE);
    }
    return v;
  }

  private static Map<String, String> flags(List<String> args, Set<String> allowed) {
    Map<String, String> out = new LinkedHashMap<>();
    for (String a : org.fedbeam.pipelines.cli.FedBeam.toBeamArgs(args)) {
      String body = a.substring(2);
      int eq = body.indexOf('=');
      String key = eq < 0 ? body : body.substring(0, eq);
      if (!allowed.contains(key)) {
        throw new IllegalArgumentException("unknown flag --" + key + " for this cluster command\n" + USAGE);
      }
      out.put(key, eq < 0 ? "true" : body.substring(eq + 1));
    }
    return out;
  }
}
