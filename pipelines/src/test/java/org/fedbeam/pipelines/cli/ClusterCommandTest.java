package org.fedbeam.pipelines.cli;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.startsWith;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.fedbeam.pipelines.runners.StandaloneCluster;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code fedbeam cluster up|down|status} against a real standalone Flink 1.16 cluster: two JVMs
 * started from the Maven-resolved class path, its web UI and REST API, stopped by process id.
 */
@Tag("slow")
class ClusterCommandTest {
  @TempDir
  Path dir;
  private final List<Long> pids = new ArrayList<>();

  @AfterEach
  void killWhatIsLeft() {
    // whatever a failed test left running
    pids.forEach(pid -> ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly));
  }

  @Test
  void upStatusDownStartsListsAndStopsARealCluster() throws Exception {
    Result up = cli("cluster", "up", "--name", "silo-x", "--clusters-dir", dir.toString());
    JsonNode status = json(cli("cluster", "status", "--json", "--clusters-dir", dir.toString()));
    JsonNode cluster = status.path("clusters").get(0);
    pids.add(cluster.path("jobmanager_pid").asLong());
    pids.add(cluster.path("taskmanager_pid").asLong());

    assertThat(up.code, equalTo(0));
    assertThat(up.out, containsString("cluster silo-x (silo) is up: web UI https://127.0.0.1:"));
    assertThat(List.of(cluster.path("name").asText(), cluster.path("role").asText(), cluster.path("state").asText(),
        cluster.path("taskmanagers").asInt(), cluster.path("slots_total").asInt()),
        equalTo(List.of("silo-x", "silo", "running", 1, 1)));
    assertThat(cluster.path("rest_url").asText(), startsWith("https://127.0.0.1:"));
    // the web UI answers on the REST port, to a holder of the cluster's client certificate
    assertThat(StandaloneCluster.read(dir.resolve("silo-x")).orElseThrow().rest().get("/config").isPresent(),
        equalTo(true));
    // the job jar is on both processes' class path, and nothing is bound beyond loopback
    for (JsonNode pid : List.of(cluster.path("jobmanager_pid"), cluster.path("taskmanager_pid"))) {
      List<String> args = StandaloneCluster.arguments(ProcessHandle.of(pid.asLong()).orElseThrow());
      assertThat(String.join(" ", args), containsString(dir.resolve("silo-x/lib/fedbeam-job.jar").toString()));
    }
    assertThat(Files.readString(dir.resolve("silo-x/conf/flink-conf.yaml")), containsString("rest.bind-address: 127.0.0.1"));

    Result again = cli("cluster", "up", "--name", "silo-x", "--clusters-dir", dir.toString());
    assertThat(again.code, equalTo(2));
    assertThat(again.err, containsString("cluster 'silo-x' is already running"));

    Result down = cli("cluster", "down", "--name", "silo-x", "--clusters-dir", dir.toString());
    assertThat(down.code, equalTo(0));
    for (long pid : pids) {
      assertThat("pid " + pid + " after cluster down", ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false),
          equalTo(false));
    }
    assertThat(cli("cluster", "status", "--clusters-dir", dir.toString()).out, containsString("no clusters in"));
    assertThat(Files.exists(dir.resolve("silo-x/log/jobmanager.log")), equalTo(true));
  }

  @Test
  void aClusterWhoseProcessesDiedIsShownStoppedAndCanBeStartedAgain() throws Exception {
    cli("cluster", "up", "--name", "orchestrator", "--clusters-dir", dir.toString());
    StandaloneCluster.Info info = StandaloneCluster.read(dir.resolve("orchestrator")).orElseThrow();
    pids.addAll(List.of(info.jobManagerPid(), info.taskManagerPid()));
    for (long pid : List.of(info.taskManagerPid(), info.jobManagerPid())) {
      ProcessHandle h = ProcessHandle.of(pid).orElseThrow();
      h.destroyForcibly();
      h.onExit().get();
    }

    JsonNode status = json(cli("cluster", "status", "--json", "--clusters-dir", dir.toString()));
    Result up = cli("cluster", "up", "--name", "orchestrator", "--clusters-dir", dir.toString());
    StandaloneCluster.Info restarted = StandaloneCluster.read(dir.resolve("orchestrator")).orElseThrow();
    pids.addAll(List.of(restarted.jobManagerPid(), restarted.taskManagerPid()));

    assertThat(status.path("clusters").get(0).path("state").asText(), equalTo("stopped"));
    assertThat(up.code, equalTo(0));
    assertThat(restarted.role(), equalTo("orchestrator"));
    assertThat(restarted.slots(), equalTo(2));
    assertThat(cli("cluster", "down", "--name", "orchestrator", "--clusters-dir", dir.toString()).code, equalTo(0));
  }

  @Test
  void badNamesRolesAndVerbsAreRefusedSayingWhat() {
    assertThat(cli("cluster", "up", "--name", "Bad Name", "--clusters-dir", dir.toString()).err,
        containsString("--name must be 1-40 lower-case letters, digits or '-'"));
    assertThat(cli("cluster", "up", "--name", "a", "--role", "worker", "--clusters-dir", dir.toString()).err,
        containsString("--role must be one of [orchestrator, silo]; was 'worker'"));
    assertThat(cli("cluster", "restart", "--name", "a").err, containsString("unknown cluster command 'restart'"));
    assertThat(cli("cluster", "up", "--clusters-dir", dir.toString()).err, containsString("--name is required"));
    Result down = cli("cluster", "down", "--name", "nothing-here", "--clusters-dir", dir.toString());
    assertThat(List.of(down.code, down.out.contains("no cluster named nothing-here")), equalTo(List.of(1, true)));
    // nothing was created for any of them
    assertThat(List.of(dir.toFile().list()), equalTo(List.of()));
  }

  private record Result(int code, String out, String err) {}

  private static Result cli(String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int code = FedBeam.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8));
    return new Result(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }

  private static JsonNode json(Result r) throws Exception {
    return new ObjectMapper().readTree(r.out);
  }
}
