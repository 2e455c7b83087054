package org.fedbeam.pipelines.federated;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.lessThan;
import static org.hamcrest.Matchers.not;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.List;
import org.fedbeam.pipelines.protocol.Exchange;
import org.fedbeam.pipelines.protocol.Keys;
import org.fedbeam.pipelines.protocol.Messages;
import org.fedbeam.pipelines.protocol.RefusalReason;
import org.fedbeam.pipelines.protocol.Signatures;
import org.fedbeam.pipelines.protocol.Signed;
import org.fedbeam.transforms.Artifacts;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Attacks by anyone who can write to a silo's exchange, replayed against the real agent: links
 * planted at every level, copies of a genuine request in other places (nonce poisoning), files
 * that make refusals differ by the state of other files, and floods of unsigned files. Each time
 * the refusal (or the silence) is asserted, and that nothing private was read, written or deleted.
 */
class ExchangeAttackTest {
  private static final String JOB = "job-1";
  private static final byte[] SECRET = "private bytes of the silo".getBytes(StandardCharsets.UTF_8);
  @TempDir
  Path dir;
  private World world;
  private byte[] global;
  private Exchange ex;
  private Path exchangeDir;
  private Path privateDir;

  @BeforeEach
  void setUp() throws Exception {
    world = new World(dir, List.of("alpha"));
    global = World.encode(world.initialModel());
    ex = new Exchange(world.exchanges.get("alpha"));
    exchangeDir = Path.of(world.exchanges.get("alpha"));
    privateDir = world.privateDir("alpha");
  }

  @AfterEach
  void tearDown() throws Exception {
    world.assertEveryRefusalReasonIsFixed();
    world.close();
  }

  @Test
  void linksAtRequestsAtAJobFolderAndAtARequestAreNeverReadAndAreMovedAside() throws Exception {
    // genuine signed requests, kept by the attacker in folders outside the exchange
    Path elsewhere = dir.resolve("attacker");
    Files.createDirectories(elsewhere.resolve("requests/job-2"));
    Messages.RoundRequest r = world.request("alpha", "job-2", 1, 1, Artifacts.sha256Hex(global));
    Files.write(elsewhere.resolve("requests/job-2/r0001-a1.json"), Signed.seal(Messages.REQUEST, r.toJson(), world.submitter));
    Files.write(elsewhere.resolve("requests/job-2/r0001-a1-global.fbm"), global);
    Files.createDirectories(exchangeDir);
    // 1) requests/ itself is a link
    Files.createSymbolicLink(exchangeDir.resolve("requests"), elsewhere.resolve("requests"));
    SiloAgent agent = world.agent("alpha");

    agent.answerPending();

    assertThat(Files.isSymbolicLink(exchangeDir.resolve("requests")), equalTo(false));
    assertThat(Files.exists(elsewhere.resolve("requests/job-2/r0001-a1.json")), equalTo(true));
    assertThat(Files.exists(exchangeDir.resolve("answers")), equalTo(false));
    // 2) a job's folder is a link
    Files.createDirectories(exchangeDir.resolve("requests"));
    Files.createSymbolicLink(exchangeDir.resolve("requests/job-2"), elsewhere.resolve("requests/job-2"));
    // 3) a request file is a link to a genuine request
    Files.createDirectories(exchangeDir.resolve("requests/" + JOB));
    Files.createSymbolicLink(exchangeDir.resolve("requests/" + JOB + "/r0001-a1.json"),
        elsewhere.resolve("requests/job-2/r0001-a1.json"));

    agent.answerPending();

    assertThat(Files.exists(exchangeDir.resolve("requests/job-2"), LinkOption.NOFOLLOW_LINKS), equalTo(false));
    assertThat(Files.exists(exchangeDir.resolve("requests/" + JOB + "/r0001-a1.json"), LinkOption.NOFOLLOW_LINKS),
        equalTo(false));
    assertThat(Files.exists(exchangeDir.resolve("answers")), equalTo(false)); // no answer, signed or not
    assertThat(Files.exists(elsewhere.resolve("requests/job-2/r0001-a1.json")), equalTo(true)); // targets untouched
    assertThat(agent.movedAside(), equalTo(3L));
    try (var moved = Files.list(exchangeDir.resolve("rejected"))) {
      assertThat(moved.filter(Files::isSymbolicLink).count(), equalTo(3L)); // the links themselves, kept aside
    }
    assertThat(world.auditLines("alpha").stream().filter(l -> l.contains("\"decision\":\"moved aside\"")).count(),
        equalTo(2L)); // one line per pass
  }

