package org.fedbeam.pipelines;

import static org.fedbeam.pipelines.ComposeChecks.FLINK_CONF_TARGET;
import static org.fedbeam.pipelines.ComposeChecks.ownerOf;
import static org.fedbeam.pipelines.ComposeChecks.partyOf;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.SecurityOptions;
import org.apache.flink.runtime.net.SSLUtils;
import org.fedbeam.pipelines.ComposeFile.Mount;

/**
 * The mutual-TLS checks of {@link DockerComposeTest}: each party's cluster keys are in a volume of
 * its own, mounted into its own JobManager, TaskManager and agent or orchestrator only; every Flink
 * process starts with REST (authentication on) and internal TLS from those keys; every healthcheck
 * speaks https with the cluster's client certificate. Each check returns its problems, one line each.
 */
final class ComposeTlsChecks {
  /** The parties with a Flink cluster of their own. */
  static final List<String> CLUSTER_PARTIES = List.of("orchestrator", "silo-a", "silo-b");
  /** Where a party's TLS volume is mounted; the entrypoint's default FEDBEAM_TLS_DIR, the clients' --flinkTlsDir. */
  static final String TLS_TARGET = "/fedbeam/tls";

  private ComposeTlsChecks() {}

  /** The process of a party that submits to its cluster. */
  static String clientOf(String party) {
    return party.equals("orchestrator") ? "orchestrator" : party + "-agent";
  }

  static String tlsVolumeOf(String party) {
    return party + "-tls";
  }

  /**
   * Each party's TLS volume is declared and mounted, read-only, at {@link #TLS_TARGET} into its JobManager,
   * TaskManager and client, whose --flinkTlsDir it is; its setup step may write it; no other service
   * (another party's, a forwarder, a service of the exchange) mounts it, and nothing else is mounted there.
   */
  static List<String> tlsVolumeViolations(ComposeFile c) {
    List<String> problems = new ArrayList<>();
    c.services().forEach((name, service) -> {
      String party = partyOf(name);
      for (Mount m : ComposeFile.mountsOf(service)) {
        boolean tlsVolume = !m.bind() && m.source().endsWith("-tls");
        if (tlsVolume) {
          String owner = ownerOf(m.source());
          if (owner == null || !owner.equals(party)) {
            problems.add(name + " mounts " + (owner == null ? "the" : owner + "'s") + " TLS volume " + m.source());
          } else if (!Set.of(party + "-jobmanager", party + "-taskmanager", clientOf(party), party + "-setup")
              .contains(name)) {
            problems.add(name + " mounts " + m.source() + ", which only " + party + "'s JobManager, TaskManager, "
                + clientOf(party) + " and setup step may");
          }
        }
        if (m.target().equals(TLS_TARGET) && (party == null || !m.source().equals(tlsVolumeOf(party)))) {
          problems.add(name + " has " + m.source() + " at " + TLS_TARGET + ", not " + party + "'s own "
              + (party == null ? "TLS volume" : tlsVolumeOf(party)));
        }
      }
    });
    for (String party : CLUSTER_PARTIES) {
      if (!c.volumes().containsKey(tlsVolumeOf(party))) {
        problems.add("volume " + tlsVolumeOf(party) + " is not declared");
      }
      for (String name : List.of(party + "-jobmanager", party + "-taskmanager", clientOf(party))) {
        JsonNode service = c.services().get(name);
        if (service == null) {
          continue;
        }
        boolean mounted = ComposeFile.mountsOf(service).stream()
            .anyMatch(m -> m.source().equals(tlsVolumeOf(party)) && m.target().equals(TLS_TARGET) && m.readOnly());
        if (!mounted) {
          problems.add(name + " does not mount " + tlsVolumeOf(party) + " read-only at " + TLS_TARGET);
        }
      }
      JsonNode client = c.services().get(clientOf(party));
      String given = client == null ? null : ComposeFile.flag(client, "flinkTlsDir");
      if (client != null && !TLS_TARGET.equals(given)) {
        problems.add(clientOf(party) + " gives --flinkTlsDir=" + given + ", not " + TLS_TARGET);
      }
    }
    return problems;
  }

