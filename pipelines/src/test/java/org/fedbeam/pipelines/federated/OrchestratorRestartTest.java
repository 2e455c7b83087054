package org.fedbeam.pipelines.federated;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.fedbeam.model.DpSgd;
import org.fedbeam.model.ModelFormat;
import org.fedbeam.model.Parameters;
import org.fedbeam.pipelines.loop.RoundLoop;
import org.fedbeam.pipelines.protocol.Exchange;
import org.fedbeam.pipelines.protocol.JobSpec;
import org.fedbeam.pipelines.protocol.Keys;
import org.fedbeam.pipelines.protocol.Messages;
import org.fedbeam.pipelines.protocol.RefusalReason;
import org.fedbeam.pipelines.rounds.RoundRecords;
import org.fedbeam.pipelines.rounds.SiloPipeline;
import org.fedbeam.pipelines.runners.Runners;
import org.fedbeam.transforms.Artifacts;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An orchestrator restarted in the middle of a round, against real silo agents under the default
 * DP policy (in this JVM, DirectRunner). The round cut by the restart is run again with the same
 * round record (round, silos, config, parent model): it is posted as a NEW attempt, and each silo,
 * which trained that global model already, re-sends its cached update (the same bytes, no fresh
 * noise, no second charge to its privacy budget). The attackers around a restart fail:
 * <ul>
 *   <li>a curious orchestrator that re-asks a trained round, hoping for fresh noise to average
 *       away, gets the very same update; with another global model, or other settings (a restarted
 *       orchestrator whose job file changed), it is refused as a replay;</li>
 *   <li>someone who can write to the exchange and re-posts an old signed request, in another slot
 *       or under another job id, is refused (the request does not match its place); in its own slot
 *       it is not trained again.</li>
 * </ul>
 */
class OrchestratorRestartTest {
  private static final DpSgd DP = new DpSgd(1.0, 1.0);
  @TempDir
  Path dir;
  private World world;

  @BeforeEach
  void setUp() throws Exception {
    world = new World(dir, List.of("alpha", "beta"));
    for (String silo : world.siloKeys.keySet()) {
      ObjectNode p = world.policy(silo);
      p.remove("differential_privacy"); // the default: DP required, lifetime epsilon 8 at delta 1e-5
      world.writePolicy(silo, p);
      world.serve(silo);
    }
  }

  @AfterEach
  void tearDown() throws Exception {
    world.close();
  }

  @Test
  void aRoundRunAgainAfterARestartIsAnsweredFromTheSilosCachesAndGivesTheSameModel() throws Exception {
    Path file = world.job("restart", 1, 2, 60, OrchestratorRestartTest::withDp);
    JobSpec job = JobSpec.read(file);
    Orchestrator.run(options(file), System.out);
    String output = job.output();
    byte[] model = Files.readAllBytes(Path.of(RoundLoop.modelUri(output, 1)));
    byte[] state = Files.readAllBytes(Path.of(RoundLoop.stateUri(output, 1)));

    // the restarted orchestrator runs round 1 again (cut, say, after its aggregation, before its checkpoint)
    String log = runRoundAgain(job);

    assertThat(log, containsString("attempt(s) 1-1 were posted before the restart; this run posts attempt 2"));
    assertArrayEquals(model, Files.readAllBytes(Path.of(RoundLoop.modelUri(output, 1))), "the round's model");
    assertArrayEquals(state, Files.readAllBytes(Path.of(RoundLoop.stateUri(output, 1))), "the round's server state");
    for (String silo : world.siloKeys.keySet()) {
      assertThat(world.answer(silo, "restart", 1, 2).type(), equalTo(Messages.UPDATE));
      assertArrayEquals(update(silo, "restart", 1, 1), update(silo, "restart", 1, 2), silo + "'s re-sent update");
      assertThat(world.auditLines(silo), hasItem(containsString("\"decision\":\"update re-sent\"")));
      assertThat(silo + " trained once", trainings(silo), equalTo(1L));
    }
    JsonNode posted = RoundRecords.readJson(Path.of(output, "posted/round-0001.json").toString(), "posted");
    assertThat(posted.get("attempts_posted").asInt(), equalTo(2));
  }