  @Test
  void linkedAnswerFoldersNeitherDeleteNorWriteInTheSilosPrivateFolder() throws Exception {
    // the attack: answers/ (then answers/JOB/) point into the private folder, where a file
    // sits at the name of the weights a refusal deletes and of the answer it writes
    Files.write(privateDir.resolve("r0001-a1-update.fbm"), SECRET);
    Files.write(privateDir.resolve("r0002-a1-update.fbm"), SECRET);
    world.publishExpired("alpha", JOB, 1, 1, world.submitter, global);
    Files.createSymbolicLink(exchangeDir.resolve("answers"), privateDir);
    SiloAgent agent = world.agent("alpha");

    agent.answerPending();

    assertThat(Files.readAllBytes(privateDir.resolve("r0001-a1-update.fbm")), equalTo(SECRET));
    assertThat(Files.exists(privateDir.resolve("r0001-a1.json")), equalTo(false));
    assertThat(Files.exists(privateDir.resolve(JOB)), equalTo(false));
    assertThat(world.answer("alpha", JOB, 1, 1).type(), equalTo(Messages.REFUSAL)); // in the real answers/ folder
    assertThat(Files.isSymbolicLink(exchangeDir.resolve("answers")), equalTo(false));

    // the same one level down
    world.publishExpired("alpha", JOB, 2, 1, world.submitter, global);
    Files.move(exchangeDir.resolve("answers/" + JOB), dir.resolve("old-answers"));
    Files.createSymbolicLink(exchangeDir.resolve("answers/" + JOB), privateDir);

    agent.answerPending();

    assertThat(Files.readAllBytes(privateDir.resolve("r0002-a1-update.fbm")), equalTo(SECRET));
    assertThat(Files.exists(privateDir.resolve("r0002-a1.json")), equalTo(false));
    assertThat(world.answer("alpha", JOB, 2, 1).type(), equalTo(Messages.REFUSAL));
  }

  @Test
  void linksPlantedAtTheAnswersNamesAreReplacedNotWrittenThroughAndTheRequestIsAnswered() throws Exception {
    Path target = privateDir.resolve("policy.json");
    byte[] policyBefore = Files.readAllBytes(target);
    Files.write(privateDir.resolve("precious.fbm"), SECRET);
    world.publish("alpha", JOB, 1, 1, world.submitter, global);
    Files.createDirectories(exchangeDir.resolve("answers/" + JOB));
    Files.createSymbolicLink(exchangeDir.resolve("answers/" + JOB + "/r0001-a1.json"), target);
    Files.createSymbolicLink(exchangeDir.resolve("answers/" + JOB + "/r0001-a1-update.fbm"),
        privateDir.resolve("precious.fbm"));

    world.agent("alpha").answerPending();

    assertThat(Files.readAllBytes(target), equalTo(policyBefore));
    assertThat(Files.readAllBytes(privateDir.resolve("precious.fbm")), equalTo(SECRET));
    Path answer = exchangeDir.resolve("answers/" + JOB + "/r0001-a1.json");
    assertThat(Files.isRegularFile(answer, LinkOption.NOFOLLOW_LINKS), equalTo(true));
    assertThat(world.answer("alpha", JOB, 1, 1).type(), equalTo(Messages.UPDATE));
  }

  @Test
  void aLinkedStateFolderIsNotWrittenThrough() throws Exception {
    Path outside = dir.resolve("outside-state");
    Files.createDirectories(outside);
    Files.createDirectories(privateDir.resolve("state/jobs"));
    Files.createSymbolicLink(privateDir.resolve("state/jobs/" + JOB), outside);
    world.publish("alpha", JOB, 1, 1, world.submitter, global);

    world.agent("alpha").answerPending();

    assertThat(world.answer("alpha", JOB, 1, 1).type(), equalTo(Messages.REFUSAL));
    assertThat(Messages.Refusal.fromJson(world.answer("alpha", JOB, 1, 1).body()).reason(),
        equalTo(RefusalReason.SILO_ERROR.text()));
    try (var written = Files.list(outside)) {
      assertThat(written.toList(), equalTo(List.of()));
    }
    assertThat(world.auditLines("alpha"), hasItem(containsString("is a symbolic link")));
  }

