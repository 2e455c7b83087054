package org.fedbeam.pipelines.federated;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.lessThan;
import static org.hamcrest.Matchers.not;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.fedbeam.pipelines.cli.FedBeam;
import org.fedbeam.pipelines.protocol.Exchange;
import org.fedbeam.pipelines.protocol.Keys;
import org.fedbeam.pipelines.protocol.Messages;
import org.fedbeam.pipelines.protocol.RefusalReason;
import org.fedbeam.pipelines.protocol.Rejected;
import org.fedbeam.pipelines.protocol.Signed;
import org.fedbeam.pipelines.rounds.RoundRecords;
import org.fedbeam.transforms.Artifacts;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Keys have a lifecycle: a running agent re-reads its policy and revocation list every poll, keys
 * trusted for a time window are trusted only inside it, an invalid edited policy is reported and
 * the one in force kept, and a silo rotates its own key. Whether the agent trusts a key is seen
 * cheaply from an expired request: a trusted signer's gets a signed refusal (EXPIRED), an
 * untrusted one's gets no answer and is moved aside.
 */
class KeyLifecycleTest {
  private static final String JOB = "job-1";
  @TempDir
  Path dir;
  private World world;
  private byte[] global;
  private Exchange ex;
  private final ByteArrayOutputStream printed = new ByteArrayOutputStream();
  private SiloAgent agent;
  private Thread serving;

  @BeforeEach
  void setUp() throws Exception {
    world = new World(dir, List.of("alpha"));
    global = World.encode(world.initialModel());
    ex = new Exchange(world.exchanges.get("alpha"));
  }

  @AfterEach
  void tearDown() throws Exception {
    if (agent != null) {
      agent.stop();
    }
    if (serving != null) {
      serving.join(30_000);
    }
    world.assertEveryRefusalReasonIsFixed();
    world.close();
  }

  @Test
  void aKeyRemovedFromTheRunningAgentsPolicyIsRefusedWithinOnePoll() throws Exception {
    startServing();
    world.publishExpired("alpha", JOB, 1, 1, world.submitter, global);
    awaitAnswer(1);
    assertTrusted(1);
    ObjectNode policy = world.policy("alpha");
    Keys.Identity other = Keys.create(dir.resolve("other"));
    policy.putArray("trusted_submitters").addObject().put("name", "other").put("public_key", other.publicKeyBase64());

    world.writePolicy("alpha", policy);
    long written = System.nanoTime();
    awaitAudit("\"decision\":\"policy reloaded\"");
    double seconds = (System.nanoTime() - written) / 1e9;
    // every pass that starts after the reload judges by the new policy
    world.publishExpired("alpha", JOB, 2, 1, world.submitter, global);
    awaitMovedAside(2);

    System.out.printf("policy taken up %.3f s after it was written (poll 50 ms)%n", seconds);
    assertThat(Artifacts.exists(ex.answer(new Exchange.Slot(JOB, 2, 1))), equalTo(false));
    assertThat(seconds, lessThan(5.0));
    // and the newly trusted key is taken
    world.publishExpired("alpha", JOB, 3, 1, other, global);
    awaitAnswer(3);
    assertTrusted(3);
  }

  @Test
  void aKeyRevokedThroughTheRevocationListIsRefusedWithinOnePoll() throws Exception {
    startServing();
    world.publishExpired("alpha", JOB, 1, 1, world.submitter, global);
    awaitAnswer(1);

    Files.write(world.privateDir("alpha").resolve(TrustedKeys.DEFAULT_REVOCATION_FILE), RoundRecords.JSON.writeValueAsBytes(
        Map.of("revoked", List.of(Map.of("key_id", world.submitter.keyId(), "reason", "laptop lost")))));
    awaitAudit("\"decision\":\"policy reloaded\"");
    world.publishExpired("alpha", JOB, 2, 1, world.submitter, global);
    awaitMovedAside(2);

    assertThat(Artifacts.exists(ex.answer(new Exchange.Slot(JOB, 2, 1))), equalTo(false));
    // revoked by its public key instead: the same
    Files.write(world.privateDir("alpha").resolve(TrustedKeys.DEFAULT_REVOCATION_FILE), RoundRecords.JSON.writeValueAsBytes(
        Map.of("revoked", List.of(Map.of("public_key", world.submitter.publicKeyBase64())))));
    awaitAuditCount("\"decision\":\"policy reloaded\"", 2);
    world.publishExpired("alpha", JOB, 3, 1, world.submitter, global);
    awaitMovedAside(3);
  }

