package org.fedbeam.pipelines;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.fedbeam.pipelines.ComposeFile.Mount;
import org.fedbeam.pipelines.ComposeFile.Port;

/**
 * What {@link DockerComposeTest} checks in a docker-compose.yml: each check is a function from the
 * file to the problems it finds, one line each, empty if there are none. The parties are the
 * orchestrator, the silos and the exchange (Azurite); a service, network, volume or host path
 * belongs to the party it is named after ({@code silo-a-agent}, {@code silo-a-data}, {@code
 * ./flink-conf/docker/silo-a}).
 */
final class ComposeChecks {
  static final List<String> SILOS = List.of("silo-a", "silo-b");
  static final List<String> PARTIES = List.of("orchestrator", "silo-a", "silo-b", "exchange");
  static final List<String> EXPECTED_SERVICES = List.of("azurite", "orchestrator-jobmanager",
      "orchestrator-taskmanager", "orchestrator", "silo-a-jobmanager", "silo-a-taskmanager", "silo-a-agent",
      "silo-b-jobmanager", "silo-b-taskmanager", "silo-b-agent");
  /** Where entrypoint.sh reads the Flink configuration (FLINK_CONF_DIR). */
  static final String FLINK_CONF_TARGET = "/opt/fedbeam/conf/flink-conf.yaml";

  private ComposeChecks() {}

  static List<String> missingServices(ComposeFile c) {
    return EXPECTED_SERVICES.stream().filter(s -> !c.services().containsKey(s)).map(s -> "no service " + s).toList();
  }

  static List<String> undeclaredNetworksAndVolumes(ComposeFile c) {
    List<String> problems = new ArrayList<>();
    c.services().forEach((name, service) -> {
      ComposeFile.networksOf(service).stream().filter(n -> !c.networks().containsKey(n))
          .forEach(n -> problems.add(name + " joins network " + n + ", which is not declared"));
      ComposeFile.mountsOf(service).stream().filter(m -> !m.bind() && !m.source().isEmpty())
          .filter(m -> !c.volumes().containsKey(m.source()))
          .forEach(m -> problems.add(name + " mounts volume " + m.source() + ", which is not declared"));
    });
    return problems;
  }

  /** Each silo's Flink processes and agent are on its network; its services join only its own networks and 'exchange'. */
  static List<String> siloNetworkViolations(ComposeFile c) {
    List<String> problems = new ArrayList<>();
    for (String silo : SILOS) {
      for (String role : List.of("jobmanager", "taskmanager", "agent")) {
        JsonNode service = c.services().get(silo + "-" + role);
        if (service != null && !ComposeFile.networksOf(service).contains(silo)) {
          problems.add(silo + "-" + role + " is not on network " + silo);
        }
      }
    }
    c.services().forEach((name, service) -> {
      for (String network : ComposeFile.networksOf(service)) {
        String owner = ownerOf(network);
        if (SILOS.contains(owner) && !owner.equals(partyOf(name))) {
          problems.add(name + " is on " + owner + "'s network " + network);
        }
        if (SILOS.contains(partyOf(name)) && !network.equals("exchange") && !partyOf(name).equals(owner)) {
          problems.add(partyOf(name) + "'s service " + name + " is on network " + network + ", not its own");
        }
      }
    });
    return problems;
  }

  static List<String> openSiloNetworks(ComposeFile c) {
    return SILOS.stream().filter(s -> !c.networks().containsKey(s) || !c.networks().get(s).path("internal").asBoolean(false))
        .map(s -> "network " + s + " is not declared internal: true").toList();
  }

  /** A service that can reach outside (a network that is not internal) must hold no data: no mounts at all. */
  static List<String> mountsOnOpenNetworks(ComposeFile c) {
    List<String> problems = new ArrayList<>();
    c.services().forEach((name, service) -> {
      Set<String> networks = ComposeFile.networksOf(service);
      if (networks.isEmpty() && !service.has("network_mode")) {
        networks = Set.of("default");
      }
      List<String> open = networks.stream()
          .filter(n -> !c.networks().containsKey(n) || !c.networks().get(n).path("internal").asBoolean(false)).toList();
      if (!open.isEmpty() && !ComposeFile.mountsOf(service).isEmpty()) {
        problems.add(name + " is on the non-internal network(s) " + open + " and mounts " + ComposeFile.mountsOf(service));
      }
    });
    return problems;
  }

  static List<String> missingFiles(ComposeFile c, Path root) {
    List<String> problems = new ArrayList<>();
    c.services().forEach((name, service) -> {
      for (Mount m : ComposeFile.mountsOf(service)) {
        if (m.bind()) {
          Path host = root.resolve(m.source()).normalize();
          if (!host.startsWith(root) || !Files.exists(host)) {
            problems.add(name + " mounts " + m.source() + ", which is not in the repository");
          }
        }
      }
      JsonNode build = service.path("build");
      if (!build.isMissingNode()) {
        String context = build.isTextual() ? build.asText() : build.path("context").asText(".");
        Path dockerfile = root.resolve(context).resolve(build.path("dockerfile").asText("Dockerfile")).normalize();
        if (!dockerfile.startsWith(root) || !Files.isRegularFile(dockerfile)) {
          problems.add(name + " builds from " + dockerfile + ", which is not in the repository");
        }
      }
    });
    return problems;
  }

  /**
   * A service that runs an image another service builds must not pull it (pull_policy: never):
   * else Compose would pull whatever a registry has under that name and run it next to the data.
   */
  static List<String> pullableBuiltImages(ComposeFile c) {
    Set<String> built = new TreeSet<>();
    c.services().forEach((name, service) -> {
      if (service.has("build")) {
        built.add(service.path("image").asText(name));
      }
    });
    List<String> problems = new ArrayList<>();
    c.services().forEach((name, service) -> {
      String image = service.path("image").asText("");
      if (!service.has("build") && built.contains(image) && !service.path("pull_policy").asText("").equals("never")) {
        problems.add(name + " runs the built image " + image + " without pull_policy: never");
      }
    });
    return problems;
  }

