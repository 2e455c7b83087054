package org.fedbeam.pipelines;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.empty;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.hasItems;
import static org.hamcrest.Matchers.is;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.function.Consumer;
import java.util.function.Function;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The structure of the repository's docker-compose.yml (no Docker engine runs it here): the
 * services exist, each silo's services are on that silo's internal network and on no other
 * silo's, each party's volumes and files are mounted into that party's services only, every
 * mounted file and the Dockerfile exist, published ports are on 127.0.0.1 and distinct, and each
 * Flink process gets the configuration of its role; each party's cluster keys are in a volume of its
 * own, every Flink process starts (through the real entrypoint) with mutual TLS, every healthcheck
 * presents the client certificate. The checks are in {@link ComposeChecks} and {@link ComposeTlsChecks};
 * the {@code broken...} tests break a copy of the file, one way for each check, to show that each can fail.
 */
class DockerComposeTest {
  private static Path root;
  private static ComposeFile compose;
  private static FlinkEntrypoint entrypoint;

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

  /** The real entrypoint on this host, its keys made by its own setup-tls step (see {@link FlinkEntrypoint}). */
  private static synchronized FlinkEntrypoint entrypoint() throws Exception {
    if (entrypoint == null) {
      Path work = Files.createTempDirectory("compose-entrypoint");
      entrypoint = FlinkEntrypoint.prepare(root, root.resolve("flink-conf/docker/entrypoint.sh"), work);
    }
    return entrypoint;
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

  @Test
  void eachPartysTlsKeysAreMountedIntoItsOwnClusterAndClientOnly() {
    assertThat(ComposeTlsChecks.tlsVolumeViolations(compose), empty());
  }

  @Test
  void everyHealthcheckSpeaksHttpsWithTheClusterClientCertificate() {
    assertThat(ComposeTlsChecks.healthcheckProblems(compose), empty());
  }

  @Test
  void everyFlinkProcessStartsWithRestAndInternalMutualTls() throws Exception {
    assertThat(ComposeTlsChecks.flinkTlsProblems(compose, root, entrypoint()), empty());
  }

  @Test
  void aMountedConfigurationThatTurnsTlsOffIsOverriddenByTheEntrypoint() throws Exception {
    Path off = Files.createTempDirectory("tls-off").resolve("flink-conf.yaml");
    Files.writeString(off, Files.readString(root.resolve("flink-conf/silo/flink-conf.yaml"))
        + "security.ssl.rest.enabled: false\nsecurity.ssl.rest.authentication-enabled: false\n"
        + "security.ssl.internal.enabled: false\n");
    ComposeFile c = compose.copy();
    volumes(c, "silo-a-jobmanager").set(0, c.root.textNode(off + ":" + ComposeChecks.FLINK_CONF_TARGET + ":ro"));
    assertThat(ComposeTlsChecks.flinkTlsProblems(c, root, entrypoint()), empty());
  }

  @Test
  void theConfigurationWithTheKeysPasswordIsOwnerOnly() throws Exception {
    Path dir = entrypoint().start(List.of("taskmanager"), Map.of("FLINK_JOBMANAGER", "silo-a-jobmanager"),
        root.resolve("flink-conf/silo/flink-conf.yaml")).configDir();
    assertThat(mode(dir), is("rwx------"));
    assertThat(mode(dir.resolve("flink-conf.yaml")), is("rw-------"));
  }

  @Test
  void theEntrypointStartsNoFlinkProcessWithoutKeys() throws Exception {
    Path none = Files.createTempDirectory("no-tls");
    Exception e = assertThrows(java.io.IOException.class, () -> entrypoint().start(List.of("jobmanager"),
        Map.of("FEDBEAM_TLS_DIR", none.toString()), root.resolve("flink-conf/silo/flink-conf.yaml")));
    assertThat(e.getMessage(), containsString("no Flink TLS keys in " + none));
  }

  @Test
  void setupTlsPutsTheServiceHostNamesAndLoopbackInTheCertificate() throws Exception {
    Path tls = entrypoint().tlsDir();
    Properties p = new Properties();
    try (var in = Files.newInputStream(tls.resolve("tls.properties"))) {
      p.load(in);
    }
    KeyStore ks = KeyStore.getInstance("PKCS12");
    try (var in = Files.newInputStream(tls.resolve("cluster.p12"))) {
      ks.load(in, p.getProperty("password").toCharArray());
    }
    List<String> names = ((X509Certificate) ks.getCertificate("fedbeam")).getSubjectAlternativeNames().stream()
        .map(n -> String.valueOf(n.get(1))).toList();
    assertThat(names, hasItems("127.0.0.1", "localhost", "test-jobmanager", "test-taskmanager"));
    for (String f : List.of("cluster.p12", "internal-trust.p12", "rest-trust.p12", "operator.p12", "operator.password",
        "cluster.pem", "tls.properties")) {
      assertThat(f, mode(tls.resolve(f)), is("rw-------"));
    }
  }

  @Test
  void setupTlsRefusesAHostNameThatWouldAddToTheSan() throws Exception {
    Path dir = Files.createTempDirectory("bad-host").resolve("tls");
    for (String hosts : List.of("silo-a-jobmanager,ip:10.0.0.1", "silo-a-jobmanager,a b", "-silo")) {
      Exception e = assertThrows(IllegalArgumentException.class, () -> org.fedbeam.pipelines.cli.ClusterCommand.run(
          List.of("tls", "--dir", dir.toString(), "--name", "silo-a", "--hosts=" + hosts), System.out));
      assertThat(e.getMessage(), containsString("a TLS host name is letters, digits, '.' and '-'; was"));
    }
    assertThat(Files.exists(dir), is(false));
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

  @Test
  void brokenOtherSilosTlsVolumeInAnAgent() {
    assertThat(problems(c -> volumes(c, "silo-b-agent").add("silo-a-tls:/other-tls:ro"), ComposeTlsChecks::tlsVolumeViolations),
        hasItem("silo-b-agent mounts silo-a's TLS volume silo-a-tls"));
  }

  @Test
  void brokenSilosTlsVolumeInTheOrchestratorsTaskManager() {
    assertThat(problems(c -> volumes(c, "orchestrator-taskmanager").add("silo-b-tls:/silo-b-tls:ro"),
        ComposeTlsChecks::tlsVolumeViolations), hasItem("orchestrator-taskmanager mounts silo-b's TLS volume silo-b-tls"));
  }

  @Test
  void brokenTlsVolumeSharedByTwoSilos() {
    List<String> problems = problems(c -> {
      replaceMount(c, "silo-a-jobmanager", "silo-a-tls:/fedbeam/tls:ro", "shared-tls:/fedbeam/tls:ro");
      replaceMount(c, "silo-b-jobmanager", "silo-b-tls:/fedbeam/tls:ro", "shared-tls:/fedbeam/tls:ro");
    }, ComposeTlsChecks::tlsVolumeViolations);
    assertThat(problems, hasItems("silo-a-jobmanager has shared-tls at /fedbeam/tls, not silo-a's own silo-a-tls",
        "silo-b-jobmanager does not mount silo-b-tls read-only at /fedbeam/tls"));
  }

  @Test
  void brokenTlsVolumeInAWebUiForwarder() {
    assertThat(problems(c -> c.service("silo-a-webui").putArray("volumes").add("silo-a-tls:/fedbeam/tls:ro"),
        ComposeTlsChecks::tlsVolumeViolations), hasItem(containsString("silo-a-webui mounts silo-a-tls, which only")));
  }

  @Test
  void brokenWritableTlsVolumeInAnAgent() {
    assertThat(problems(c -> replaceMount(c, "silo-a-agent", "silo-a-tls:/fedbeam/tls:ro", "silo-a-tls:/fedbeam/tls"),
        ComposeTlsChecks::tlsVolumeViolations), hasItem("silo-a-agent does not mount silo-a-tls read-only at /fedbeam/tls"));
  }

  @Test
  void brokenAgentWithoutFlinkTlsDir() {
    assertThat(problems(c -> replaceCommandWord(c, "silo-b-agent", "--flinkTlsDir=/fedbeam/tls", "--warmUpRuns=5"),
        ComposeTlsChecks::tlsVolumeViolations), hasItem("silo-b-agent gives --flinkTlsDir=null, not /fedbeam/tls"));
  }

  @Test
  void brokenPlainHttpHealthcheck() {
    List<String> problems = problems(c -> ((ObjectNode) c.service("orchestrator-jobmanager").get("healthcheck"))
        .putArray("test").add("CMD").add("curl").add("-fsS").add("http://orchestrator-jobmanager:8081/overview"),
        ComposeTlsChecks::healthcheckProblems);
    assertThat(problems, hasItems("orchestrator-jobmanager's healthcheck uses plain http://",
        "orchestrator-jobmanager's healthcheck does not ask https://orchestrator-jobmanager:8081/"));
  }

  @Test
  void brokenHealthcheckWithoutClientCertificate() {
    assertThat(problems(c -> healthcheckShell(c, "silo-a-taskmanager", "curl -fsS --cacert /fedbeam/tls/cluster.pem"
        + " https://silo-a-jobmanager:8081/overview | grep -q slots"), ComposeTlsChecks::healthcheckProblems),
        hasItem(containsString("silo-a-taskmanager's healthcheck presents no client certificate")));
  }

  @Test
  void brokenHealthcheckThatTrustsAnyServer() {
    assertThat(problems(c -> healthcheckShell(c, "silo-b-jobmanager", "curl -fsSk --cert-type P12 --cert"
        + " /fedbeam/tls/cluster.p12:x https://silo-b-jobmanager:8081/overview"), ComposeTlsChecks::healthcheckProblems),
        hasItems("silo-b-jobmanager's healthcheck does not check the server's certificate (-k)",
            "silo-b-jobmanager's healthcheck does not trust only the cluster's certificate (--cacert /fedbeam/tls/cluster.pem)"));
  }

  @Test
  void brokenJobManagerWithoutHealthcheck() {
    assertThat(problems(c -> c.service("silo-b-jobmanager").remove("healthcheck"), ComposeTlsChecks::healthcheckProblems),
        hasItem("silo-b-jobmanager has no healthcheck"));
  }

  @Test
  void brokenJobManagerThatTurnsClientAuthenticationOff() throws Exception {
    FlinkEntrypoint e = entrypoint();
    assertThat(problems(c -> c.service("silo-a-jobmanager").putArray("command").add("jobmanager").add("-D")
        .add("security.ssl.rest.authentication-enabled=false"), c -> ComposeTlsChecks.flinkTlsProblems(c, root, e)),
        hasItem("silo-a-jobmanager: REST TLS without client authentication"));
  }

  @Test
  void brokenEntrypointThatStartsTheJobManagerWithoutTls() throws Exception {
    String script = Files.readString(root.resolve("flink-conf/docker/entrypoint.sh"));
    String without = script.replace("    with_tls_conf\n    heap_flags=(-Xms448m", "    heap_flags=(-Xms448m");
    assertThat("the entrypoint's jobmanager case changed; update this test", without, org.hamcrest.Matchers.not(is(script)));
    Path copy = Files.createTempDirectory("broken-entrypoint").resolve("entrypoint.sh");
    Files.writeString(copy, without);
    FlinkEntrypoint broken = entrypoint().withScript(copy);
    List<String> problems = problems(c -> c.services().keySet().stream().filter(s -> !s.equals("silo-a-jobmanager"))
        .toList().forEach(((ObjectNode) c.root.get("services"))::remove), c -> ComposeTlsChecks.flinkTlsProblems(c, root, broken));
    assertThat(problems, hasItems("silo-a-jobmanager: REST (and the web UI) without TLS",
        "silo-a-jobmanager: RPC, blob and data without TLS"));
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

  private static void replaceMount(ComposeFile c, String service, String mount, String by) {
    replaceWord(volumes(c, service), mount, by);
  }

  private static void replaceCommandWord(ComposeFile c, String service, String word, String by) {
    replaceWord((ArrayNode) c.service(service).get("command"), word, by);
  }

  private static void replaceWord(ArrayNode list, String word, String by) {
    for (int i = 0; i < list.size(); i++) {
      if (list.get(i).asText().equals(word)) {
        list.set(i, list.textNode(by));
        return;
      }
    }
    throw new IllegalStateException(word + " is not in " + list + "; update this test");
  }

  private static String mode(Path p) throws IOException {
    return java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(p));
  }

  private static void healthcheckShell(ComposeFile c, String service, String shell) {
    ((ObjectNode) c.service(service).get("healthcheck")).putArray("test").add("CMD-SHELL").add(shell);
  }
}
