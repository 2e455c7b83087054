package org.fedbeam.pipelines.federated;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.not;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.fedbeam.model.ModelFormat;
import org.fedbeam.model.Parameters;
import org.fedbeam.model.strategy.ServerState;
import org.fedbeam.pipelines.Fixtures;
import org.fedbeam.pipelines.loop.RoundLoop;
import org.fedbeam.pipelines.loop.Simulation;
import org.fedbeam.pipelines.loop.SimulationData;
import org.fedbeam.pipelines.loop.TrainOptions;
import org.fedbeam.pipelines.protocol.JobSpec;
import org.fedbeam.pipelines.protocol.Keys;
import org.fedbeam.pipelines.rounds.RoundRecords;
import org.fedbeam.pipelines.runners.Runners;
import org.fedbeam.transforms.Artifacts;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The simulation and the deployment give the same model for strategies other than FedAvg (issue
 * 11, part 3): three silo agents and the orchestrator (DirectRunner, in this JVM) run a job with
 * FedAdam (server state carried from round to round) or FedProx (mu in every request); then the
 * same silos' shards, model, training settings, strategy, rounds and seeds run through the same
 * {@link RoundLoop} with the simulation's executor. The simulation is given the silos' secrets and
 * the job id, as the demo's twin is, so each silo's training seed is the one its agent drew. Both
 * final models and every round's server state must be bit-identical.
 */
class DeploymentTwinTest {
  private static final int ROUNDS = 2;

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
   * FedAdam: the deployment's model and server state equal the simulation's; and the server state
   * is persisted per round: state/round-0000..000N.state decode with steps == round, and each
   * round's provenance names the strategy and its parameters.
   */
  @Test
  void fedAdamGivesTheSameModelAndServerStateInBothModesAndPersistsItsStatePerRound() throws Exception {
    ObjectNode strategy = RoundRecords.JSON.createObjectNode().put("name", "fedadam").put("server_lr", 0.05)
        .put("beta1", 0.8).put("tau", 0.01);
    String deployed = deploy("twin-adam", strategy);
    String simulated = simulate("twin-adam");

    for (int round = 0; round <= ROUNDS; round++) {
      String state = RoundLoop.stateUri(deployed, round);
      assertThat("server state of round " + round, Artifacts.exists(state), equalTo(true));
      ServerState decoded = RoundLoop.readState(state);
      assertThat("steps in the state of round " + round, decoded.steps(), equalTo((long) round));
      if (round > 0) {
        // Adam's moments, one vector each, of the model's size
        assertThat(decoded.names().isEmpty(), equalTo(false));
        for (String name : decoded.names()) {
          assertThat(decoded.vector(name).length, equalTo(World.SPEC.parameterCount()));
        }
      }
      assertThat("the simulation's state of round " + round, decoded, equalTo(RoundLoop.readState(
          RoundLoop.stateUri(simulated, round))));
      assertThat(Artifacts.read(state, "deployed state"), equalTo(Artifacts.read(RoundLoop.stateUri(simulated, round),
          "simulated state")));

      JsonNode provenance = RoundRecords.readJson(RoundLoop.modelUri(deployed, round).replace(".fbm", ".json"),
          "provenance");
      assertThat(provenance.path("round").asInt(), equalTo(round));
      assertThat(provenance.path("strategy").path("name").asText(), equalTo("fedadam"));
      JsonNode params = provenance.path("strategy").path("parameters");
      assertThat(params.path("server_lr").asDouble(), equalTo(0.05));
      assertThat(params.path("beta1").asDouble(), equalTo(0.8));
      assertThat(params.path("beta2").asDouble(), equalTo(0.99)); // the default, stated
      assertThat(params.path("tau").asDouble(), equalTo(0.01));
      if (round > 0) {
        assertThat(provenance.path("server_state").asText(), equalTo(state));
      }
    }
    assertSameModels(deployed, simulated);
  }

  /** FedProx: mu reaches every silo in its request, and both modes give the same model. */
  @Test
  void fedProxGivesTheSameModelInBothModes() throws Exception {
    ObjectNode strategy = RoundRecords.JSON.createObjectNode().put("name", "fedprox").put("mu", 0.5);
    String deployed = deploy("twin-prox", strategy);
    String simulated = simulate("twin-prox");

    for (int round = 1; round <= ROUNDS; round++) {
      JsonNode provenance = RoundRecords.readJson(RoundLoop.modelUri(deployed, round).replace(".fbm", ".json"),
          "provenance");
      assertThat(provenance.path("round_config").path("proximal_mu").asDouble(), equalTo(0.5));
      assertThat(Artifacts.read(RoundLoop.stateUri(deployed, round), "state"),
          equalTo(Artifacts.read(RoundLoop.stateUri(simulated, round), "state")));
    }
    assertSameModels(deployed, simulated);
  }

