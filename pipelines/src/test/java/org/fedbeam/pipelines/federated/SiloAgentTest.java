package org.fedbeam.pipelines.federated;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.allOf;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.not;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;
import org.fedbeam.model.ModelFormat;
import org.fedbeam.model.Parameters;
import org.fedbeam.pipelines.protocol.Exchange;
import org.fedbeam.pipelines.protocol.Keys;
import org.fedbeam.pipelines.protocol.Messages;
import org.fedbeam.pipelines.protocol.RefusalReason;
import org.fedbeam.pipelines.protocol.Signed;
import org.fedbeam.transforms.Artifacts;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The silo agent on the DirectRunner: it answers a valid request with a signed update, and refuses
 * every bad request with a signed refusal and an audit record, going on with the next one.
 */
class SiloAgentTest {
  private static final String JOB = "job-1";
  @TempDir
  Path dir;
  private World world;
  private byte[] global;

  @BeforeEach
  void setUp() throws Exception {
    world = new World(dir, List.of("alpha"));
    global = World.encode(world.initialModel());
  }

  @AfterEach
  void tearDown() throws Exception {
    world.assertEveryRefusalReasonIsFixed();
    world.close();
  }

  @Test
  void aValidRequestGetsASignedUpdateOfTheRequestedModel() throws Exception {
    Messages.RoundRequest r = world.publish("alpha", JOB, 1, 1, world.submitter, global);
    SiloAgent agent = world.agent("alpha");

    assertThat(agent.answerPending(), equalTo(1));

    Signed.Opened answer = world.answer("alpha", JOB, 1, 1);
    assertThat(answer.type(), equalTo(Messages.UPDATE));
    Messages.UpdateReport u = Messages.UpdateReport.fromJson(answer.body());
    assertThat(u.nonce(), equalTo(r.nonce()));
    assertThat(u.modelSha256(), equalTo(r.modelSha256()));
    assertThat(u.metadata().keySet(), equalTo(java.util.Set.of("samples", "train_loss", "train_ms")));
    assertThat(u.metadata().get("samples"), equalTo(120.0));
    byte[] weights = Artifacts.read(new Exchange(world.exchanges.get("alpha"))
        .updateWeights(new Exchange.Slot(JOB, 1, 1)), "weights");
    assertThat(Artifacts.sha256Hex(weights), equalTo(u.updateSha256()));
    Parameters trained = ModelFormat.decode(weights, "update");
    assertThat(trained.spec(), equalTo(World.SPEC));
    assertThat(trained, not(equalTo(world.initialModel())));
    assertThat(world.auditLines("alpha"), hasItem(containsString("\"decision\":\"update sent\"")));
    // answered requests are not answered twice
    assertThat(agent.answerPending(), equalTo(0));
  }

  @Test
  void theWarmUpPublishesNothingLeavesNoScratchAndTheNextRequestIsAnswered() throws Exception {
    java.io.ByteArrayOutputStream printed = new java.io.ByteArrayOutputStream();
    SiloAgent agent = world.agent("alpha", new java.io.PrintStream(printed, true, java.nio.charset.StandardCharsets.UTF_8),
        "--warmUpRuns=3");

    agent.warmUp();

    assertThat(printed.toString(java.nio.charset.StandardCharsets.UTF_8),
        containsString("silo pipeline translated and run 3 times on private scratch rounds"));
    java.nio.file.Path exchange = java.nio.file.Path.of(world.exchanges.get("alpha"));
    assertThat(java.nio.file.Files.exists(exchange.resolve("answers")), equalTo(false));
    java.nio.file.Path scratch = dir.resolve("private/alpha/state/warm-up");
    try (var left = java.nio.file.Files.list(scratch)) {
      assertThat(left.toList(), equalTo(List.of()));
    }
    assertThat(world.auditLines("alpha"), equalTo(List.of()));
    world.publish("alpha", JOB, 1, 1, world.submitter, global);
    agent.answerPending();
    assertThat(world.answer("alpha", JOB, 1, 1).type(), equalTo(Messages.UPDATE));
  }