  /**
   * Every JobManager and TaskManager has a healthcheck, and every healthcheck that runs curl asks its
   * own party's JobManager over https, presenting the cluster's client certificate (PKCS12) from its
   * TLS volume and trusting only the cluster's certificate: no http://, no -k.
   */
  static List<String> healthcheckProblems(ComposeFile c) {
    List<String> problems = new ArrayList<>();
    c.services().forEach((name, service) -> {
      List<String> words = ComposeFile.healthcheckWords(service).stream().map(w -> w.replaceAll("^[\"']|[\"']$", ""))
          .toList();
      if ((name.endsWith("-jobmanager") || name.endsWith("-taskmanager")) && words.isEmpty()) {
        problems.add(name + " has no healthcheck");
      }
      if (!words.contains("curl")) {
        return;
      }
      String own = "https://" + partyOf(name) + "-jobmanager:8081/";
      if (words.stream().anyMatch(w -> w.contains("http://"))) {
        problems.add(name + "'s healthcheck uses plain http://");
      }
      if (words.stream().anyMatch(w -> w.equals("-k") || w.equals("--insecure") || w.matches("-[a-zA-Z]*k[a-zA-Z]*"))) {
        problems.add(name + "'s healthcheck does not check the server's certificate (-k)");
      }
      if (words.stream().noneMatch(w -> w.startsWith(own))) {
        problems.add(name + "'s healthcheck does not ask " + own);
      }
      if (!after(words, "--cert-type").equals("P12") || !after(words, "--cert").startsWith(TLS_TARGET + "/cluster.p12:")) {
        problems.add(name + "'s healthcheck presents no client certificate (--cert-type P12 --cert " + TLS_TARGET
            + "/cluster.p12:PASSWORD)");
      }
      if (!after(words, "--cacert").equals(TLS_TARGET + "/cluster.pem")) {
        problems.add(name + "'s healthcheck does not trust only the cluster's certificate (--cacert " + TLS_TARGET
            + "/cluster.pem)");
      }
    });
    return problems;
  }

  /**
   * Each JobManager and TaskManager, started by the real entrypoint with its command, environment and
   * mounted flink-conf.yaml and the party's keys, has REST TLS with client authentication and internal
   * TLS on, and Flink itself can build its REST and internal SSL from that configuration.
   */
  static List<String> flinkTlsProblems(ComposeFile c, Path root, FlinkEntrypoint entrypoint) {
    List<String> problems = new ArrayList<>();
    c.services().forEach((name, service) -> {
      if (!name.endsWith("-jobmanager") && !name.endsWith("-taskmanager")) {
        return;
      }
      Mount conf = ComposeFile.mountsOf(service).stream().filter(m -> m.bind() && m.target().equals(FLINK_CONF_TARGET))
          .findFirst().orElse(null);
      if (conf == null) {
        problems.add(name + " mounts no flink-conf.yaml at " + FLINK_CONF_TARGET);
        return;
      }
      Map<String, String> env = new LinkedHashMap<>();
      for (String var : List.of("FLINK_JOBMANAGER", "FEDBEAM_TLS_DIR", "FLINK_CONF_DIR", "FEDBEAM_HOME")) {
        String v = ComposeFile.environment(service, var);
        if (v != null && !var.equals("FLINK_JOBMANAGER")) {
          problems.add(name + " sets " + var + "=" + v + "; the entrypoint's own must hold");
        } else if (v != null) {
          env.put(var, v);
        }
      }
      try {
        FlinkEntrypoint.FlinkStart start =
            entrypoint.start(ComposeFile.commandOf(service), env, root.resolve(conf.source()).normalize());
        problems.addAll(tlsProblems(name, start.configuration()));
      } catch (Exception e) {
        problems.add(name + ": " + e.getMessage());
      }
    });
    return problems;
  }

  private static List<String> tlsProblems(String name, Configuration conf) {
    List<String> problems = new ArrayList<>();
    if (!SecurityOptions.isRestSSLEnabled(conf)) {
      problems.add(name + ": REST (and the web UI) without TLS");
    } else if (!SecurityOptions.isRestSSLAuthenticationEnabled(conf)) {
      problems.add(name + ": REST TLS without client authentication");
    }
    if (!SecurityOptions.isInternalSSLEnabled(conf)) {
      problems.add(name + ": RPC, blob and data without TLS");
    }
    try {
      if (SecurityOptions.isRestSSLEnabled(conf)) {
        SSLUtils.createRestServerSSLEngineFactory(conf);
      }
      if (SecurityOptions.isInternalSSLEnabled(conf)) {
        SSLUtils.createInternalServerSSLEngineFactory(conf);
        SSLUtils.createInternalClientSSLEngineFactory(conf);
      }
    } catch (Exception e) {
      problems.add(name + ": Flink cannot set up TLS from its configuration: " + e.getMessage());
    }
    return problems;
  }

  private static String after(List<String> words, String flag) {
    int i = words.indexOf(flag);
    return i < 0 || i + 1 >= words.size() ? "" : words.get(i + 1);
  }
}
