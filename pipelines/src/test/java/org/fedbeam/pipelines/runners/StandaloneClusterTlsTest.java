package org.fedbeam.pipelines.runners;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 10, part 1, on a real standalone silo cluster of {@code fedbeam cluster up}: a local process
 * without the cluster's keys gets nothing from its JobManager's or TaskManager's endpoints (REST, RPC,
 * blob, data), even for {@code POST /jobs}, which {@code web.submit.enable: false} alone lets through.
 */
@Tag("slow")
class StandaloneClusterTlsTest {
  @TempDir
  static Path dir;
  private static StandaloneCluster.Info cluster;
  private static ClusterTls stranger;

  @BeforeAll
  static void up() throws Exception {
    cluster = StandaloneCluster.up(dir.resolve("clusters"), "silo-sealed", "silo", System.out);
    stranger = ClusterTls.create(dir.resolve("stranger-tls"), "stranger", false);
  }

  @AfterAll
  static void down() throws Exception {
    if (cluster != null) {
      StandaloneCluster.down(dir.resolve("clusters"), cluster.name(), System.out);
    }
  }

  private static int restPort() {
    return URI.create(cluster.restUrl()).getPort();
  }

  @Test
  void everyRestAttackWithoutTheCertificateIsRefusedAndNothingRan() throws Exception {
    Intruder.Answer control = Intruder.tls(restPort(), Intruder.get("/config"), cluster.tls());
    assertThat(control.toString(), control.isHttp200(), equalTo(true));

    EndpointChecks.restRefusesEveryAttack(restPort(), stranger);

    assertThat(cluster.rest().get("/jobs/overview").orElseThrow().path("jobs").size(), equalTo(0));
    assertThat(cluster.rest().get("/jars").isPresent(), equalTo(false)); // web.submit.enable: false
    assertThat(Files.exists(cluster.dir().resolve("tmp").resolve(Intruder.Payload.MARKER)), equalTo(false));
  }

  @Test
  void everyPortOfBothProcessesIsOnLoopbackAndAnswersOnlyTheCertificate() throws Exception {
    List<String> ports = EndpointChecks.everyPortIsLoopbackAndSealed(
        List.of(cluster.jobManagerPid(), cluster.taskManagerPid()), restPort(), stranger);

    // REST, JobManager RPC, blob server, TaskManager RPC and data at least
    assertThat(ports.toString(), ports.size() >= 5, equalTo(true));
    System.out.println("standalone cluster listens on " + ports);
  }

  @Test
  void theOperatorCertificateOpensTheWebUiAndTheRestApi() throws Exception {
    var operator = EndpointChecks.operatorClient(cluster.tls());

    assertThat(EndpointChecks.get(operator, cluster.restUrl() + "/config").statusCode(), equalTo(200));
    var ui = EndpointChecks.get(operator, cluster.restUrl() + "/");
    assertThat(ui.statusCode(), equalTo(200));
    assertThat(ui.body(), containsString("<html"));
  }

  @Test
  void theKeysAndTheConfigurationThatNamesTheirPasswordAreOwnerOnly() throws Exception {
    EndpointChecks.keysAreOwnerOnly(cluster.dir().resolve(ClusterTls.DIR));
    String conf = Files.readString(cluster.dir().resolve("conf/flink-conf.yaml"));

    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(cluster.dir())), equalTo("rwx------"));
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(cluster.dir().resolve("conf/flink-conf.yaml"))),
        equalTo("rw-------"));
    assertThat(conf, containsString("security.ssl.rest.authentication-enabled: true"));
    assertThat(conf, containsString("security.ssl.internal.enabled: true"));
  }

  @Test
  void aClientIsFoundTheClustersKeysByItsRestPort() {
    assertThat(StandaloneCluster.tlsDirOf(dir.resolve("clusters"), cluster.flinkMaster()).orElseThrow(),
        equalTo(cluster.dir().resolve(ClusterTls.DIR)));
  }
}
