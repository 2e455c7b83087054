package org.fedbeam.pipelines.federated;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.not;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.fedbeam.model.DenseNetwork;
import org.fedbeam.model.ModelSpec;
import org.fedbeam.model.Seeds;
import org.fedbeam.model.TrainConfig;
import org.fedbeam.pipelines.Fixtures;
import org.fedbeam.pipelines.protocol.Keys;
import org.fedbeam.pipelines.protocol.Messages;
import org.fedbeam.pipelines.protocol.RefusalReason;
import org.fedbeam.pipelines.rounds.RoundRecords;
import org.fedbeam.pipelines.rounds.SiloPipeline;
import org.fedbeam.transforms.Artifacts;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The silo controls how its data is read, replayed against the real agent: every hyperparameter
 * and the model's shape are bounded by the policy (with safe defaults), the silo trains with its
 * own secret-derived seed whatever the request says, and per-job and per-day quotas hold. Each
 * refusal carries its fixed reason, the detail is in the audit log only, and the next valid request
 * is still answered.
 */
class SiloPolicyBoundsTest {
  @TempDir
  Path dir;
  private World world;

  @AfterEach
  void tearDown() throws Exception {
    if (world != null) {
      world.close();
    }
  }

  @Test
  void aPolicyWithoutBoundsGetsTheSafeDefaultsAndABadBoundIsNamed() throws Exception {
    world = new World(dir, List.of("alpha"));
    ObjectNode p = world.policy("alpha");
    p.remove("min_batch_size");
    p.remove("differential_privacy");
    SiloPolicy policy = SiloPolicy.read(world.writePolicy("alpha", p));
    assertThat(policy.training(), equalTo(TrainingBounds.DEFAULTS));
    assertThat(policy.privacy(), equalTo(PrivacyPolicy.DEFAULTS));
    assertThat(policy.privacy().required(), equalTo(true));
    // the demo's job fits the defaults (MLP 784-128-10, batch 64, learning rate 0.05, momentum 0.9, 1 epoch)
    TrainingBounds.DEFAULTS.check(ModelSpec.of(784, List.of(128), 10), new TrainConfig(1, 64, 0.05, 0.9, 0));

    Path bad = world.writePolicy("alpha", world.policy("alpha").put("max_learning_rate", "fast"));
    IllegalArgumentException e = Assertions.assertThrows(IllegalArgumentException.class, () -> SiloPolicy.read(bad));
    assertThat(e.getMessage(), containsString("max_learning_rate must be a finite number, was \"fast\""));
    Path inverted = world.writePolicy("alpha", world.policy("alpha").put("max_batch_size", 4));
    e = Assertions.assertThrows(IllegalArgumentException.class, () -> SiloPolicy.read(inverted));
    assertThat(e.getMessage(), containsString("min_batch_size must be >= 1 and <= max_batch_size; were 8 and 4"));
    ObjectNode noFlag = world.policy("alpha");
    noFlag.putObject("differential_privacy").put("max_epsilon", 3);
    Path missing = world.writePolicy("alpha", noFlag);
    e = Assertions.assertThrows(IllegalArgumentException.class, () -> SiloPolicy.read(missing));
    assertThat(e.getMessage(), containsString("differential_privacy: required must be true or false"));
  }

  @Test
  void everyHyperparameterAndModelShapeOutsideTheBoundsIsRefusedAndTheJobGoesOn() throws Exception {
    world = new World(dir, List.of("alpha"));
    world.writePolicy("alpha", world.policy("alpha").put("max_parameters", 50_000));
    SiloAgent agent = world.agent("alpha");
    Object[][] cases = {
        {new TrainConfig(2, 4, 0.1, 0.9, 1e-4), World.SPEC, "batch_size 4 < min_batch_size 8"},
        {new TrainConfig(2, 2000, 0.1, 0.9, 1e-4), World.SPEC, "batch_size 2000 > max_batch_size 1024"},
        {new TrainConfig(2, 8, 0.5, 0.9, 1e-4), World.SPEC, "learning_rate 0.5 not in (0, max_learning_rate 0.1]"},
        {new TrainConfig(2, 8, 0.1, 0.95, 1e-4), World.SPEC, "momentum 0.95 > max_momentum 0.9"},
        {new TrainConfig(2, 8, 0.1, 0.9, 0.5), World.SPEC, "weight_decay 0.5 > max_weight_decay 0.01"},
        {new TrainConfig(6, 8, 0.1, 0.9, 1e-4), World.SPEC, "epochs 6 > max_epochs 5"},
        {Fixtures.CONFIG, ModelSpec.of(Fixtures.FEATURES, List.of(5, 5, 5), Fixtures.CLASSES),
            "3 hidden layers > max_hidden_layers 2"},
        {Fixtures.CONFIG, ModelSpec.of(Fixtures.FEATURES, List.of(300), Fixtures.CLASSES),
            "hidden layer width 300 > max_hidden_width 256"},
        {Fixtures.CONFIG, ModelSpec.of(Fixtures.FEATURES, List.of(256, 256), Fixtures.CLASSES),
            "68355 parameters > 50000"},
    };
    byte[] global = World.encode(world.initialModel());
    for (int i = 0; i < cases.length; i++) {
      Messages.RoundRequest r = new Messages.RoundRequest("job-1", i + 1, 1, Messages.newNonce(), "alpha",
          SiloPipeline.REF, (ModelSpec) cases[i][1], Artifacts.sha256Hex(global), (TrainConfig) cases[i][0], 1L,
          System.currentTimeMillis() + 60_000);
      world.publish("alpha", r, world.submitter, global);
    }
    world.publish("alpha", "job-1", cases.length + 1, 1, world.submitter, global);
    agent.answerPending();

    for (int i = 0; i < cases.length; i++) {
      SiloAgentTest.assertRefused(world, "alpha", "job-1", i + 1, 1, RefusalReason.OUTSIDE_POLICY, (String) cases[i][2]);
    }
    assertThat(world.answer("alpha", "job-1", cases.length + 1, 1).type(), equalTo(Messages.UPDATE));
  }

