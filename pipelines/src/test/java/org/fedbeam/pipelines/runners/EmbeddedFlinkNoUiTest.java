package org.fedbeam.pipelines.runners;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.equalTo;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** An agent's embedded cluster (no {@code --webUi}): its REST API, behind mutual TLS, serves no web UI. */
class EmbeddedFlinkNoUiTest {
  @TempDir
  Path dir;

  @Test
  void withoutWebUiTheRestApiServesNoUiAndNoOperatorCertificateIsMade() throws Exception {
    try (EmbeddedFlink flink = EmbeddedFlink.start(1, "0", dir.resolve("tmp"), dir.resolve("tls"), false)) {
      assertThat(flink.rest().send("/config").statusCode(), equalTo(200));
      assertThat(flink.rest().send("/").statusCode(), equalTo(404));
      assertThat(flink.rest().send("/index.html").statusCode(), equalTo(404));
      assertThat(Files.exists(flink.tls().operatorKeystore()), equalTo(false));
      EndpointChecks.keysAreOwnerOnly(flink.tls().dir());
    }
  }
}
