package org.fedbeam.pipelines.federated;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.allOf;
import static org.hamcrest.Matchers.closeTo;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.fedbeam.model.DenseNetwork;
import org.fedbeam.model.ModelFormat;
import org.fedbeam.model.Parameters;
import org.fedbeam.pipelines.protocol.Exchange;
import org.fedbeam.pipelines.protocol.JobSpec;
import org.fedbeam.pipelines.protocol.Keys;
import org.fedbeam.pipelines.protocol.Messages;
import org.fedbeam.pipelines.protocol.Signed;
import org.fedbeam.pipelines.rounds.RoundRecords;
import org.fedbeam.transforms.Artifacts;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Silos that lie to the orchestrator, replayed against the real orchestrator (DirectRunner): each
 * silo here is an attacker that answers the orchestrator's real requests in its exchange with
 * updates and claims of its choosing, signed with its own key.
 */
class LyingSiloTest {
  @TempDir
  Path dir;
  private final List<Thread> attackers = new java.util.ArrayList<>();
  private volatile boolean done;

  @AfterEach
  void tearDown() throws Exception {
    done = true;
    for (Thread t : attackers) {
      t.join(10_000);
    }
  }

  @Test
  void claimsAboveTheDeclaredCountAreInvalidAndAnOversizedShareIsCappedTheRestAveragedExactly() throws Exception {
    World world = new World(dir, List.of("liar", "edge", "big", "small1", "small2"));
    Map<String, Long> declared = Map.of("liar", 120L, "edge", 120L, "big", 500L, "small1", 100L, "small2", 100L);
    Map<String, Double> claims = Map.of("liar", 1e9, "edge", 121.0, "big", 500.0, "small1", 100.0, "small2", 100.0);
    Map<String, Parameters> updates = new LinkedHashMap<>();
    long seed = 70;
    for (String silo : declared.keySet().stream().sorted().toList()) {
      updates.put(silo, new DenseNetwork(World.SPEC).initialize(seed++));
      attack(world, "lies", silo, updates.get(silo), claims.get(silo));
    }
    Path jobFile = world.job("lies", 1, 3, 60, j -> {
      j.put("max_silo_share", 0.5);
      j.get("silos").forEach(s -> ((ObjectNode) s).put("samples", declared.get(s.get("id").asText())));
    });

    ObjectNode summary = orchestrate(jobFile);

    assertThat(summary.get("updates_accepted").asInt(), equalTo(3));
    assertThat(summary.get("updates_invalid").asInt(), equalTo(2));
    JsonNode round = RoundRecords.readJson(dir.resolve("orchestrator/run-lies/rounds/round-0001/round.json").toString(),
        "round");
    JsonNode silos = round.get("attempts").get(0).get("silos");
    assertThat(silos.get("liar").get("status").asText(), equalTo("invalid"));
    assertThat(silos.get("liar").get("reason").asText(),
        containsString("update claims more samples than liar declared: 1000000000 > 120"));
    assertThat(silos.get("edge").get("status").asText(), equalTo("invalid"));
    assertThat(silos.get("edge").get("reason").asText(), containsString("more samples than edge declared: 121 > 120"));
    assertThat(round.get("aggregated").toString(), equalTo("[\"big\",\"small1\",\"small2\"]"));
    // big's legit 500 of 700 (0.71) is capped at 0.5: W = 200 / (1 - 0.5) = 400, big weighs 200
    JsonNode weights = round.get("weights");
    assertThat(weights.get("big").get("share").asDouble(), closeTo(0.5, 1e-6));
    assertThat(weights.get("big").get("samples").asLong(), equalTo(500L));
    assertThat(weights.get("big").get("capped").asText(), allOf(containsString("capped at 0.5"),
        containsString("max_silo_share")));
    assertThat(weights.get("small1").get("share").asDouble(), closeTo(0.25, 1e-6));
    assertThat(weights.get("small1").has("capped"), equalTo(false));
    // the global model is the hand-computed mean 0.5 big + 0.25 small1 + 0.25 small2, the liars' updates nowhere
    Parameters global = ModelFormat.decode(Artifacts.read(dir.resolve("orchestrator/run-lies/models/round-0001.fbm")
        .toString(), "global"), "global");
    for (int i = 0; i < global.size(); i++) {
      double expected = 0.5 * updates.get("big").get(i) + 0.25 * updates.get("small1").get(i)
          + 0.25 * updates.get("small2").get(i);
      assertThat("parameter " + i, (double) global.get(i), closeTo(expected, 1e-6));
    }
  }