  @Test
  void aNegativeWarmUpCountIsRejectedNamingTheFlag() {
    IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
        () -> world.agent("alpha", System.out, "--warmUpRuns=-1"));
    assertThat(e.getMessage(), containsString("--warmUpRuns must be 0 or more; was -1"));
  }

  @Test
  void aRequestSignedByAnUnknownKeyGetsNoSignedAnswerAndIsMovedAside() throws Exception {
    Keys.Identity stranger = Keys.create(dir.resolve("stranger"));
    world.publish("alpha", JOB, 1, 1, stranger, global);

    SiloAgent agent = world.agent("alpha");
    agent.answerPending();

    assertMovedAside(1, 1);
    assertThat(agent.movedAside(), equalTo(1L));
    assertThat(world.auditLines("alpha"), hasItem(allOf(containsString("\"decision\":\"moved aside\""),
        containsString("signed by an unknown key"))));
  }

  @Test
  void aTamperedRequestIsRefused() throws Exception {
    Messages.RoundRequest r = world.publish("alpha", JOB, 1, 1, world.submitter, global);
    Exchange.Slot slot = new Exchange.Slot(JOB, 1, 1);
    String uri = new Exchange(world.exchanges.get("alpha")).request(slot);
    ObjectNode envelope = (ObjectNode) Signed.JSON.readTree(Artifacts.read(uri, "request"));
    ObjectNode body = r.toJson();
    body.put("seed", 999); // a different seed, same signature
    envelope.put("body", Base64.getEncoder().encodeToString(Signed.JSON.writeValueAsBytes(body)));
    Artifacts.writeAtomically(uri, Signed.JSON.writeValueAsBytes(envelope));

    world.agent("alpha").answerPending();

    assertMovedAside(1, 1);
    assertThat(world.auditLines("alpha"), hasItem(containsString("signature does not verify")));
  }

  @Test
  void aReplayedRequestIsRefusedAndTheLaterRoundStillAnswered() throws Exception {
    world.publish("alpha", JOB, 1, 1, world.submitter, global);
    SiloAgent agent = world.agent("alpha");
    agent.answerPending();
    world.publish("alpha", JOB, 2, 1, world.submitter, World.encode(new org.fedbeam.model.DenseNetwork(World.SPEC)
        .initialize(6L))); // the next round's global model
    agent.answerPending();
    Exchange ex = new Exchange(world.exchanges.get("alpha"));
    // the attacker copies round 1's signed request into a new slot of round 1
    Artifacts.writeAtomically(ex.request(new Exchange.Slot(JOB, 1, 2)),
        Artifacts.read(ex.request(new Exchange.Slot(JOB, 1, 1)), "old request"));
    Artifacts.writeAtomically(ex.globalModel(new Exchange.Slot(JOB, 1, 2)), global);
    // and the submitter's own, properly signed request for round 1 arrives late
    world.publish("alpha", JOB, 1, 3, world.submitter, global);

    agent.answerPending();

    assertThat(world.answer("alpha", JOB, 2, 1).type(), equalTo(Messages.UPDATE));
    // the copy's body says attempt 1 while it sits in attempt 2's place
    assertRefused(1, 2, RefusalReason.INVALID_REQUEST, "does not match its place");
    assertRefused(1, 3, RefusalReason.REPLAY, "replayed request: a later round was already answered");
  }

  @Test
  void theSameSignedRequestCopiedToItsOwnPlaceAgainIsARefusedReplay() throws Exception {
    Messages.RoundRequest r = world.publish("alpha", JOB, 1, 1, world.submitter, global);
    SiloAgent agent = world.agent("alpha");
    agent.answerPending();
    // the same nonce, re-signed into another slot's body by the real submitter (e.g. a buggy retry)
    Messages.RoundRequest again = new Messages.RoundRequest(JOB, 1, 2, r.nonce(), "alpha", r.pipeline(), r.spec(),
        r.modelSha256(), r.config(), r.seed(), r.deadlineMillis());
    world.publish("alpha", again, world.submitter, global);

    agent.answerPending();

    assertRefused(1, 2, RefusalReason.REPLAY, "replayed request: its nonce was used before");
  }

  @Test
  void unapprovedPipelinesAndModelKindsAreRefused() throws Exception {
    Messages.RoundRequest r = world.request("alpha", JOB, 1, 1, Artifacts.sha256Hex(global));
    Messages.RoundRequest otherPipeline = new Messages.RoundRequest(JOB, 1, 1, r.nonce(), "alpha",
        new Messages.PipelineRef("exfiltrate", "1", "0".repeat(64)), r.spec(), r.modelSha256(), r.config(), r.seed(),
        r.deadlineMillis());
    world.publish("alpha", otherPipeline, world.submitter, global);
    ObjectNode policy = world.policy("alpha");
    policy.putArray("approved_models").add("logreg");
    world.writePolicy("alpha", policy);
    world.publish("alpha", JOB, 2, 1, world.submitter, global); // an MLP

    world.agent("alpha").answerPending();

    assertRefused(1, 1, RefusalReason.NOT_APPROVED, "the pipeline is not approved");
    assertRefused(2, 1, RefusalReason.NOT_APPROVED, "the model kind is not approved");
  }

  @Test
  void truncatedOrGarbageFilesInTheExchangeAreMovedAsideAndTheNextRequestIsStillAnswered() throws Exception {
    Exchange ex = new Exchange(world.exchanges.get("alpha"));
    world.publish("alpha", JOB, 1, 1, world.submitter, global);
    byte[] whole = Artifacts.read(ex.request(new Exchange.Slot(JOB, 1, 1)), "request");
    Artifacts.writeAtomically(ex.request(new Exchange.Slot(JOB, 1, 1)), java.util.Arrays.copyOf(whole, whole.length / 2));
    Artifacts.writeAtomically(ex.request(new Exchange.Slot(JOB, 1, 2)), "\u0000\u0001garbage".getBytes(StandardCharsets.UTF_8));
    // a valid request whose global model was replaced by garbage
    world.publish("alpha", JOB, 1, 3, world.submitter, global);
    Artifacts.writeAtomically(ex.globalModel(new Exchange.Slot(JOB, 1, 3)), "not a model".getBytes(StandardCharsets.UTF_8));
    world.publish("alpha", JOB, 2, 1, world.submitter, global);

    world.agent("alpha").answerPending();

    assertMovedAside(1, 1);
    assertMovedAside(1, 2);
    assertRefused(1, 3, RefusalReason.GLOBAL_MODEL, "the global model does not match the digest signed in the request");
    assertThat(world.answer("alpha", JOB, 2, 1).type(), equalTo(Messages.UPDATE));
  }

  @Test
  void aSiloWithFewerSamplesThanItsPolicyMinimumRefusesThroughTheGuard() throws Exception {
    ObjectNode policy = world.policy("alpha");
    policy.put("min_samples", 500); // the shard has 120 rows
    world.writePolicy("alpha", policy);
    world.publish("alpha", JOB, 1, 1, world.submitter, global);

    world.agent("alpha").answerPending();

    assertRefused(1, 1, RefusalReason.GUARD, "fewer samples than the policy's minimum");
    // the refusal says why without the count, and without the guard's words
    Messages.Refusal refusal = Messages.Refusal.fromJson(world.answer("alpha", JOB, 1, 1).body());
    assertThat(refusal.reason(), not(containsString("120")));
    assertThat(refusal.reason(), not(containsString("minimum")));
  }

  @Test
  void retriesTrainingSettingsAndDeadlinesOutsideThePolicyAreRefused() throws Exception {
    Messages.RoundRequest r = world.request("alpha", JOB, 1, 4, Artifacts.sha256Hex(global)); // attempt 4 > 3
    world.publish("alpha", r, world.submitter, global);
    Messages.RoundRequest greedy = world.request("alpha", JOB, 2, 1, Artifacts.sha256Hex(global));
    world.publish("alpha", new Messages.RoundRequest(JOB, 2, 1, greedy.nonce(), "alpha", greedy.pipeline(), greedy.spec(),
        greedy.modelSha256(), new org.fedbeam.model.TrainConfig(5, 1, 0.1, 0, 0), greedy.seed(), greedy.deadlineMillis()),
        world.submitter, global);
    Messages.RoundRequest late = world.request("alpha", JOB, 3, 1, Artifacts.sha256Hex(global));
    world.publish("alpha", new Messages.RoundRequest(JOB, 3, 1, late.nonce(), "alpha", late.pipeline(), late.spec(),
        late.modelSha256(), late.config(), late.seed(), Long.MAX_VALUE), world.submitter, global);

    world.agent("alpha").answerPending();

    assertRefused(1, 4, RefusalReason.OUTSIDE_POLICY, "a retry beyond what the policy allows");
    assertRefused(2, 1, RefusalReason.OUTSIDE_POLICY, "the training settings are outside the policy: batch_size 1 < min_batch_size 8");
    assertRefused(3, 1, RefusalReason.OUTSIDE_POLICY, "deadline is further ahead than the policy allows");
  }

  @Test
  void aSecondSpellingOfARequestsPlaceIsIgnoredAndADeletedAnswerIsNotTrainedAgain() throws Exception {
    world.publish("alpha", JOB, 1, 1, world.submitter, global);
    Exchange ex = new Exchange(world.exchanges.get("alpha"));
    Exchange.Slot slot = new Exchange.Slot(JOB, 1, 1);
    String odd = ex.request(slot).replace("r0001-a1.json", "r00001-a01.json");
    Artifacts.writeAtomically(odd, "planted".getBytes(StandardCharsets.UTF_8));
    SiloAgent agent = world.agent("alpha");

    assertThat(agent.answerPending(), equalTo(1));
    assertThat(Artifacts.exists(odd.replace("/requests/", "/answers/")), equalTo(false));
    Artifacts.deleteIfExists(ex.answer(slot));

    assertThat(agent.answerPending(), equalTo(0));
    assertThat(Artifacts.exists(ex.answer(slot)), equalTo(false));
    assertThat(world.auditLines("alpha").stream().filter(l -> l.contains("\"decision\":\"accepted\"")).count(),
        equalTo(1L));
  }

  @Test
  void weightsLeftByACrashBeforeTheMessageAreRemovedWhenTheRequestIsThenRefused() throws Exception {
    Messages.RoundRequest r = world.request("alpha", JOB, 1, 1, Artifacts.sha256Hex(global));
    world.publish("alpha", new Messages.RoundRequest(JOB, 1, 1, r.nonce(), "alpha", r.pipeline(), r.spec(),
        r.modelSha256(), r.config(), r.seed(), System.currentTimeMillis() - 1), world.submitter, global); // expired
    Exchange ex = new Exchange(world.exchanges.get("alpha"));
    Artifacts.writeAtomically(ex.updateWeights(new Exchange.Slot(JOB, 1, 1)), global); // as a crash would leave them

    world.agent("alpha").answerPending();

    assertRefused(1, 1, RefusalReason.EXPIRED, "deadline 20"); // and no weights next to the refusal
  }

  @Test
  void aRequestForAnotherSiloIsRefused() throws Exception {
    Messages.RoundRequest r = world.request("beta", JOB, 1, 1, Artifacts.sha256Hex(global));
    world.publish("alpha", r, world.submitter, global);

    world.agent("alpha").answerPending();

    assertRefused(1, 1, RefusalReason.INVALID_REQUEST, "addressed to another silo");
  }

  /** Refused with the fixed reason {@code code}; {@code detail} is in the audit log only. */
  private void assertRefused(int round, int attempt, RefusalReason code, String detail) throws Exception {
    assertRefused(world, "alpha", JOB, round, attempt, code, detail);
  }

  /** As {@link #assertRefused(int, int, RefusalReason, String)}, for any world, silo and job. */
  static void assertRefused(World world, String silo, String job, int round, int attempt, RefusalReason code,
      String detail) throws Exception {
    Signed.Opened answer = world.answer(silo, job, round, attempt);
    assertThat(job + " round " + round + " attempt " + attempt, answer.type(), equalTo(Messages.REFUSAL));
    Messages.Refusal refusal = Messages.Refusal.fromJson(answer.body());
    assertThat(refusal.reason(), equalTo(code.text()));
    assertThat(refusal.reason(), not(containsString(detail)));
    assertThat(world.auditLines(silo), hasItem(allOf(containsString("\"job_id\":\"" + job + "\""),
        containsString("\"round\":" + round + ",\"attempt\":" + attempt), containsString("\"decision\":\"refused\""),
        containsString("\"reason\":\"" + code.name() + "\""), containsString(detail))));
    Exchange ex = new Exchange(world.exchanges.get(silo));
    assertThat(Artifacts.exists(ex.updateWeights(new Exchange.Slot(job, round, attempt))), equalTo(false));
  }

  /** No answer at all, and the request moved out of requests/ into rejected/. */
  private void assertMovedAside(int round, int attempt) throws Exception {
    Exchange ex = new Exchange(world.exchanges.get("alpha"));
    Exchange.Slot slot = new Exchange.Slot(JOB, round, attempt);
    assertThat("answer to round " + round + " attempt " + attempt, Artifacts.exists(ex.answer(slot)), equalTo(false));
    assertThat(Artifacts.exists(ex.request(slot)), equalTo(false));
    try (var moved = java.nio.file.Files.list(Path.of(ex.rejected()))) {
      assertThat(moved.map(p -> p.getFileName().toString()).toList(),
          hasItem(org.hamcrest.Matchers.startsWith(String.format("requests_%s_r%04d-a%d.json.", JOB, round, attempt))));
    }
  }
}
