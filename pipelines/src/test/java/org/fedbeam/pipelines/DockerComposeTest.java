package org.fedbeam.pipelines;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.empty;
import static org.hamcrest.Matchers.hasItem;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.Function;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The structure of the repository's docker-compose.yml (no Docker engine runs it here): the
 * services exist, each silo's services are on that silo's internal network and on no other
 * silo's, each party's volumes and files are mounted into that party's services only, every
 * mounted file and the Dockerfile exist, published ports are on 127.0.0.1 and distinct, and each
 * Flink process gets the configuration of its role. The checks are in {@link ComposeChecks}; the
 * {@code broken...} tests break a copy of the file, one way for each check, to show that each can fail.
 */
class DockerComposeTest {
  private static Path root;
  private static ComposeFile compose;

  @BeforeAll
  static void readComposeFile() throws IOException {
    Path dir = Path.of("").toAbsolutePath();
    while (dir != null && !Files.isRegularFile(dir.resolve("docker-compose.yml"))) {
      dir = dir.getParent();
    }
    if (dir == null) {
      throw new IllegalStateException("no docker-compose.yml in " + Path.of("").toAbsolutePath() + " or above");
    }
    root = dir;
    compose = ComposeFile.read(root.resolve("docker-compose.yml"));
  }

  // ---- the repository's file passes every check ------------------------------------------------

  @Test
  void everyExpectedServiceExists() {
    assertThat(ComposeChecks.missingServices(compose), empty());
  }

  @Test
  void everyNetworkAndVolumeAServiceNamesIsDeclared() {
    assertThat(ComposeChecks.undeclaredNetworksAndVolumes(compose), empty());
  }

  @Test
  void eachSilosServicesAreOnItsNetworkAndNoOtherSilos() {
    assertThat(ComposeChecks.siloNetworkViolations(compose), empty());
  }

  @Test
  void siloNetworksAreInternal() {
    assertThat(ComposeChecks.openSiloNetworks(compose), empty());
  }

  @Test
  void servicesThatCanReachOutsideHoldNoData() {
    assertThat(ComposeChecks.mountsOnOpenNetworks(compose), empty());
  }

  @Test
  void mountedFilesAndTheDockerfileExistInTheRepository() {
    assertThat(ComposeChecks.missingFiles(compose, root), empty());
  }

  @Test
  void theBuiltImageIsNeverPulled() {
    assertThat(ComposeChecks.pullableBuiltImages(compose), empty());
  }

  @Test
  void publishedPortsAreOnLoopbackAndDistinct() {
    assertThat(ComposeChecks.portProblems(compose), empty());
  }

  @Test
  void flinkProcessesGetTheConfigurationOfTheirRole() {
    assertThat(ComposeChecks.flinkConfigurationProblems(compose, root), empty());
  }

  @Test
  void eachPartyUsesItsOwnFlinkCluster() {
    assertThat(ComposeChecks.foreignClusters(compose), empty());
  }

  @Test
  void policiesAndDataAreMountedIntoTheirOwnSiloOnly() {
    assertThat(ComposeChecks.privateMountViolations(compose), empty());
  }

  // ---- each check fails on a file broken for it -----------------------------------------------

  @Test
  void brokenMissingAgent() {
    assertThat(problems(c -> ((ObjectNode) c.root.get("services")).remove("silo-b-agent"), ComposeChecks::missingServices),
        hasItem("no service silo-b-agent"));
  }

  @Test
  void brokenUndeclaredNetwork() {
    assertThat(problems(c -> networks(c, "silo-a-agent").add("lab"), ComposeChecks::undeclaredNetworksAndVolumes),
        hasItem("silo-a-agent joins network lab, which is not declared"));
  }

  @Test
  void brokenSiloAgentOnTheOtherSilosNetwork() {
    assertThat(problems(c -> networks(c, "silo-a-agent").add("silo-b"), ComposeChecks::siloNetworkViolations),
        hasItem("silo-a-agent is on silo-b's network silo-b"));
  }

  @Test
  void brokenSiloTaskManagerOffItsNetwork() {
    assertThat(problems(c -> c.service("silo-b-taskmanager").putArray("networks").add("exchange"),
        ComposeChecks::siloNetworkViolations), hasItem("silo-b-taskmanager is not on network silo-b"));
  }

  @Test
  void brokenSiloNetworkNotInternal() {
    assertThat(problems(c -> ((ObjectNode) c.root.get("networks").get("silo-a")).put("internal", false),
        ComposeChecks::openSiloNetworks), hasItem("network silo-a is not declared internal: true"));
  }

