package org.fedbeam.pipelines.federated;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.allOf;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.not;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.fedbeam.model.TrainConfig;
import org.fedbeam.pipelines.Fixtures;
import org.fedbeam.pipelines.protocol.Exchange;
import org.fedbeam.pipelines.protocol.Keys;
import org.fedbeam.pipelines.protocol.Messages;
import org.fedbeam.pipelines.protocol.RefusalReason;
import org.fedbeam.pipelines.protocol.Signed;
import org.fedbeam.pipelines.rounds.RoundRecords;
import org.fedbeam.transforms.Artifacts;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A strategy's local part, FedProx's mu, goes through each silo's policy like any other
 * hyperparameter (issue 11, "Bad input": a silo's policy can approve strategies' local parts within
 * bounds): the silo trains with the proximal term when mu is within its {@code max_proximal_mu},
 * refuses the request OUTSIDE_POLICY when it is above, and a policy with {@code max_proximal_mu 0}
 * refuses any FedProx job. Real agents and orchestrator (DirectRunner).
 */
class ProximalMuPolicyTest {
  @TempDir
  Path dir;
  private World world;

  @BeforeEach
  void setUp() throws Exception {
    world = new World(dir, List.of("alpha", "beta", "gamma"));
  }

  @AfterEach
  void tearDown() throws Exception {
    world.close();
  }

  /**
   * Three silos with the same shard and the same secret (so the same seed for the same job and
   * round): the two sent mu 0.5 return the same update, the one sent mu 0 another: the difference
   * is the proximal term's, and the silo applied it.
   */
  @Test
  void aRequestWithMuWithinThePolicyTrainsWithTheProximalTerm() throws Exception {
    byte[] secret = Keys.siloSecret(world.privateDir("alpha").resolve("key"));
    for (String silo : List.of("beta", "gamma")) {
      world.writePolicy(silo, world.policy(silo).put("data", world.data.get("alpha")));
      Files.write(world.privateDir(silo).resolve("key").resolve(Keys.SILO_SECRET_FILE), secret);
    }
    byte[] global = World.encode(world.initialModel());
    Map<String, Double> mus = Map.of("alpha", 0.5, "beta", 0.0, "gamma", 0.5);
    java.util.Map<String, String> updates = new java.util.TreeMap<>();
    for (String silo : List.of("alpha", "beta", "gamma")) {
      Messages.RoundRequest r = world.request(silo, "prox", 1, 1, Artifacts.sha256Hex(global));
      TrainConfig config = Fixtures.CONFIG.withProximalMu(mus.get(silo));
      r = new Messages.RoundRequest(r.jobId(), 1, 1, r.nonce(), silo, r.pipeline(), r.spec(), r.modelSha256(), config,
          r.seed(), r.deadlineMillis());
      world.publish(silo, r, world.submitter, global);
      world.agent(silo).answerPending();
      Signed.Opened answer = world.answer(silo, "prox", 1, 1);
      assertThat(silo + "'s answer", answer.type(), equalTo(Messages.UPDATE));
      updates.put(silo, Messages.UpdateReport.fromJson(answer.body()).updateSha256());
      // what the silo trained with, as its round record states it
      JsonNode current = RoundRecords.readJson(world.privateDir(silo).resolve("state/current-round.json").toString(),
          "round");
      // (the JSON form of a config leaves proximal_mu out when it is 0)
      assertThat(current.toString(), current.path("train").path("proximal_mu").asDouble(0.0), equalTo(mus.get(silo)));
    }
    assertThat(updates.get("gamma"), equalTo(updates.get("alpha")));
    assertThat(updates.get("beta"), not(equalTo(updates.get("alpha"))));
  }