  @Test
  void keysAreTrustedOnlyWithinTheirWindow() throws Exception {
    Keys.Identity early = Keys.create(dir.resolve("early"));
    Keys.Identity late = Keys.create(dir.resolve("late"));
    Keys.Identity current = Keys.create(dir.resolve("current"));
    ObjectNode policy = world.policy("alpha");
    var trusted = policy.putArray("trusted_submitters");
    trusted.addObject().put("name", "early").put("public_key", early.publicKeyBase64())
        .put("not_after", java.time.Instant.now().minusSeconds(60).toString());
    trusted.addObject().put("name", "late").put("public_key", late.publicKeyBase64())
        .put("not_before", "2999-01-01T00:00:00Z");
    trusted.addObject().put("name", "current").put("public_key", current.publicKeyBase64())
        .put("not_before", "2000-01-01T00:00:00+01:00").put("not_after", "2999-01-01T00:00:00Z");
    world.writePolicy("alpha", policy);
    world.publishExpired("alpha", JOB, 1, 1, early, global);
    world.publishExpired("alpha", JOB, 2, 1, late, global);
    world.publishExpired("alpha", JOB, 3, 1, current, global);

    SiloAgent once = world.agent("alpha");
    once.answerPending();

    assertThat(Artifacts.exists(ex.answer(new Exchange.Slot(JOB, 1, 1))), equalTo(false));
    assertThat(Artifacts.exists(ex.answer(new Exchange.Slot(JOB, 2, 1))), equalTo(false));
    assertTrusted(3);
    assertThat(once.movedAside(), equalTo(2L));
  }

  @Test
  void anInvalidEditedPolicyKeepsTheOldOneSaysSoAndIsRetriedWhenItChangesAgain() throws Exception {
    startServing();
    Path file = world.policies.get("alpha");
    byte[] good = Files.readAllBytes(file);

    Files.write(file, "{\"silo\": \"alpha\", \"silo\": \"alpha\"}".getBytes(StandardCharsets.UTF_8)); // a duplicate key
    awaitAudit("\"decision\":\"policy not reloaded\"");
    world.publishExpired("alpha", JOB, 1, 1, world.submitter, global);
    awaitAnswer(1);

    assertTrusted(1); // the old policy is still in force
    assertThat(printed(), containsString("POLICY NOT RELOADED"));
    assertThat(printed(), containsString("Duplicate field 'silo'"));
    assertThat(world.auditLines("alpha"), hasItem(containsString("\"decision\":\"policy not reloaded\"")));
    // a policy that moves the exchange is refused too: only a restart may
    ObjectNode moved = world.policy("alpha");
    moved.put("exchange", dir.resolve("elsewhere").toString());
    world.writePolicy("alpha", moved);
    awaitAuditCount("\"decision\":\"policy not reloaded\"", 2);
    world.publishExpired("alpha", JOB, 2, 1, world.submitter, global);
    awaitAnswer(2);
    assertTrusted(2);
    assertThat(printed(), containsString("only a restart of the agent may change"));
    // fixed: taken up
    ObjectNode fixed = world.policy("alpha");
    fixed.putArray("trusted_submitters").addObject().put("name", "nobody")
        .put("public_key", Keys.create(dir.resolve("nobody")).publicKeyBase64());
    world.writePolicy("alpha", fixed);
    awaitAudit("\"decision\":\"policy reloaded\"");
    world.publishExpired("alpha", JOB, 3, 1, world.submitter, global);
    awaitMovedAside(3);
    assertThat(printed(), containsString("policy reloaded"));
    // each bad version was reported once, not every poll
    assertThat(world.auditLines("alpha").stream().filter(l -> l.contains("policy not reloaded")).count(), equalTo(2L));
    assertThat(good.length > 0, equalTo(true));
  }