  /** The curious orchestrator: re-asking a trained round gives the same bytes; another model in it is a replay. */
  @Test
  void reAskingARoundForFreshNoiseGetsTheSameUpdateAndAnotherModelIsRefused() throws Exception {
    Path file = world.job("curious", 1, 2, 60, OrchestratorRestartTest::withDp);
    JobSpec job = JobSpec.read(file);
    Orchestrator.run(options(file), System.out);
    byte[] global = Files.readAllBytes(Path.of(RoundLoop.modelUri(job.output(), 0)));
    TrainConfigRef config = new TrainConfigRef(job);

    Messages.RoundRequest again = config.request("alpha", 1, 2, global);
    world.publish("alpha", again, world.submitter, global);
    awaitAnswer("alpha", "curious", 1, 2);
    assertArrayEquals(update("alpha", "curious", 1, 1), update("alpha", "curious", 1, 2), "the re-asked update");

    float[] values = ModelFormat.decode(global, "global").toArray();
    values[0] += 0.5f;
    byte[] other = ModelFormat.encode(Parameters.copyOf(job.spec(), values));
    world.publish("alpha", config.request("alpha", 1, 3, other), world.submitter, other);
    awaitAnswer("alpha", "curious", 1, 3);
    SiloAgentTest.assertRefused(world, "alpha", "curious", 1, 3, RefusalReason.REPLAY, "a round is trained once");
    assertThat(trainings("alpha"), equalTo(1L));
  }

  /** A restarted orchestrator whose job file changed a training setting: the silos refuse the round as a replay. */
  @Test
  void aRestartedOrchestratorWithChangedTrainingSettingsIsRefusedAsAReplay() throws Exception {
    Path file = world.job("changed", 1, 2, 60, OrchestratorRestartTest::withDp);
    JobSpec job = JobSpec.read(file);
    Orchestrator.run(options(file), System.out);
    JobSpec changed = JobSpec.read(world.job("changed", 1, 2, 60, j -> {
      withDp(j);
      ((ObjectNode) j.get("train")).put("epochs", 1); // within the policy's bounds, not the settings trained
    }));

    Orchestrator.JobFailed e = assertThrows(Orchestrator.JobFailed.class, () -> runRoundAgain(changed));

    assertThat(e.getMessage(), containsString("alpha refused: " + RefusalReason.REPLAY.text()));
    SiloAgentTest.assertRefused(world, "alpha", "changed", 1, 2, RefusalReason.REPLAY, "it is not trained again");
    SiloAgentTest.assertRefused(world, "beta", "changed", 1, 3, RefusalReason.REPLAY, "it is not trained again");
    assertThat(trainings("alpha"), equalTo(1L));
    assertThat(trainings("beta"), equalTo(1L));
  }

  /** Someone who can write to the exchange re-posts an old signed request: in another slot, another job, its own slot. */
  @Test
  void anOldRequestRePostedInTheExchangeIsRefusedOrIgnoredNeverTrained() throws Exception {
    Path file = world.job("old", 1, 2, 60, OrchestratorRestartTest::withDp);
    JobSpec job = JobSpec.read(file);
    Orchestrator.run(options(file), System.out);
    Exchange ex = new Exchange(world.exchanges.get("alpha"));
    Exchange.Slot first = new Exchange.Slot("old", 1, 1);
    byte[] request = Files.readAllBytes(Path.of(ex.request(first)));
    byte[] global = Files.readAllBytes(Path.of(ex.globalModel(first)));

    // in a later attempt's slot, and under another job id: the signed body does not match the place
    for (Exchange.Slot slot : List.of(new Exchange.Slot("old", 1, 2), new Exchange.Slot("other-job", 1, 1))) {
      Artifacts.writeAtomically(ex.globalModel(slot), global);
      Artifacts.writeAtomically(ex.request(slot), request);
      awaitAnswer("alpha", slot.jobId(), slot.round(), slot.attempt());
      SiloAgentTest.assertRefused(world, "alpha", slot.jobId(), slot.round(), slot.attempt(),
          RefusalReason.INVALID_REQUEST, "the request does not match its place in the exchange");
    }
    // in its own slot, its answer deleted: answered before, so not answered (nor trained) again
    Files.delete(Path.of(ex.answer(first)));
    // a barrier instead of a wait: a request posted after the deletion, in a later slot, is answered by a
    // poll that lists the exchange's slots in order, so that poll has passed the answerless slot first
    Exchange.Slot later = new Exchange.Slot("old", 1, 3);
    Artifacts.writeAtomically(ex.globalModel(later), global);
    Artifacts.writeAtomically(ex.request(later), request);
    awaitAnswer("alpha", later.jobId(), later.round(), later.attempt());
    assertThat(Artifacts.exists(ex.answer(first)), equalTo(false));
    assertThat(trainings("alpha"), equalTo(1L));
  }