  /** Every round's model, bit for bit; and the models did change from round to round. */
  private static void assertSameModels(String deployed, String simulated) {
    for (int round = 0; round <= ROUNDS; round++) {
      byte[] d = Artifacts.read(RoundLoop.modelUri(deployed, round), "deployed model");
      byte[] s = Artifacts.read(RoundLoop.modelUri(simulated, round), "simulated model");
      Parameters dp = ModelFormat.decode(d, "deployed");
      Parameters sp = ModelFormat.decode(s, "simulated");
      assertThat("max abs difference of round " + round + "'s models", dp.maxAbsDifference(sp), equalTo(0.0));
      assertThat("round " + round + "'s model, bit for bit", Artifacts.sha256Hex(d), equalTo(Artifacts.sha256Hex(s)));
    }
    assertThat(Artifacts.sha256Hex(Artifacts.read(RoundLoop.modelUri(deployed, ROUNDS), "final")),
        not(equalTo(Artifacts.sha256Hex(Artifacts.read(RoundLoop.modelUri(deployed, 0), "initial")))));
  }

  /** Runs the job with {@code strategy} on the three agents; returns the orchestrator's output. */
  private String deploy(String jobId, ObjectNode strategy) throws Exception {
    for (String silo : world.siloKeys.keySet()) {
      serve(silo);
    }
    Path jobFile = world.job(jobId, ROUNDS, 3, 120, j -> {
      j.set("strategy", strategy);
      j.put("patience", ROUNDS);
      j.put("poll_ms", 20);
      j.get("silos").forEach(s -> ((ObjectNode) s).put("samples", 120));
    });
    OrchestrateOptions options = PipelineOptionsFactory.fromArgs("--runner=DirectRunner", "--warmUpRuns=0",
        "--job=" + jobFile).as(OrchestrateOptions.class);
    ObjectNode summary = Orchestrator.run(options, System.out);
    assertThat(summary.get("rounds_completed").asInt(), equalTo(ROUNDS));
    assertThat(summary.get("updates_accepted").asInt(), equalTo(3 * ROUNDS));
    return JobSpec.read(jobFile).output();
  }

  /**
   * The simulation twin of job {@code jobId}: the loop's settings from the job file itself
   * ({@link Orchestrator#settings}), the silos' shards and sizes, and their secrets with the job id.
   */
  private String simulate(String jobId) throws Exception {
    JobSpec job = JobSpec.read(dir.resolve("orchestrator/job-" + jobId + ".json"));
    Map<String, String> secrets = new LinkedHashMap<>();
    Map<String, Integer> sizes = new LinkedHashMap<>();
    for (String silo : world.siloKeys.keySet()) {
      secrets.put(silo, Base64.getEncoder().encodeToString(Keys.siloSecret(world.privateDir(silo).resolve("key"))));
      sizes.put(silo, 120);
    }
    Path secretsFile = dir.resolve("simulation/silo-secrets.json");
    Files.createDirectories(secretsFile.getParent());
    Files.write(secretsFile, RoundRecords.JSON.writeValueAsBytes(secrets));
    String output = dir.resolve("simulation/run-" + jobId).toString();
    TrainOptions options = PipelineOptionsFactory.fromArgs("--runner=DirectRunner", "--output=" + output,
        "--siloSecrets=" + secretsFile, "--jobId=" + jobId).as(TrainOptions.class);
    SimulationData data = new SimulationData(new LinkedHashMap<>(world.data), job.evaluation(), Fixtures.FEATURES,
        Fixtures.CLASSES, sizes, "test silos");
    RoundLoop.Settings settings = Orchestrator.settings(job);
    RoundLoop.Result result;
    try (Runners.Session session = Runners.prepare(options, output, "0", System.out)) {
      result = RoundLoop.run(settings, Simulation.executor(options, session.roundRunner(), data, settings), output,
          System.out, options.getDpDelta());
    }
    assertThat(result.rounds().size(), equalTo(ROUNDS));
    return output;
  }

  private void serve(String silo) throws Exception {
    world.serve(silo);
  }
}