  /**
   * A FedProx job with mu 2: alpha's policy keeps the default bound (1.0) and refuses, OUTSIDE_POLICY,
   * with the detail in its audit log only and no update written; beta and gamma allow up to 5 and
   * train. Every request the orchestrator published carried proximal_mu 2; the round goes on with
   * beta and gamma and records alpha as refused.
   */
  @Test
  void aFedProxJobWithMuAboveASilosBoundIsRefusedByThatSiloAndTheRoundGoesOn() throws Exception {
    for (String silo : List.of("beta", "gamma")) {
      world.writePolicy(silo, world.policy(silo).put("max_proximal_mu", 5.0));
    }
    for (String silo : List.of("alpha", "beta", "gamma")) {
      serve(silo);
    }

    ObjectNode summary = orchestrate(world.job("prox-high", 1, 2, 60,
        j -> j.putObject("strategy").put("name", "fedprox").put("mu", 2.0)));

    JsonNode silos = summary.get("rounds").get(0).get("attempts").get(0).get("silos");
    assertThat(silos.get("alpha").get("status").asText(), equalTo("refused"));
    assertThat(silos.get("alpha").get("reason").asText(), equalTo(RefusalReason.OUTSIDE_POLICY.text()));
    assertThat(silos.get("beta").get("status").asText(), equalTo("accepted"));
    assertThat(silos.get("gamma").get("status").asText(), equalTo("accepted"));
    assertThat(summary.get("rounds").get(0).get("aggregated").toString(), equalTo("[\"beta\",\"gamma\"]"));
    assertThat(summary.get("updates_refused").asInt(), equalTo(1));
    for (String silo : List.of("alpha", "beta", "gamma")) {
      assertThat(silo + "'s request", request(silo, "prox-high").config().proximalMu(), equalTo(2.0));
    }
    SiloAgentTest.assertRefused(world, "alpha", "prox-high", 1, 1, RefusalReason.OUTSIDE_POLICY,
        "proximal_mu 2.0 > max_proximal_mu 1.0 (FedProx)");
  }

  /**
   * Every silo's policy says {@code max_proximal_mu: 0}: a FedProx job (with its default mu 0.01)
   * is refused by all of them and fails naming each silo's refusal; the same silos train a FedAvg job.
   */
  @Test
  void aPolicyWithMaxProximalMuZeroRefusesAnyFedProxJob() throws Exception {
    for (String silo : List.of("alpha", "beta", "gamma")) {
      world.writePolicy(silo, world.policy(silo).put("max_proximal_mu", 0));
    }
    for (String silo : List.of("alpha", "beta", "gamma")) {
      serve(silo);
    }

    Orchestrator.JobFailed e = assertThrows(Orchestrator.JobFailed.class, () -> orchestrate(world.job("prox-none", 1,
        1, 60, j -> j.put("strategy", "fedprox"))));

    String refused = "refused: " + RefusalReason.OUTSIDE_POLICY.text();
    assertThat(e.getMessage(), allOf(containsString("round 1 had 0 valid update(s) after 2 attempt(s)"),
        containsString("alpha " + refused), containsString("beta " + refused), containsString("gamma " + refused)));
    assertThat(request("beta", "prox-none").config().proximalMu(), equalTo(0.01));
    SiloAgentTest.assertRefused(world, "beta", "prox-none", 1, 2, RefusalReason.OUTSIDE_POLICY,
        "proximal_mu 0.01 > max_proximal_mu 0.0 (FedProx)");

    ObjectNode fedavg = orchestrate(world.job("avg-ok", 1, 3, 60, j -> j.put("strategy", "fedavg")));
    assertThat(fedavg.get("updates_accepted").asInt(), equalTo(3));
  }

  /** The round-1 attempt-1 request the orchestrator published for {@code silo}, opened with the submitter's key. */
  private Messages.RoundRequest request(String silo, String job) throws Exception {
    Exchange ex = new Exchange(world.exchanges.get(silo));
    Exchange.Slot slot = new Exchange.Slot(job, 1, 1);
    String uri = ex.request(slot);
    if (!Artifacts.exists(uri)) { // the agent may have moved a handled request along: look where it keeps it
      throw new AssertionError("no request for " + silo + " at " + uri);
    }
    Signed.Opened opened = Signed.open(Artifacts.read(uri, "request"), Set.of(Messages.REQUEST),
        Map.of(world.submitter.keyId(), world.submitter.publicKey()));
    return Messages.RoundRequest.fromJson(opened.body());
  }

  private ObjectNode orchestrate(Path job) throws Exception {
    OrchestrateOptions options = PipelineOptionsFactory.fromArgs("--runner=DirectRunner", "--warmUpRuns=0",
        "--job=" + job).as(OrchestrateOptions.class);
    return Orchestrator.run(options, System.out);
  }

  private void serve(String silo) throws Exception {
    world.serve(silo);
  }
}