  @Test
  void aSiloWithoutADeclaredCountGetsAtMostAnEqualShare() throws Exception {
    World world = new World(dir, List.of("quiet", "honest"));
    Parameters quiet = new DenseNetwork(World.SPEC).initialize(81L);
    Parameters honest = new DenseNetwork(World.SPEC).initialize(82L);
    attack(world, "undeclared", "quiet", quiet, 1e9); // declares nothing, claims a billion
    attack(world, "undeclared", "honest", honest, 100.0);
    Path jobFile = world.job("undeclared", 1, 2, 60, j -> ((ObjectNode) j.get("silos").get(1)).put("samples", 100));

    ObjectNode summary = orchestrate(jobFile);

    assertThat(summary.get("updates_accepted").asInt(), equalTo(2));
    JsonNode weights = RoundRecords.readJson(dir.resolve("orchestrator/run-undeclared/rounds/round-0001/round.json")
        .toString(), "round").get("weights");
    assertThat(weights.get("quiet").get("share").asDouble(), closeTo(0.5, 1e-6));
    assertThat(weights.get("quiet").get("capped").asText(), containsString("no declared sample count"));
    Parameters global = ModelFormat.decode(Artifacts.read(dir.resolve("orchestrator/run-undeclared/models/round-0001.fbm")
        .toString(), "global"), "global");
    for (int i = 0; i < global.size(); i++) {
      assertThat((double) global.get(i), closeTo(0.5 * quiet.get(i) + 0.5 * honest.get(i), 1e-6));
    }
  }

  @Test
  void duringAKeyRotationBothKeysAreAcceptedAndTheOldOneIsRefusedAfterItsNotAfter() throws Exception {
    World world = new World(dir, List.of("alpha", "beta"));
    Keys.Identity old = world.siloKeys.get("alpha");
    Keys.Identity rotated = Keys.create(dir.resolve("private/alpha/key-new"));
    Instant notAfter = Instant.parse("2030-07-01T00:00:00Z");
    Path jobFile = world.job("rotate", 1, 1, 5, j -> {
      ObjectNode alpha = (ObjectNode) j.get("silos").get(0);
      alpha.remove("public_key");
      alpha.putArray("public_keys").add(Signed.JSON.createObjectNode().put("public_key", old.publicKeyBase64())
          .put("not_after", notAfter.toString())).add(Signed.JSON.createObjectNode()
          .put("public_key", rotated.publicKeyBase64()).put("not_before", "2030-06-01T00:00:00+02:00"));
    });
    JobSpec job = JobSpec.read(jobFile);
    byte[] global = World.encode(world.initialModel());
    String sha = Artifacts.sha256Hex(global);
    Exchange.Slot slot = new Exchange.Slot("rotate", 1, 1);
    JobSpec.Silo alpha = job.silos().get(0);
    Exchange ex = new Exchange(alpha.exchange());
    Orchestrator before = orchestrator(job, "2030-05-31T12:00:00Z");
    Orchestrator overlap = orchestrator(job, "2030-06-15T00:00:00Z");
    Orchestrator after = orchestrator(job, "2030-07-01T00:00:01Z");

    signedAnswer(ex, slot, sha, global, rotated);
    assertThat(overlap.verify(alpha, ex, slot, nonce(), world.initialModel(), sha, 0).status(), equalTo("accepted"));
    assertThat(after.verify(alpha, ex, slot, nonce(), world.initialModel(), sha, 0).status(), equalTo("accepted"));
    ExchangeRounds.Answer early = before.verify(alpha, ex, slot, nonce(), world.initialModel(), sha, 0);
    assertThat(early.status(), equalTo("invalid"));
    assertThat(early.reason(), allOf(containsString("signed by a key of alpha that is not valid now"),
        containsString("valid from 2030-05-31T22:00:00Z")));

    signedAnswer(ex, slot, sha, global, old);
    assertThat(before.verify(alpha, ex, slot, nonce(), world.initialModel(), sha, 0).status(), equalTo("accepted"));
    assertThat(overlap.verify(alpha, ex, slot, nonce(), world.initialModel(), sha, 0).status(), equalTo("accepted"));
    ExchangeRounds.Answer expired = after.verify(alpha, ex, slot, nonce(), world.initialModel(), sha, 0);
    assertThat(expired.status(), equalTo("invalid"));
    assertThat(expired.reason(), allOf(containsString("signed by a key of alpha that is not valid now"),
        containsString("key id " + old.keyId() + ", expired at 2030-07-01T00:00:00Z")));

    // and a key of another silo is still refused as not alpha's
    signedAnswer(ex, slot, sha, global, world.siloKeys.get("beta"));
    assertThat(overlap.verify(alpha, ex, slot, nonce(), world.initialModel(), sha, 0).reason(),
        containsString("not signed by alpha's key"));
  }