  @Test
  void aSiloRotatesItsKeyAndTheRunningAgentSignsWithTheNewOne() throws Exception {
    startServing();
    Path keyDir = world.privateDir("alpha").resolve("key");
    byte[] secret = Keys.siloSecret(keyDir);
    Keys.Identity old = world.siloKeys.get("alpha");
    world.publishExpired("alpha", JOB, 1, 1, world.submitter, global);
    awaitAnswer(1);
    ByteArrayOutputStream out = new ByteArrayOutputStream();

    int code = FedBeam.run(new String[] {"keys", "rotate", "--key", keyDir.toString()},
        new PrintStream(out, true, StandardCharsets.UTF_8), System.err);

    Keys.Identity rotated = Keys.load(keyDir);
    String said = out.toString(StandardCharsets.UTF_8);
    assertThat(code, equalTo(0));
    assertThat(said, containsString("previous key id     " + old.keyId()));
    assertThat(said, containsString("new key id          " + rotated.keyId()));
    assertThat(said, containsString("new public key      " + rotated.publicKeyBase64()));
    assertThat(Keys.load(keyDir.resolve(Keys.PREVIOUS_DIR)).keyId(), equalTo(old.keyId()));
    assertThat(Keys.siloSecret(keyDir), equalTo(secret));
    awaitAudit("\"decision\":\"key rotated\"");
    world.publishExpired("alpha", JOB, 2, 1, world.submitter, global);
    awaitAnswer(2);
    byte[] answer = Artifacts.read(ex.answer(new Exchange.Slot(JOB, 2, 1)), "answer");
    assertThat(Signed.open(answer, Set.of(Messages.REFUSAL), Map.of(rotated.keyId(), rotated.publicKey())).signer(),
        equalTo(rotated.keyId()));
    org.junit.jupiter.api.Assertions.assertThrows(Rejected.class,
        () -> Signed.open(answer, Set.of(Messages.REFUSAL), Map.of(old.keyId(), old.publicKey())));
    assertThat(world.auditLines("alpha"), hasItem(containsString("\"decision\":\"key rotated\"")));
    // a second rotation keeps the one before in retired/
    FedBeam.run(new String[] {"keys", "rotate", "--key", keyDir.toString()}, new PrintStream(new ByteArrayOutputStream()),
        System.err);
    assertThat(Keys.load(keyDir.resolve("retired").resolve(old.keyId())).keyId(), equalTo(old.keyId()));
    assertThat(Keys.load(keyDir.resolve(Keys.PREVIOUS_DIR)).keyId(), equalTo(rotated.keyId()));
  }

  @Test
  void badTimesAndBadRevocationEntriesAreRejectedNamingTheField() throws Exception {
    ObjectNode policy = world.policy("alpha");
    ((ObjectNode) policy.get("trusted_submitters").get(0)).put("not_after", "next tuesday");
    Path file = world.writePolicy("alpha", policy);
    assertThat(org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
        () -> SiloPolicy.read(file)).getMessage(), containsString("trusted_submitters tester: not_after 'next tuesday'"
        + " is not an ISO-8601 time"));
    world.writePolicy("alpha", world.policy("alpha"));
    Files.write(world.privateDir("alpha").resolve(TrustedKeys.DEFAULT_REVOCATION_FILE),
        "{\"revoked\": [{\"key_id\": \"XYZ\"}]}".getBytes(StandardCharsets.UTF_8));
    assertThat(org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
        () -> SiloPolicy.read(file)).getMessage(), containsString("revoked[0]: key_id 'XYZ' is not a key id"));
  }

  private void startServing() throws Exception {
    agent = world.agent("alpha", new PrintStream(printed, true, StandardCharsets.UTF_8));
    serving = new Thread(() -> {
      try {
        agent.serve();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }, "agent-under-test");
    serving.start();
  }

  private String printed() {
    return printed.toString(StandardCharsets.UTF_8);
  }

  private void awaitAnswer(int round) throws InterruptedException {
    await(() -> Artifacts.exists(ex.answer(new Exchange.Slot(JOB, round, 1))), "an answer to round " + round);
  }

  private void awaitMovedAside(int round) throws InterruptedException {
    await(() -> !Artifacts.exists(ex.request(new Exchange.Slot(JOB, round, 1))), "round " + round + " moved aside");
  }

  private void awaitAudit(String text) throws InterruptedException {
    awaitAuditCount(text, 1);
  }

  private void awaitAuditCount(String text, long count) throws InterruptedException {
    await(() -> {
      try {
        return world.auditLines("alpha").stream().filter(l -> l.contains(text)).count() >= count;
      } catch (java.io.IOException e) {
        return false;
      }
    }, count + " audit line(s) with " + text);
  }

  private static void await(java.util.function.BooleanSupplier done, String what) throws InterruptedException {
    long until = System.nanoTime() + 30_000_000_000L;
    while (!done.getAsBoolean()) {
      if (System.nanoTime() > until) {
        throw new AssertionError("waited 30 s for " + what);
      }
      Thread.sleep(10);
    }
  }

  /** The agent trusted the signer: a signed EXPIRED refusal, not silence. */
  private void assertTrusted(int round) throws Exception {
    Signed.Opened a = world.answer("alpha", JOB, round, 1);
    assertThat(a.type(), equalTo(Messages.REFUSAL));
    assertThat(Messages.Refusal.fromJson(a.body()).reason(), equalTo(RefusalReason.EXPIRED.text()));
    assertThat(a.body().toString(), not(containsString("laptop")));
  }
}