  /** The round record the loop gives a round cut by a restart: the same round, silos, config and parent. */
  private String runRoundAgain(JobSpec job) throws Exception {
    String output = job.output();
    RoundLoop.Settings settings = Orchestrator.settings(job);
    List<String> silos = job.silos().stream().map(JobSpec.Silo::id).toList();
    RoundLoop.Round round = new RoundLoop.Round(1, settings.participation().sample(1, silos, settings.seed()),
        settings.strategy().configureRound(1, settings.config()), RoundLoop.modelUri(output, 0),
        RoundLoop.modelUri(output, 1), RoundLoop.roundDir(output, 1), RoundLoop.stateUri(output, 0),
        RoundLoop.stateUri(output, 1));
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    PrintStream out = new PrintStream(bytes, true, java.nio.charset.StandardCharsets.UTF_8);
    OrchestrateOptions options = options(Path.of(output, "unused-job.json"));
    ExchangeRounds exchange = new ExchangeRounds(job, Keys.load(job.submitterKey()), options, out, Clock.systemUTC(),
        ExchangeRounds.Sleeper.REAL);
    try (Runners.Session session = Runners.prepare(options, output, "0", out)) {
      exchange.using(session.roundRunner(job.jobId())).run(round);
    } finally {
      System.out.print(bytes.toString(java.nio.charset.StandardCharsets.UTF_8));
    }
    return bytes.toString(java.nio.charset.StandardCharsets.UTF_8);
  }

  /** Requests as the job's orchestrator would sign them, for the attacks. */
  private record TrainConfigRef(JobSpec job) {
    Messages.RoundRequest request(String silo, int round, int attempt, byte[] global) {
      return new Messages.RoundRequest(job.jobId(), round, attempt, Messages.newNonce(), silo, SiloPipeline.REF,
          job.spec(), Artifacts.sha256Hex(global), job.strategy().configureRound(round, job.config()),
          org.fedbeam.model.Seeds.derive(job.seed(), "local-train", round, 0), System.currentTimeMillis() + 60_000);
    }
  }

  private static void withDp(ObjectNode job) {
    ((ObjectNode) job.get("train")).putObject("dp").put("clip", DP.clip()).put("noise_multiplier", DP.noiseMultiplier());
    job.put("max_attempts", 2);
  }

  private static OrchestrateOptions options(Path job) {
    return PipelineOptionsFactory.fromArgs("--runner=DirectRunner", "--job=" + job, "--warmUpRuns=0")
        .as(OrchestrateOptions.class);
  }

  private byte[] update(String silo, String jobId, int round, int attempt) throws Exception {
    return Files.readAllBytes(Path.of(new Exchange(world.exchanges.get(silo))
        .updateWeights(new Exchange.Slot(jobId, round, attempt))));
  }

  /** How many DP trainings the silo's lifetime ledger charged. */
  private long trainings(String silo) throws Exception {
    JsonNode ledger = RoundRecords.readJson(dir.resolve("private/" + silo + "/state/privacy-ledger.json").toString(),
        "ledger");
    return ledger.get("private_trainings").asLong();
  }

  private void awaitAnswer(String silo, String jobId, int round, int attempt) throws Exception {
    Exchange ex = new Exchange(world.exchanges.get(silo));
    long deadline = System.currentTimeMillis() + 60_000;
    while (!ex.hasAnswer(new Exchange.Slot(jobId, round, attempt))) {
      if (System.currentTimeMillis() > deadline) {
        throw new AssertionError(silo + " never answered " + jobId + " r" + round + " a" + attempt);
      }
      Thread.sleep(50);
    }
  }
}
