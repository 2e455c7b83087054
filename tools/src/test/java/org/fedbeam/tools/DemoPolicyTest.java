package org.fedbeam.tools;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.equalTo;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import org.fedbeam.pipelines.federated.SiloPolicy;
import org.fedbeam.pipelines.protocol.Keys;
import org.fedbeam.pipelines.rounds.RoundRecords;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The demo's silo policy: it declares the silo's samples and opts out of DP, and the agent's parser reads it. */
class DemoPolicyTest {
  @TempDir
  Path dir;

  @Test
  void theDemosPolicyDeclaresItsSamplesOptsOutOfDpAndParses() throws Exception {
    Keys.Identity submitter = Keys.create(dir.resolve("orchestrator/key"));
    ObjectNode policy = Demo.policy("silo-00", dir.resolve("train.fbds").toString(), dir.resolve("exchange").toString(),
        dir.resolve("state").toString(), dir.resolve("key"), submitter, 25, 5123);

    assertThat(policy.get("declared_samples").asLong(), equalTo(5123L));
    assertThat(policy.get("differential_privacy").get("required").asBoolean(true), equalTo(false));
    Path file = dir.resolve("policy.json");
    Files.write(file, RoundRecords.JSON.writeValueAsBytes(policy));
    SiloPolicy parsed = SiloPolicy.read(file);
    assertThat(parsed.silo(), equalTo("silo-00"));
    assertThat(parsed.trustedSubmitters().containsKey(submitter.keyId()), equalTo(true));
  }
}