  /**
   * Two silos with the same secret and the same shard, sent different seeds, return the same
   * update; a silo with its own secret returns another; the seed it trained with is neither the
   * request's nor another silo's.
   */
  @Test
  void theSiloTrainsWithItsOwnSecretSeedNotTheRequests() throws Exception {
    world = new World(dir, List.of("alpha", "beta", "gamma"));
    for (String silo : List.of("beta", "gamma")) {
      world.writePolicy(silo, world.policy(silo).put("data", world.data.get("alpha")));
    }
    Path alphaSecret = dir.resolve("private/alpha/key").resolve(Keys.SILO_SECRET_FILE);
    byte[] secret = Keys.siloSecret(alphaSecret.getParent());
    Files.write(dir.resolve("private/beta/key").resolve(Keys.SILO_SECRET_FILE), secret);
    byte[] global = World.encode(world.initialModel());
    java.util.Map<String, String> updates = new java.util.LinkedHashMap<>();
    java.util.Map<String, Long> seeds = new java.util.LinkedHashMap<>();
    long requestSeed = 1;
    for (String silo : List.of("alpha", "beta", "gamma")) {
      Messages.RoundRequest r = world.request(silo, "job-1", 1, 1, Artifacts.sha256Hex(global));
      r = new Messages.RoundRequest(r.jobId(), 1, 1, r.nonce(), silo, r.pipeline(), r.spec(), r.modelSha256(),
          r.config(), requestSeed++ * 1_000_003L, r.deadlineMillis());
      world.publish(silo, r, world.submitter, global);
      world.agent(silo).answerPending();
      updates.put(silo, Messages.UpdateReport.fromJson(world.answer(silo, "job-1", 1, 1).body()).updateSha256());
      long used = RoundRecords.readJson(dir.resolve("private").resolve(silo).resolve("state/current-round.json")
          .toString(), "round").get("seed").asLong();
      assertThat(used, not(equalTo(r.seed())));
      seeds.put(silo, used);
    }
    assertThat(seeds.get("alpha"), equalTo(Seeds.fromSecret(secret, "job-1", 1)));
    assertThat(updates.get("beta"), equalTo(updates.get("alpha"))); // different request seeds, same update
    assertThat(updates.get("gamma"), not(equalTo(updates.get("alpha"))));
    assertThat(seeds.get("gamma"), not(equalTo(seeds.get("alpha"))));
  }

  @Test
  void perJobAndPerDayQuotasAreRefusedAndACachedRetryIsFree() throws Exception {
    world = new World(dir, List.of("alpha"));
    world.writePolicy("alpha", world.policy("alpha").put("max_requests_per_job", 1).put("max_requests_per_day", 2));
    SiloAgent agent = world.agent("alpha");
    byte[] first = World.encode(world.initialModel());
    byte[] second = World.encode(new DenseNetwork(World.SPEC).initialize(6L));
    Messages.RoundRequest r1 = world.publish("alpha", "job-1", 1, 1, world.submitter, first);
    agent.answerPending();
    assertThat(world.answer("alpha", "job-1", 1, 1).type(), equalTo(Messages.UPDATE));
    // a retry of job-1's round 1 (same model, same settings) is answered from the earlier training
    world.publish("alpha", new Messages.RoundRequest("job-1", 1, 2, Messages.newNonce(), "alpha", r1.pipeline(),
        r1.spec(), r1.modelSha256(), r1.config(), 99L, r1.deadlineMillis()), world.submitter, first);
    agent.answerPending();
    Messages.UpdateReport retry = Messages.UpdateReport.fromJson(world.answer("alpha", "job-1", 1, 2).body());
    Messages.UpdateReport original = Messages.UpdateReport.fromJson(world.answer("alpha", "job-1", 1, 1).body());
    assertThat(retry.updateSha256(), equalTo(original.updateSha256()));

    world.publish("alpha", "job-1", 2, 1, world.submitter, second);
    agent.answerPending();
    SiloAgentTest.assertRefused(world, "alpha", "job-1", 2, 1, RefusalReason.QUOTA, "max_requests_per_job 1");
    world.publish("alpha", "job-2", 1, 1, world.submitter, first);
    world.publish("alpha", "job-3", 1, 1, world.submitter, first);
    agent.answerPending();
    assertThat(world.answer("alpha", "job-2", 1, 1).type(), equalTo(Messages.UPDATE));
    SiloAgentTest.assertRefused(world, "alpha", "job-3", 1, 1, RefusalReason.QUOTA, "max_requests_per_day 2");
    assertThat(world.auditLines("alpha").stream().filter(l -> l.contains("\"decision\":\"accepted\"")).count(),
        equalTo(2L));
    assertThat(world.auditLines("alpha").stream().filter(l -> l.contains("\"decision\":\"update re-sent\"")).count(),
        equalTo(1L));
    assertThat(RoundRecords.readJson(Artifacts.resolve(dir.resolve("private/alpha/state").toString(), "quota.json"),
        "quota").get("trainings").asLong(), equalTo(2L));
  }
}
