package org.fedbeam.pipelines.federated;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.allOf;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.lessThan;
import static org.hamcrest.Matchers.not;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.fedbeam.pipelines.protocol.JobSpec;
import org.fedbeam.pipelines.protocol.Messages;
import org.fedbeam.pipelines.protocol.RefusalReason;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The orchestrator's waiting, on a virtual clock (issue 11, part 3: "exchange polling takes an
 * injectable clock"): jobs with a round timeout of 300 s and a grace period of 60 s, silos played
 * by {@link ScriptedSilos} at given virtual times, and no real waiting. The aggregation pipeline
 * runs for real (DirectRunner).
 */
class OrchestratorTimingTest {
  private static final double TIMEOUT_S = 300;
  private static final double GRACE_S = 60;
  private static final double POLL_S = 1;

  @TempDir
  Path dir;
  private World world;

  @BeforeEach
  void setUp() throws Exception {
    world = new World(dir, List.of("alpha", "beta", "gamma"));
  }

  /**
   * (a) alpha answers at 10 s, beta at 290 s (the quorum of 2 is in, but its 60 s of grace would
   * end after the deadline), gamma never: the round closes exactly at the 300 s deadline, gamma
   * "timed out" saying so, and the round goes on with alpha and beta.
   */
  @Test
  void aSiloThatNeverAnswersTimesOutExactlyAtTheDeadlineAndTheRoundGoesOnWithTheQuorum() throws Exception {
    ScriptedSilos silos = new ScriptedSilos(world, "deadline").update("alpha", 1, 1, 10).update("beta", 1, 1, 290);
    long realStart = System.nanoTime();

    ObjectNode summary = orchestrate(job("deadline", 1, 2), silos);

    double realSeconds = (System.nanoTime() - realStart) / 1e9;
    assertThat(silos.openSeconds(1, 1), equalTo(TIMEOUT_S));
    JsonNode attempt = summary.get("rounds").get(0).get("attempts").get(0).get("silos");
    assertThat(attempt.get("gamma").get("status").asText(), equalTo("timed out"));
    assertThat(attempt.get("gamma").get("reason").asText(), equalTo("no answer within the round's 300.0 s"));
    // latencies are measured on the same clock: each answer was seen at the first poll after it was written
    assertThat(attempt.get("alpha").get("latency_s").asDouble(), equalTo(10.0));
    assertThat(attempt.get("beta").get("latency_s").asDouble(), equalTo(290.0));
    assertThat(summary.get("rounds").get(0).get("aggregated").toString(), equalTo("[\"alpha\",\"beta\"]"));
    assertThat(summary.get("rounds_completed").asInt(), equalTo(1));
    assertThat(summary.get("silos_timed_out").asInt(), equalTo(1));
    assertThat(Files.exists(dir.resolve("orchestrator/run-deadline/models/round-0001.fbm")), equalTo(true));
    // one poll per second of virtual time, and none of it waited for real
    assertThat(silos.sleeps, equalTo((int) (TIMEOUT_S / POLL_S)));
    // (about 2 s once the JVM is warm; the bound leaves room for a cold DirectRunner on a loaded machine)
    assertThat(realSeconds, lessThan(TIMEOUT_S / 2));
  }

  /**
   * (b) alpha at 10 s and beta at 20 s make the quorum of 2; gamma would answer at 100 s: the round
   * closes exactly 60 s (grace_s) after the quorum, at 80 s, and leaves gamma out with the reason.
   */
  @Test
  void onceTheQuorumIsInTheRoundClosesAfterExactlyTheGracePeriod() throws Exception {
    ScriptedSilos silos = new ScriptedSilos(world, "grace").update("alpha", 1, 1, 10).update("beta", 1, 1, 20)
        .update("gamma", 1, 1, 100);

    ObjectNode summary = orchestrate(job("grace", 1, 2), silos);

    assertThat(silos.openSeconds(1, 1), equalTo(20 + GRACE_S));
    JsonNode round = summary.get("rounds").get(0);
    JsonNode gamma = round.get("attempts").get(0).get("silos").get("gamma");
    assertThat(gamma.get("status").asText(), equalTo("timed out"));
    assertThat(gamma.get("reason").asText(), equalTo("no answer when the quorum closed the round, 80.0 s after the request"));
    assertThat(round.get("aggregated").toString(), equalTo("[\"alpha\",\"beta\"]"));
    assertThat(round.get("left_out").get("gamma").asText(),
        equalTo("timed out: no answer when the quorum closed the round, 80.0 s after the request"));
    // gamma's answer never came in: the scripted silo was not yet due when the orchestrator stopped polling
    assertThat(silos.requests.stream().filter(r -> r.silo().equals("gamma")).count(), equalTo(0L));
  }