  private Orchestrator orchestrator(JobSpec job, String now) {
    return new Orchestrator(job, options(), System.out, Clock.fixed(Instant.parse(now), ZoneOffset.UTC));
  }

  private static String nonce() {
    return String.format("%032x", 1);
  }

  private static void signedAnswer(Exchange ex, Exchange.Slot slot, String modelSha, byte[] weights, Keys.Identity key) {
    Messages.UpdateReport report = new Messages.UpdateReport(slot.jobId(), slot.round(), nonce(), "alpha", modelSha,
        Artifacts.sha256Hex(weights), Map.of("samples", 120.0, "train_loss", 0.5, "train_ms", 3.0));
    Artifacts.writeAtomically(ex.updateWeights(slot), weights);
    Artifacts.writeAtomically(ex.answer(slot), Signed.seal(Messages.UPDATE, report.toJson(), key));
  }

  /**
   * The lying silo: it waits for the orchestrator's signed request of round 1, attempt 1 in its
   * exchange and answers it with {@code weights}, claiming {@code samples}, signed with its own key.
   */
  private void attack(World world, String jobId, String silo, Parameters weights, double samples) {
    Thread t = new Thread(() -> {
      Exchange ex = new Exchange(world.exchanges.get(silo));
      Exchange.Slot slot = new Exchange.Slot(jobId, 1, 1);
      try {
        while (!done && !Artifacts.exists(ex.request(slot))) {
          Thread.sleep(20);
        }
        if (done) {
          return;
        }
        Signed.Opened request = Signed.open(Artifacts.read(ex.request(slot), "request"), java.util.Set.of(Messages.REQUEST),
            Map.of(world.submitter.keyId(), world.submitter.publicKey()));
        Messages.RoundRequest r = Messages.RoundRequest.fromJson(request.body());
        byte[] bytes = ModelFormat.encode(weights);
        Messages.UpdateReport report = new Messages.UpdateReport(jobId, 1, r.nonce(), silo, r.modelSha256(),
            Artifacts.sha256Hex(bytes), Map.of("samples", samples, "train_loss", 0.5, "train_ms", 10.0));
        Artifacts.writeAtomically(ex.updateWeights(slot), bytes);
        Artifacts.writeAtomically(ex.answer(slot), Signed.seal(Messages.UPDATE, report.toJson(), world.siloKeys.get(silo)));
      } catch (Exception e) {
        throw new IllegalStateException("the lying silo " + silo + " failed", e);
      }
    }, "lying-" + silo);
    t.setDaemon(true);
    t.start();
    attackers.add(t);
  }

  private static ObjectNode orchestrate(Path job) throws Exception {
    OrchestrateOptions options = options();
    options.setJob(job.toString());
    return Orchestrator.run(options, System.out);
  }

  private static OrchestrateOptions options() {
    return PipelineOptionsFactory.fromArgs("--runner=DirectRunner", "--job=unused", "--warmUpRuns=0")
        .as(OrchestrateOptions.class);
  }
}
