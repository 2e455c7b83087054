package org.fedbeam.pipelines.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.fedbeam.pipelines.runners.ClusterTls;
import org.fedbeam.pipelines.runners.StandaloneCluster;

/**
 * {@code fedbeam cluster up --name NAME [--role orchestrator|silo]}, {@code fedbeam cluster down
 * --name NAME} and {@code fedbeam cluster status [--json]}; every form takes {@code --clusters-dir DIR}
 * (default {@code ~/.fedbeam/clusters}).
 */
public final class ClusterCommand {
  private static final Option CLUSTERS_DIR = Option.text("clusters-dir", "DIR", "Where clusters live, one folder each")
      .withDefault("~/.fedbeam/clusters");
  private static final Option NAME = Option.required("name", "NAME", "The cluster's name: 1-40 lower-case letters,"
      + " digits or '-'");

  /**
   * One form of the command.
   *
   * @param usage its usage line
   * @param options its flags
   */
  record Verb(String usage, List<Option> options) {}

  /** Every form of the command and its flags; the parser and {@code --help} both read this table. */
  static final Map<String, Verb> VERBS = new LinkedHashMap<>();

  static {
    VERBS.put("up", new Verb("fedbeam cluster up --name NAME [--role orchestrator|silo]   starts a standalone Flink"
        + " session cluster (a JobManager and a TaskManager) on this machine", List.of(NAME,
        Option.text("role", "orchestrator|silo", "Which flink-conf/ template the cluster uses").withDefault(
            "orchestrator for the name 'orchestrator', else silo"), CLUSTERS_DIR)));
    VERBS.put("down", new Verb("fedbeam cluster down --name NAME   stops the cluster's JobManager and TaskManager by"
        + " process id", List.of(NAME, CLUSTERS_DIR)));
    VERBS.put("status", new Verb("fedbeam cluster status [--json]   the clusters, their web UIs, process ids and"
        + " running jobs", List.of(Option.flag("json", "One JSON object, for tools"), CLUSTERS_DIR)));
    VERBS.put("tls", new Verb("fedbeam cluster tls --dir DIR --name NAME [--hosts HOST,...]   a cluster's TLS keys,"
        + " unless DIR has them (for a cluster FedBeam does not start, e.g. docker-compose.yml)", List.of(
        Option.required("dir", "DIR", "Folder for the keys"), NAME,
        Option.text("hosts", "HOST[,HOST...]", "Host names added to the certificate (127.0.0.1 and localhost always are)"))));
    VERBS.put("tls-conf", new Verb("fedbeam cluster tls-conf --dir DIR   the Flink settings (mutual TLS) for the keys in"
        + " DIR, to append to flink-conf.yaml", List.of(Option.required("dir", "DIR", "Folder holding the keys"))));
  }

  /** Every form's usage line. */
  public static final String USAGE = "usage: " + String.join("\n       ", VERBS.values().stream()
      .map(v -> v.usage().replaceFirst("   .*", "")).toList());

  private ClusterCommand() {}

  /** {@code cluster --help}: every form with its flags; {@code cluster VERB --help}: that form's. */
  public static void help(String verb, PrintStream out) {
    List<String> verbs = VERBS.containsKey(verb) ? List.of(verb) : List.copyOf(VERBS.keySet());
    out.println("usage: " + String.join("\n       ", verbs.stream().map(v -> VERBS.get(v).usage()).toList()));
    for (String v : verbs) {
      Help.print(out, new Help.Section("cluster " + v, VERBS.get(v).options()));
    }
  }

  /** Runs the command; returns the exit code (0 done, 1 a cluster did not stop or is missing). */
  public static int run(List<String> args, PrintStream out) throws Exception {
    if (args.isEmpty()) {
      throw new IllegalArgumentException(USAGE);
    }
    String verb = args.get(0);
    Verb form = VERBS.get(verb);
    if (form == null) {
      String close = Flags.closest(verb, List.copyOf(VERBS.keySet()));
      throw new IllegalArgumentException("unknown cluster command '" + verb + "'" + (close == null ? "" : "; did you mean "
          + close + "?") + "\n" + USAGE);
    }
    Map<String, String> flags = Flags.values("cluster " + verb, args.subList(1, args.size()), form.options());
    if (verb.startsWith("tls")) {
      tls(verb, flags, out);
      return 0;
    }
    Path dir = flags.containsKey("clusters-dir") ? Path.of(flags.get("clusters-dir")) : StandaloneCluster.defaultClustersDir();
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
}