  /** When every silo has answered the round closes at once, without waiting for the grace period. */
  @Test
  void whenEverySiloHasAnsweredTheRoundClosesAtOnce() throws Exception {
    ScriptedSilos silos = new ScriptedSilos(world, "all").update("alpha", 1, 1, 3).update("beta", 1, 1, 4)
        .update("gamma", 1, 1, 5).update("alpha", 2, 1, 1).update("beta", 2, 1, 1).update("gamma", 2, 1, 2);

    ObjectNode summary = orchestrate(job("all", 2, 2), silos);

    assertThat(silos.openSeconds(1, 1), equalTo(5.0));
    assertThat(silos.openSeconds(2, 1), equalTo(2.0));
    assertThat(summary.get("rounds_completed").asInt(), equalTo(2));
    assertThat(summary.get("updates_accepted").asInt(), equalTo(6));
    assertThat(summary.get("silos_timed_out").asInt(), equalTo(0));
  }

  /**
   * (c) a quorum of 3 that is never met: alpha answers, beta refuses, gamma is silent. Attempt 1
   * waits out the deadline, attempt 2 is published with new nonces and waits it out again, then the
   * job fails naming each silo and its reason; no model of round 1 is written.
   */
  @Test
  void withoutAQuorumTheRoundIsRetriedWithNewNoncesThenTheJobFailsNamingTheSilosAndReasons() throws Exception {
    ScriptedSilos silos = new ScriptedSilos(world, "retry").update("alpha", 1, 1, 5).refuse("beta", 1, 1, 7)
        .update("alpha", 1, 2, 5).refuse("beta", 1, 2, 7);

    Orchestrator.JobFailed e = assertThrows(Orchestrator.JobFailed.class, () -> orchestrate(job("retry", 1, 3), silos));

    assertThat(e.getMessage(), allOf(containsString("round 1 had 1 valid update(s) after 2 attempt(s)"),
        containsString("the quorum is 3"), containsString("alpha accepted"),
        containsString("beta refused: " + RefusalReason.OUTSIDE_POLICY.text()),
        containsString("gamma timed out: no answer within the round's 300.0 s")));
    assertThat(silos.openSeconds(1, 1), equalTo(TIMEOUT_S));
    assertThat(silos.openSeconds(1, 2), equalTo(TIMEOUT_S));
    // attempt 2 was published when attempt 1 closed, with a new nonce for every silo
    assertThat(silos.published.get(new org.fedbeam.pipelines.protocol.Exchange.Slot("retry", 1, 2))
        - silos.published.get(new org.fedbeam.pipelines.protocol.Exchange.Slot("retry", 1, 1)), equalTo(300_000L));
    List<Messages.RoundRequest> alpha = silos.requests.stream().filter(r -> r.silo().equals("alpha")).toList();
    List<Messages.RoundRequest> beta = silos.requests.stream().filter(r -> r.silo().equals("beta")).toList();
    assertThat(alpha.size(), equalTo(2));
    assertThat(alpha.get(1).attempt(), equalTo(2));
    assertThat(alpha.get(1).nonce(), not(equalTo(alpha.get(0).nonce())));
    assertThat(beta.get(1).nonce(), not(equalTo(beta.get(0).nonce())));
    // the deadline each request states is the orchestrator's: 300 s after its publication, on its clock
    assertThat(alpha.get(0).deadlineMillis() - silos.published.get(
        new org.fedbeam.pipelines.protocol.Exchange.Slot("retry", 1, 1)), equalTo(300_000L));
    assertThat(Files.exists(dir.resolve("orchestrator/run-retry/models/round-0001.fbm")), equalTo(false));
  }

  private Path job(String id, int rounds, int minSilos) throws Exception {
    return world.job(id, rounds, minSilos, TIMEOUT_S, j -> {
      j.put("grace_s", GRACE_S);
      j.put("poll_ms", (long) (POLL_S * 1000));
    });
  }

  private ObjectNode orchestrate(Path jobFile, ScriptedSilos silos) throws Exception {
    OrchestrateOptions options = PipelineOptionsFactory.fromArgs("--runner=DirectRunner", "--warmUpRuns=0",
        "--job=" + jobFile).as(OrchestrateOptions.class);
    return new Orchestrator(JobSpec.read(jobFile), options, System.out, silos.clock, silos).run();
  }
}
