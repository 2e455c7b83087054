package org.fedbeam.pipelines.federated;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.startsWith;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.PublicKey;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.fedbeam.pipelines.protocol.JobSpec;
import org.fedbeam.pipelines.protocol.Keys;
import org.fedbeam.pipelines.protocol.Messages;
import org.fedbeam.pipelines.protocol.Rejected;
import org.fedbeam.pipelines.protocol.Signed;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Ed25519 key pairs on disk and the signed envelope. */
class SignedTest {
  @TempDir
  Path dir;

  @Test
  void aSealedMessageOpensWithTheSignersKeyAndNoOther() throws Exception {
    Keys.Identity alice = Keys.create(dir.resolve("alice"));
    Keys.Identity mallory = Keys.create(dir.resolve("mallory"));
    ObjectNode body = Signed.JSON.createObjectNode().put("job_id", "j").put("round", 3);
    byte[] sealed = Signed.seal(Messages.REQUEST, body, alice);

    Signed.Opened opened = Signed.open(sealed, Set.of(Messages.REQUEST), trust(alice));
    assertThat(opened.body(), equalTo(body));
    assertThat(opened.signer(), equalTo(alice.keyId()));

    assertThat(assertThrows(Rejected.class, () -> Signed.open(sealed, Set.of(Messages.REQUEST), trust(mallory))).reason(),
        equalTo("signed by an unknown key"));
    // mallory puts her own key id on alice's signature
    String forged = new String(sealed, StandardCharsets.UTF_8).replace(alice.keyId(), mallory.keyId());
    assertThat(assertThrows(Rejected.class, () -> Signed.open(forged.getBytes(StandardCharsets.UTF_8),
        Set.of(Messages.REQUEST), trust(mallory))).reason(), equalTo("signature does not verify"));
  }

  @Test
  void aMessageOfOneTypeCannotBePassedOffAsAnother() throws Exception {
    Keys.Identity silo = Keys.create(dir.resolve("silo"));
    byte[] update = Signed.seal(Messages.UPDATE, Signed.JSON.createObjectNode().put("x", 1), silo);
    String relabelled = new String(update, StandardCharsets.UTF_8).replace("\"type\":\"update\"", "\"type\":\"refusal\"");

    assertThat(assertThrows(Rejected.class, () -> Signed.open(update, Set.of(Messages.REQUEST), trust(silo))).reason(),
        equalTo("unexpected message type"));
    assertThat(assertThrows(Rejected.class, () -> Signed.open(relabelled.getBytes(StandardCharsets.UTF_8),
        Set.of(Messages.REFUSAL), trust(silo))).reason(), equalTo("signature does not verify"));
  }

  @Test
  void keyPairsAreWrittenPrivatelyLoadedBackAndNeverOverwritten() throws Exception {
    Keys.Identity made = Keys.create(dir.resolve("k"));

    Keys.Identity loaded = Keys.load(dir.resolve("k"));

    assertThat(loaded.keyId(), equalTo(made.keyId()));
    assertThat(Files.getPosixFilePermissions(dir.resolve("k/private.pem")),
        equalTo(PosixFilePermissions.fromString("rw-------")));
    assertThat(Files.readString(dir.resolve("k/public.pem")), startsWith("-----BEGIN PUBLIC KEY-----"));
    assertThat(assertThrows(IllegalArgumentException.class, () -> Keys.create(dir.resolve("k"))).getMessage(),
        containsString("already exists"));
    // a public key from another pair is caught
    Keys.create(dir.resolve("other"));
    Files.copy(dir.resolve("other/public.pem"), dir.resolve("k/public.pem"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    assertThat(assertThrows(IllegalArgumentException.class, () -> Keys.load(dir.resolve("k"))).getMessage(),
        containsString("are not one key pair"));
    assertThat(assertThrows(IllegalArgumentException.class, () -> Keys.publicKey("bm90IGEga2V5", "policy.json: alice"))
        .getMessage(), containsString("policy.json: alice: not a Base64 Ed25519 public key"));
  }

  @Test
  void anEnvelopeWithADuplicateKeyOrTrailingDataIsRefused() throws Exception {
    Keys.Identity alice = Keys.create(dir.resolve("alice"));
    byte[] sealed = Signed.seal(Messages.REQUEST, Signed.JSON.createObjectNode().put("round", 1), alice);
    String text = new String(sealed, StandardCharsets.UTF_8);
    // a second "type" after the signed one: a lenient reader takes the last
    String duplicate = text.replace("\"type\":\"round-request\",", "\"type\":\"round-request\",\"type\":\"update\",");
    String trailing = text + "{\"type\":\"update\"}";

    for (String bad : List.of(duplicate, trailing)) {
      Rejected e = assertThrows(Rejected.class, () -> Signed.open(bad.getBytes(StandardCharsets.UTF_8),
          Set.of(Messages.REQUEST, Messages.UPDATE), trust(alice)));
      assertThat(e.reason(), equalTo("malformed message"));
    }
  }

  @Test
  void aSignedBodyWithADuplicateKeyOrTrailingDataIsRefused() throws Exception {
    Keys.Identity alice = Keys.create(dir.resolve("alice"));
    for (String body : List.of("{\"round\":1,\"round\":7}", "{\"round\":1} {\"round\":7}", "{\"round\":1}x")) {
      byte[] sealed = ExchangeAttackTest.sealRaw(body.getBytes(StandardCharsets.UTF_8), alice);

      Rejected e = assertThrows(Rejected.class, () -> Signed.open(sealed, Set.of(Messages.REQUEST), trust(alice)));

      assertThat(body, e.getMessage(), containsString("signed body is not JSON"));
    }
  }

  @Test
  void policiesJobFilesAndStateWithADuplicateKeyAreRefused() throws Exception {
    Path policy = dir.resolve("policy.json");
    Files.writeString(policy, "{\"silo\": \"a\", \"silo\": \"b\"}");
    assertThat(assertThrows(IllegalArgumentException.class, () -> SiloPolicy.read(policy)).getMessage(),
        containsString("Duplicate field 'silo'"));
    Files.writeString(policy, "{\"silo\": \"a\"} trailing");
    assertThat(assertThrows(IllegalArgumentException.class, () -> SiloPolicy.read(policy)).getMessage(),
        containsString("cannot read the silo policy"));
    Path job = dir.resolve("job.json");
    Files.writeString(job, "{\"job_id\": \"a\", \"job_id\": \"b\"}");
    assertThat(assertThrows(IllegalArgumentException.class, () -> JobSpec.read(job)).getMessage(),
        containsString("Duplicate field 'job_id'"));
    Path state = dir.resolve("state/jobs/j/state.json");
    Files.createDirectories(state.getParent());
    Files.writeString(state, "{\"last_round\": 1, \"last_round\": 0}");
    assertThat(assertThrows(IllegalStateException.class, () -> SiloAgent.JobState.read(dir.resolve("state").toString(), "j"))
        .getMessage(), containsString("Duplicate field 'last_round'"));
  }

  private static Map<String, PublicKey> trust(Keys.Identity who) {
    return Map.of(who.keyId(), who.publicKey());
  }
}