  static List<String> portProblems(ComposeFile c) {
    List<String> problems = new ArrayList<>();
    Map<String, String> taken = new HashMap<>();
    c.services().forEach((name, service) -> {
      for (Port p : ComposeFile.portsOf(service)) {
        if (!p.hostIp().equals("127.0.0.1")) {
          problems.add(name + " publishes " + p + " on '" + p.hostIp() + "', not on 127.0.0.1");
        }
        if (!p.published().matches("\\d{1,5}")) {
          problems.add(name + " publishes " + p + " without one fixed host port");
        }
        String other = taken.putIfAbsent(p.hostIp() + ":" + p.published(), name);
        if (other != null) {
          problems.add(name + " and " + other + " both publish " + p.hostIp() + ":" + p.published());
        }
      }
    });
    return problems;
  }

  /** JobManagers and TaskManagers: the right command, and exactly one flink-conf.yaml, of their party's role. */
  static List<String> flinkConfigurationProblems(ComposeFile c, Path root) {
    List<String> problems = new ArrayList<>();
    c.services().forEach((name, service) -> {
      String process = name.endsWith("-jobmanager") ? "jobmanager" : name.endsWith("-taskmanager") ? "taskmanager" : null;
      if (process == null) {
        return;
      }
      List<String> command = ComposeFile.commandOf(service);
      if (command.isEmpty() || !command.get(0).equals(process)) {
        problems.add(name + " runs " + command + ", not " + process);
      }
      String role = partyOf(name).equals("orchestrator") ? "orchestrator" : "silo";
      Path expected = root.resolve("flink-conf").resolve(role).resolve("flink-conf.yaml");
      List<Mount> confs = ComposeFile.mountsOf(service).stream().filter(m -> m.target().endsWith("/flink-conf.yaml")).toList();
      if (confs.size() != 1 || !confs.get(0).bind() || !confs.get(0).target().equals(FLINK_CONF_TARGET)
          || !root.resolve(confs.get(0).source()).normalize().equals(expected)) {
        problems.add(name + " must mount flink-conf/" + role + "/flink-conf.yaml at " + FLINK_CONF_TARGET + ", mounts "
            + confs);
      }
    });
    return problems;
  }

  /** Each TaskManager, agent, orchestrator and web UI forwarder talks to its own party's JobManager. */
  static List<String> foreignClusters(ComposeFile c) {
    List<String> problems = new ArrayList<>();
    c.services().forEach((name, service) -> {
      String own = partyOf(name) + "-jobmanager";
      List<String> command = ComposeFile.commandOf(service);
      List<String> targets = new ArrayList<>();
      if (name.endsWith("-taskmanager")) {
        targets.add(String.valueOf(ComposeFile.environment(service, "FLINK_JOBMANAGER")));
      }
      if (ComposeFile.flag(service, "flinkMaster") != null) {
        targets.add(ComposeFile.flag(service, "flinkMaster").split(":")[0]);
      }
      if (!command.isEmpty() && command.get(0).equals("webui")) {
        targets.add(command.size() > 1 ? command.get(1).split(":")[0] : "nothing");
      }
      targets.stream().filter(t -> !t.equals(own)).forEach(t -> problems.add(name + " uses the JobManager " + t + ", not " + own));
    });
    return problems;
  }

  /**
   * A volume or host path named after a party (silo-a-data, ./flink-conf/docker/silo-a, ...) is
   * mounted into that party's services only; each agent's policy is on such a mount of its silo,
   * and each silo's data volume reaches its JobManager, TaskManager and agent.
   */
  static List<String> privateMountViolations(ComposeFile c) {
    List<String> problems = new ArrayList<>();
    c.services().forEach((name, service) -> {
      for (Mount m : ComposeFile.mountsOf(service)) {
        String owner = ownerOf(m.source());
        if (owner != null && !owner.equals(partyOf(name))) {
          problems.add(name + " mounts " + owner + "'s " + m.source());
        }
      }
    });
    for (String silo : SILOS) {
      JsonNode agent = c.services().get(silo + "-agent");
      String policy = agent == null ? null : ComposeFile.flag(agent, "policy");
      Mount holder = policy == null ? null : ComposeFile.mountsOf(agent).stream()
          .filter(m -> policy.startsWith(m.target() + "/")).findFirst().orElse(null);
      if (holder == null || !silo.equals(ownerOf(holder.source()))) {
        problems.add(silo + "-agent's policy " + policy + " is not on a mount of " + silo + "'s own: " + holder);
      }
      for (String role : List.of("jobmanager", "taskmanager", "agent")) {
        JsonNode service = c.services().get(silo + "-" + role);
        if (service != null && ComposeFile.mountsOf(service).stream().noneMatch(m -> m.source().equals(silo + "-data"))) {
          problems.add(silo + "-" + role + " does not mount " + silo + "-data");
        }
      }
    }
    return problems;
  }

  /** The party a service belongs to: the party its name starts with, "exchange" for Azurite. */
  static String partyOf(String service) {
    return service.equals("azurite") ? "exchange" : ownerOf(service);
  }

  /** The party a network, volume or host path is named after (a name's prefix, a path's folder), or null. */
  static String ownerOf(String name) {
    for (String party : PARTIES) {
      if (name.equals(party) || name.startsWith(party + "-")
          || (name.contains("/") && List.of(name.split("/")).contains(party))) {
        return party;
      }
    }
    return null;
  }
}