  @Test
  void copiesOfAWaitingRequestInOtherPlacesDoNotBurnItsNonce() throws Exception {
    Messages.RoundRequest real = world.publish("alpha", JOB, 2, 1, world.submitter, global);
    byte[] signed = Artifacts.read(ex.request(new Exchange.Slot(JOB, 2, 1)), "request");
    // earlier slot, later slot, another job's folder (sorted first), another attempt
    List<Exchange.Slot> copies = List.of(new Exchange.Slot(JOB, 1, 1), new Exchange.Slot(JOB, 3, 1),
        new Exchange.Slot("job-0", 2, 1), new Exchange.Slot(JOB, 2, 2));
    for (Exchange.Slot c : copies) {
      Artifacts.writeAtomically(ex.globalModel(c), global);
      Artifacts.writeAtomically(ex.request(c), signed);
    }
    SiloAgent agent = world.agent("alpha");

    agent.answerPending();

    Signed.Opened answer = world.answer("alpha", JOB, 2, 1);
    assertThat(answer.type(), equalTo(Messages.UPDATE));
    assertThat(Messages.UpdateReport.fromJson(answer.body()).nonce(), equalTo(real.nonce()));
    for (Exchange.Slot c : copies) {
      Signed.Opened refused = world.answer("alpha", c.jobId(), c.round(), c.attempt());
      assertThat(refused.type(), equalTo(Messages.REFUSAL));
      assertThat(Messages.Refusal.fromJson(refused.body()).reason(), equalTo(RefusalReason.INVALID_REQUEST.text()));
      assertThat(Artifacts.exists(ex.updateWeights(c)), equalTo(false));
    }
    SiloAgent.JobState state = SiloAgent.JobState.read(world.privateDir("alpha").resolve("state").toString(), JOB);
    assertThat(state.nonces(), equalTo(java.util.Map.of(real.nonce(), JOB + "/r0002-a1")));
    assertThat(state.answered(), equalTo(java.util.Set.of(JOB + "/r0002-a1")));
    assertThat(Files.exists(privateDir.resolve("state/jobs/job-0/state.json")), equalTo(false));
  }

  @Test
  void aMissingTooLargeCorruptOrLinkedGlobalModelGetsTheSameRefusal() throws Exception {
    Path realModel = dir.resolve("attacker-model.fbm");
    Files.write(realModel, global);
    byte[] corrupt = "not a model, but signed as one".getBytes(StandardCharsets.UTF_8);
    // 1 missing, 2 too large, 3 corrupt (its digest is the one signed), 4 a link to the right bytes
    world.publish("alpha", JOB, 1, 1, world.submitter, global);
    Files.delete(Path.of(ex.globalModel(new Exchange.Slot(JOB, 1, 1))));
    world.publish("alpha", JOB, 2, 1, world.submitter, global);
    Files.write(Path.of(ex.globalModel(new Exchange.Slot(JOB, 2, 1))), new byte[(int) Exchange.modelFileLimit(World.SPEC) + 1]);
    world.publish("alpha", JOB, 3, 1, world.submitter, corrupt);
    world.publish("alpha", JOB, 4, 1, world.submitter, global);
    Path fourth = Path.of(ex.globalModel(new Exchange.Slot(JOB, 4, 1)));
    Files.delete(fourth);
    Files.createSymbolicLink(fourth, realModel);

    world.agent("alpha").answerPending();

    List<ObjectNode> bodies = new java.util.ArrayList<>();
    for (int round = 1; round <= 4; round++) {
      Signed.Opened a = world.answer("alpha", JOB, round, 1);
      assertThat(a.type(), equalTo(Messages.REFUSAL));
      ObjectNode body = a.body().deepCopy();
      body.remove(List.of("round", "nonce", "model_sha256"));
      bodies.add(body);
    }
    assertThat(bodies.get(0).get("reason").asText(), equalTo(RefusalReason.GLOBAL_MODEL.text()));
    assertThat(bodies.get(1), equalTo(bodies.get(0)));
    assertThat(bodies.get(2), equalTo(bodies.get(0)));
    assertThat(bodies.get(3), equalTo(bodies.get(0)));
    // the detail, which tells them apart, is in the silo's own audit log only
    List<String> audit = world.auditLines("alpha");
    assertThat(audit, hasItem(containsString("is missing")));
    assertThat(audit, hasItem(containsString("larger than any valid one")));
    assertThat(audit, hasItem(containsString("corrupt")));
    assertThat(audit, hasItem(containsString("is a symbolic link")));
  }

