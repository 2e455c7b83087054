package org.fedbeam.pipelines.federated;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.closeTo;
import static org.hamcrest.Matchers.equalTo;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import java.util.List;
import org.fedbeam.model.DenseNetwork;
import org.fedbeam.model.DpSgd;
import org.fedbeam.model.TrainConfig;
import org.fedbeam.model.privacy.RdpAccountant;
import org.fedbeam.pipelines.Fixtures;
import org.fedbeam.pipelines.protocol.Messages;
import org.fedbeam.pipelines.protocol.RefusalReason;
import org.fedbeam.pipelines.rounds.RoundRecords;
import org.fedbeam.pipelines.rounds.SiloPipeline;
import org.fedbeam.transforms.Artifacts;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Differential privacy the silo enforces, replayed against the real agent: DP is required when the
 * policy is silent; a request's DP settings are bounded; the silo's LIFETIME budget holds across
 * jobs (a new job id does not reset it) and across a restart of the agent; the update reports the
 * lifetime {@code epsilon_spent}.
 */
class PrivacyBudgetTest {
  private static final DpSgd DP = new DpSgd(1.0, 1.0);
  private static final TrainConfig CONFIG = Fixtures.CONFIG.withPrivacy(DP);
  @TempDir
  Path dir;
  private World world;

  @BeforeEach
  void setUp() throws Exception {
    world = new World(dir, List.of("alpha"));
  }

  @AfterEach
  void tearDown() throws Exception {
    world.close();
  }

  @Test
  void whenThePolicyIsSilentARequestWithoutDpIsRefusedAndOneWithDpReportsItsSpend() throws Exception {
    policy(null);
    SiloAgent agent = world.agent("alpha");
    send("job-1", 1, Fixtures.CONFIG, 5);
    send("job-1", 2, CONFIG, 6);
    agent.answerPending();

    SiloAgentTest.assertRefused(world, "alpha", "job-1", 1, 1, RefusalReason.PRIVACY_BUDGET,
        "policy requires differential privacy");
    Messages.UpdateReport u = Messages.UpdateReport.fromJson(world.answer("alpha", "job-1", 2, 1).body());
    // the lifetime epsilon, rounded by the guard to its 4 significant digits
    assertThat(u.metadata().get("epsilon_spent"), equalTo(new java.math.BigDecimal(oneTraining())
        .round(new java.math.MathContext(4, java.math.RoundingMode.HALF_EVEN)).doubleValue()));
    assertThat(u.metadata().get("epsilon_spent") > 0, equalTo(true));
    // the loss and the time are computed without noise: under DP they stay in the silo
    assertThat(u.metadata().keySet(), equalTo(java.util.Set.of("samples", "epsilon_spent")));
  }

  @Test
  void aClipAboveOrNoiseBelowThePolicyIsRefused() throws Exception {
    policy(null);
    SiloAgent agent = world.agent("alpha");
    send("job-1", 1, Fixtures.CONFIG.withPrivacy(new DpSgd(10.5, 1.0)), 5);
    send("job-1", 2, Fixtures.CONFIG.withPrivacy(new DpSgd(1.0, 0.5)), 6);
    agent.answerPending();

    SiloAgentTest.assertRefused(world, "alpha", "job-1", 1, 1, RefusalReason.PRIVACY_BUDGET, "dp clip 10.5 > max_clip 10.0");
    SiloAgentTest.assertRefused(world, "alpha", "job-1", 2, 1, RefusalReason.PRIVACY_BUDGET,
        "dp noise_multiplier 0.5 < min_noise_multiplier 1.0");
    assertThat(new PrivacyLedger(dir.resolve("private/alpha/state").toString()).epsilon(1e-5), equalTo(0.0));
  }

  @Test
  void aSiloAtItsBudgetRefusesTheNextRoundInANewJobTooAndAfterARestart() throws Exception {
    double one = oneTraining();
    RdpAccountant.Plan plan = CONFIG.dpPlan(120);
    double two = new RdpAccountant().add(plan.q(), 1.0, plan.steps()).add(plan.q(), 1.0, plan.steps()).epsilon(1e-5);
    policy((one + two) / 2); // room for one training, not two
    SiloAgent agent = world.agent("alpha");
    send("job-1", 1, CONFIG, 5);
    send("job-1", 2, CONFIG, 6);
    send("job-2", 1, CONFIG, 5); // a new job id: the budget is the silo's, not the job's
    agent.answerPending();

    assertThat(world.answer("alpha", "job-1", 1, 1).type(), equalTo(Messages.UPDATE));
    SiloAgentTest.assertRefused(world, "alpha", "job-1", 2, 1, RefusalReason.PRIVACY_BUDGET, "above max_epsilon");
    SiloAgentTest.assertRefused(world, "alpha", "job-2", 1, 1, RefusalReason.PRIVACY_BUDGET, "above max_epsilon");

    agent.close();
    world.agents.remove(agent);
    SiloAgent restarted = world.agent("alpha");
    send("job-3", 1, CONFIG, 5);
    restarted.answerPending();
    SiloAgentTest.assertRefused(world, "alpha", "job-3", 1, 1, RefusalReason.PRIVACY_BUDGET, "above max_epsilon");
    JsonNode ledger = RoundRecords.readJson(dir.resolve("private/alpha/state/privacy-ledger.json").toString(), "ledger");
    assertThat(ledger.get("private_trainings").asLong(), equalTo(1L)); // a refusal charges nothing
    assertThat(ledger.get("epsilon").asDouble(), closeTo(one, 1e-9));
    assertThat(ledger.get("history").size(), equalTo(1));
  }

  /** The epsilon of one training with {@link #CONFIG} on the 120-row shard, at delta 1e-5. */
  private static double oneTraining() {
    RdpAccountant.Plan plan = CONFIG.dpPlan(120);
    return new RdpAccountant().add(plan.q(), CONFIG.privacy().noiseMultiplier(), plan.steps()).epsilon(1e-5);
  }

  /** The default DP policy (no section), or one with {@code maxEpsilon}; epsilon_spent allowed out. */
  private void policy(Double maxEpsilon) throws Exception {
    ObjectNode p = world.policy("alpha");
    p.remove("differential_privacy");
    if (maxEpsilon != null) {
      p.putObject("differential_privacy").put("required", true).put("max_epsilon", maxEpsilon);
    }
    p.withArray("allowed_metadata").add("epsilon_spent");
    world.writePolicy("alpha", p);
  }

  private void send(String job, int round, TrainConfig config, long modelSeed) {
    byte[] global = World.encode(new DenseNetwork(World.SPEC).initialize(modelSeed));
    Messages.RoundRequest r = new Messages.RoundRequest(job, round, 1, Messages.newNonce(), "alpha", SiloPipeline.REF,
        World.SPEC, Artifacts.sha256Hex(global), config, 3L, System.currentTimeMillis() + 60_000);
    world.publish("alpha", r, world.submitter, global);
  }
}
