package org.fedbeam.pipelines.runners;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.not;

import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 10, part 1, on the embedded cluster that every agent, orchestrator and {@code fedbeam train}
 * runs: a local process without the cluster's keys gets nothing from any of its endpoints.
 */
class EmbeddedFlinkTlsTest {
  @TempDir
  static Path dir;
  private static EmbeddedFlink flink;
  private static ClusterTls stranger;

  @BeforeAll
  static void start() throws Exception {
    Files.deleteIfExists(Path.of(System.getProperty("java.io.tmpdir"), Intruder.Payload.MARKER));
    flink = EmbeddedFlink.start(1, "0", dir.resolve("flink-tmp"), dir.resolve("flink-tls"), true);
    // another cluster's keys, as a local user who ran a cluster of their own holds them
    stranger = ClusterTls.create(dir.resolve("stranger-tls"), "stranger", false);
  }

  @AfterAll
  static void stop() throws Exception {
    flink.close();
  }

  @Test
  void everyRestAttackWithoutTheCertificateIsRefusedAndNothingRan() throws Exception {
    // the same raw client, holding the cluster's certificate, is answered: the refusals below are the certificate's
    Intruder.Answer control = Intruder.tls(flink.webUi().getPort(), Intruder.get("/config"), flink.tls());
    assertThat(control.toString(), control.isHttp200(), equalTo(true));

    EndpointChecks.restRefusesEveryAttack(flink.webUi().getPort(), stranger);

    assertThat(Files.exists(Path.of(System.getProperty("java.io.tmpdir"), Intruder.Payload.MARKER)), equalTo(false));
    assertThat(flink.rest().get("/jobs/overview").orElseThrow().path("jobs").size(), equalTo(0));
  }

  @Test
  void everyListeningPortIsOnLoopbackAndAnswersOnlyTheCertificate() throws Exception {
    List<String> ports = EndpointChecks.everyPortIsLoopbackAndSealed(List.of(ProcessHandle.current().pid()),
        flink.webUi().getPort(), stranger);
    System.out.println("embedded cluster listens on " + ports);
  }

  @Test
  void withTheCertificateTheRestApiAndTheWebUiAnswerButTakeNoJobs() throws Exception {
    assertThat(flink.webUi().getScheme(), equalTo("https"));
    HttpResponse<byte[]> config = flink.rest().send("/config");
    HttpResponse<byte[]> ui = flink.rest().send("/");
    Intruder.Answer submit = Intruder.tls(flink.webUi().getPort(), (byte[]) Intruder.attacks().get(2)[1], flink.tls());
    var operator = EndpointChecks.operatorClient(flink.tls());

    assertThat(config.statusCode(), equalTo(200));
    assertThat(ui.statusCode(), equalTo(200));
    assertThat(new String(ui.body(), java.nio.charset.StandardCharsets.UTF_8), containsString("<html"));
    assertThat(EndpointChecks.get(operator, flink.webUi() + "/config").statusCode(), equalTo(200));
    assertThat(EndpointChecks.get(operator, flink.webUi() + "/").statusCode(), equalTo(200));
    // jobs come from the cluster's own process only: not even a certificate holder submits one over REST
    assertThat(submit.toString(), submit.isHttp200(), equalTo(false));
    assertThat(submit.toString(), submit.text(), not(containsString("jobUrl")));
  }

  @Test
  void theKeysAreOwnerOnly() throws Exception {
    EndpointChecks.keysAreOwnerOnly(flink.tls().dir());
    assertThat(Files.exists(flink.tls().operatorKeystore()), equalTo(true));
  }
}