  @Test
  void twoThousandGarbageFilesGetNoAnswerOneAuditLineAndTheRealRequestIsStillAnswered() throws Exception {
    Keys.Identity stranger = Keys.create(dir.resolve("stranger"));
    Path jobDir = exchangeDir.resolve("requests/" + JOB);
    Files.createDirectories(jobDir);
    Messages.RoundRequest template = world.request("alpha", JOB, 1, 1, Artifacts.sha256Hex(global));
    byte[] unknownSigner = Signed.seal(Messages.REQUEST, template.toJson(), stranger);
    byte[] badSignature = new String(Signed.seal(Messages.REQUEST, template.toJson(), world.submitter),
        StandardCharsets.UTF_8).replace("\"signature\":\"", "\"signature\":\"AAAA").getBytes(StandardCharsets.UTF_8);
    byte[] oversize = new byte[Signed.MAX_BYTES + 1];
    for (int i = 1; i <= 2000; i++) {
      byte[] garbage = switch (i % 5) {
        case 0 -> unknownSigner;
        case 1 -> badSignature;
        case 2 -> ("{\"format\":\"fedbeam-signed-v1\",\"n\":" + i + "}").getBytes(StandardCharsets.UTF_8);
        case 3 -> i % 100 == 3 ? oversize : ("garbage " + i).getBytes(StandardCharsets.UTF_8);
        default -> ("{\"a\":1,\"a\":2}").getBytes(StandardCharsets.UTF_8);
      };
      Files.write(jobDir.resolve(String.format("r0001-a%d.json", i)), garbage);
    }
    world.publish("alpha", JOB, 2, 1, world.submitter, global);
    SiloAgent agent = world.agent("alpha");
    int auditBefore = world.auditLines("alpha").size();

    long start = System.nanoTime();
    agent.answerPending();
    double seconds = (System.nanoTime() - start) / 1e9;

    System.out.printf("2000 garbage files and one request: one pass in %.2f s%n", seconds);
    assertThat(world.answer("alpha", JOB, 2, 1).type(), equalTo(Messages.UPDATE));
    assertThat(agent.movedAside(), equalTo(2000L));
    try (var answers = Files.list(exchangeDir.resolve("answers/" + JOB))) {
      assertThat(answers.filter(f -> f.getFileName().toString().startsWith("r0001-")).count(), equalTo(0L));
    }
    try (var left = Files.list(jobDir)) {
      assertThat(left.filter(f -> f.getFileName().toString().startsWith("r0001-")).count(), equalTo(0L));
    }
    List<String> audit = world.auditLines("alpha");
    // accepted, publishing, update sent, and one line for the 2000
    assertThat(audit.size() - auditBefore, equalTo(4));
    assertThat(audit, hasItem(containsString("\"count\":2000")));
    assertThat(seconds, lessThan(120.0));
    // the next pass has nothing left to move aside and adds nothing
    agent.answerPending();
    assertThat(world.auditLines("alpha").size(), equalTo(audit.size()));
  }

  @Test
  void aSignedBodyWithADuplicateKeyOrTrailingDataIsNotARequest() throws Exception {
    Messages.RoundRequest r = world.request("alpha", JOB, 1, 1, Artifacts.sha256Hex(global));
    String json = Signed.JSON.writeValueAsString(r.toJson());
    // the submitter's key signs bodies another parser would read differently
    String duplicate = json.replace("\"round\":1,", "\"round\":1,\"round\":2,");
    String trailing = json + "{\"round\":2}";
    int slot = 1;
    for (String body : List.of(duplicate, trailing)) {
      byte[] envelope = sealRaw(body.getBytes(StandardCharsets.UTF_8), world.submitter);
      Artifacts.writeAtomically(ex.request(new Exchange.Slot(JOB, 1, slot++)), envelope);
    }
    SiloAgent agent = world.agent("alpha");

    agent.answerPending();

    assertThat(agent.movedAside(), equalTo(2L));
    assertThat(Artifacts.exists(ex.answer(new Exchange.Slot(JOB, 1, 1))), equalTo(false));
    assertThat(Artifacts.exists(ex.answer(new Exchange.Slot(JOB, 1, 2))), equalTo(false));
    assertThat(world.auditLines("alpha"), hasItem(containsString("malformed message")));
    assertThat(world.auditLines("alpha"), not(hasItem(containsString("\"decision\":\"accepted\""))));
  }

  /** An envelope over exactly {@code body}'s bytes, as {@link Signed#seal} makes one over a parsed body. */
  static byte[] sealRaw(byte[] body, Keys.Identity signer) throws Exception {
    byte[] head = (Signed.FORMAT + "\n" + Messages.REQUEST + "\n").getBytes(StandardCharsets.UTF_8);
    byte[] signedBytes = new byte[head.length + body.length];
    System.arraycopy(head, 0, signedBytes, 0, head.length);
    System.arraycopy(body, 0, signedBytes, head.length, body.length);
    ObjectNode envelope = Signed.JSON.createObjectNode();
    envelope.put("format", Signed.FORMAT);
    envelope.put("type", Messages.REQUEST);
    envelope.put("signer", signer.keyId());
    envelope.put("body", java.util.Base64.getEncoder().encodeToString(body));
    envelope.put("signature", java.util.Base64.getEncoder().encodeToString(Signatures.sign(signer.privateKey(), signedBytes)));
    return Signed.JSON.writeValueAsBytes(envelope);
  }
}