  @Test
  void brokenForwarderWithData() {
    assertThat(problems(c -> c.service("silo-a-webui").putArray("volumes").add("silo-a-data:/fedbeam/data:ro"),
        ComposeChecks::mountsOnOpenNetworks), hasItem(containsString("silo-a-webui is on the non-internal network")));
  }

  @Test
  void brokenMountOfAMissingFile() {
    assertThat(problems(c -> volumes(c, "silo-a-jobmanager").add("./flink-conf/docker/missing.yaml:/x:ro"),
        c -> ComposeChecks.missingFiles(c, root)), hasItem(containsString("mounts ./flink-conf/docker/missing.yaml")));
  }

  @Test
  void brokenMountFromOutsideTheRepository() {
    assertThat(problems(c -> volumes(c, "orchestrator").add("/etc:/host-etc:ro"), c -> ComposeChecks.missingFiles(c, root)),
        hasItem("orchestrator mounts /etc, which is not in the repository"));
  }

  @Test
  void brokenDockerfilePath() {
    assertThat(problems(c -> ((ObjectNode) c.service("exchange-init").get("build")).put("dockerfile", "Dockerfile.missing"),
        c -> ComposeChecks.missingFiles(c, root)), hasItem(containsString("exchange-init builds from")));
  }

  @Test
  void brokenPullOfTheBuiltImage() {
    assertThat(problems(c -> c.service("silo-a-agent").remove("pull_policy"), ComposeChecks::pullableBuiltImages),
        hasItem("silo-a-agent runs the built image fedbeam:0.1.0-SNAPSHOT without pull_policy: never"));
  }

  @Test
  void brokenPortOnEveryAddress() {
    assertThat(problems(c -> c.service("silo-b-webui").putArray("ports").add("8083:8081"), ComposeChecks::portProblems),
        hasItem(containsString("silo-b-webui publishes")));
  }

  @Test
  void brokenPortCollision() {
    assertThat(problems(c -> c.service("silo-b-webui").putArray("ports").add("127.0.0.1:8082:8081"),
        ComposeChecks::portProblems), hasItem(containsString("both publish 127.0.0.1:8082")));
  }

  @Test
  void brokenSiloJobManagerWithTheOrchestratorsConfiguration() {
    assertThat(problems(c -> volumes(c, "silo-a-jobmanager").set(0,
        c.root.textNode("./flink-conf/orchestrator/flink-conf.yaml:/opt/fedbeam/conf/flink-conf.yaml:ro")),
        c -> ComposeChecks.flinkConfigurationProblems(c, root)), hasItem(containsString("silo-a-jobmanager must mount flink-conf/silo/")));
  }

  @Test
  void brokenTaskManagerOfAnotherCluster() {
    assertThat(problems(c -> ((ObjectNode) c.service("silo-b-taskmanager").get("environment")).put("FLINK_JOBMANAGER", "silo-a-jobmanager"),
        ComposeChecks::foreignClusters), hasItem("silo-b-taskmanager uses the JobManager silo-a-jobmanager, not silo-b-jobmanager"));
  }

  @Test
  void brokenOtherSilosDataInATaskManager() {
    assertThat(problems(c -> volumes(c, "silo-b-taskmanager").add("silo-a-data:/other:ro"),
        ComposeChecks::privateMountViolations), hasItem("silo-b-taskmanager mounts silo-a's silo-a-data"));
  }

  @Test
  void brokenSilosPolicyInTheOrchestrator() {
    assertThat(problems(c -> volumes(c, "orchestrator").add("silo-a-config:/silo-a:ro"),
        ComposeChecks::privateMountViolations), hasItem("orchestrator mounts silo-a's silo-a-config"));
  }

  @Test
  void brokenPolicyOnASharedVolume() {
    assertThat(problems(c -> volumes(c, "silo-a-agent").set(0, c.root.textNode("shared-config:/fedbeam/config:ro")),
        ComposeChecks::privateMountViolations), hasItem(containsString("silo-a-agent's policy /fedbeam/config/policy.json")));
  }

  // ---- helpers ---------------------------------------------------------------------------------

  private static List<String> problems(Consumer<ComposeFile> breakIt,
      Function<ComposeFile, List<String>> check) {
    ComposeFile broken = compose.copy();
    breakIt.accept(broken);
    return check.apply(broken);
  }

  private static ArrayNode networks(ComposeFile c, String service) {
    return (ArrayNode) c.service(service).get("networks");
  }

  private static ArrayNode volumes(ComposeFile c, String service) {
    return (ArrayNode) c.service(service).get("volumes");
  }
}
