package org.fedbeam.pipelines.federated;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.allOf;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.greaterThan;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.fedbeam.data.Dataset;
import org.fedbeam.data.DatasetFormat;
import org.fedbeam.data.table.TableCsv;
import org.fedbeam.model.ModelFormat;
import org.fedbeam.model.Parameters;
import org.fedbeam.model.bundle.ModelBundle;
import org.fedbeam.pipelines.loop.RoundLoop;
import org.fedbeam.pipelines.loop.Simulation;
import org.fedbeam.pipelines.loop.SimulationData;
import org.fedbeam.pipelines.loop.TrainOptions;
import org.fedbeam.pipelines.predict.Predict;
import org.fedbeam.pipelines.protocol.Exchange;
import org.fedbeam.pipelines.protocol.JobSpec;
import org.fedbeam.pipelines.protocol.Keys;
import org.fedbeam.pipelines.protocol.Messages;
import org.fedbeam.pipelines.protocol.Signed;
import org.fedbeam.pipelines.rounds.RoundRecords;
import org.fedbeam.pipelines.runners.Runners;
import org.fedbeam.preprocess.Preprocessing;
import org.fedbeam.transforms.Artifacts;
import org.fedbeam.transforms.SiloData;
import org.fedbeam.transforms.TablePreparation;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The deployment trains on providers' own tables (issue 13, part 3 in the federated mode): two silo
 * agents whose data are tables {@code fedbeam prepare} made from real breast-cancer rows, a
 * preprocessing fitted from their merged statistics, and the orchestrator running a job that names
 * it. Each signed request binds the preprocessing's SHA-256; each silo applies it inside the silo;
 * the bundles carry it, so raw CSV rows of the held-out part are predicted; the provenance records
 * it; and the simulation, given the same silos' rows under the same preprocessing, secrets and
 * seeds, gives bit-identical models.
 */
class FederatedPreprocessingTest {
  private static final int ROUNDS = 2;

  @TempDir
  Path dir;
  private World world;
  private TableSilos silos;

  @BeforeEach
  void setUp() throws Exception {
    world = new World(dir, List.of("alpha", "beta"));
    silos = new TableSilos(world, List.of("alpha", "beta"));
  }

  @AfterEach
  void tearDown() throws Exception {
    world.close();
  }

  @Test
  void aJobWithAPreprocessingTrainsOnPreparedTablesAndItsBundlePredictsRawRowsAndTheSimulationTwinAgrees()
      throws Exception {
    Preprocessing pre = silos.federatedFit(Preprocessing.Scaling.STANDARDIZE);
    ByteArrayOutputStream alphaOut = new ByteArrayOutputStream();
    serve("alpha", new PrintStream(alphaOut, true, StandardCharsets.UTF_8), "--warmUpRuns=1");
    serve("beta", System.out, "--warmUpRuns=0");
    Path jobFile = job("bc", pre);

    OrchestrateOptions options = PipelineOptionsFactory.fromArgs("--runner=DirectRunner", "--warmUpRuns=0",
        "--job=" + jobFile).as(OrchestrateOptions.class);
    ObjectNode summary = Orchestrator.run(options, System.out);

    assertThat(summary.get("rounds_completed").asInt(), equalTo(ROUNDS));
    assertThat(summary.get("updates_accepted").asInt(), equalTo(2 * ROUNDS));
    // the warm-up trained scratch rounds on the table under a neutral preprocessing
    assertThat(alphaOut.toString(StandardCharsets.UTF_8), containsString(
        "alpha: silo pipeline translated and run 1 times on private scratch rounds"));
    String sha = Artifacts.sha256Hex(pre.toJson());
    // every signed request carries the SHA-256, and the published file is that preprocessing
    Exchange ex = new Exchange(world.exchanges.get("alpha"));
    Exchange.Slot slot = new Exchange.Slot("bc", 1, 1);
    Signed.Opened request = Signed.open(Artifacts.read(ex.request(slot), "request"), java.util.Set.of(Messages.REQUEST),
        Map.of(world.submitter.keyId(), world.submitter.publicKey()));
    assertThat(Messages.RoundRequest.fromJson(request.body()).preprocessingSha256(), equalTo(sha));
    assertThat(Artifacts.sha256Hex(Artifacts.read(TableRequests.preprocessingUri(ex, slot), "published")), equalTo(sha));
    // the silo's audit says it prepared its rows (nothing to fold in these numeric columns)
    JsonNode accepted = world.auditLines("alpha").stream().map(FederatedPreprocessingTest::json)
        .filter(e -> "accepted".equals(e.path("decision").asText())).findFirst().orElseThrow();
    assertThat(accepted.path("preparation").path("rows").asInt(), equalTo(silos.tables.get(0).rows()));

    String output = JobSpec.read(jobFile).output();
    ModelBundle bundle = Predict.read(Path.of(output, "model-best.fbmb"));
    assertThat(bundle.preprocessing(), equalTo(pre));
    assertThat(RoundRecords.JSON.readTree(bundle.provenance()).get(0).get("preprocessing_sha256").asText(), equalTo(sha));
    assertThat("the held-out raw rows' accuracy", heldOutAccuracy(bundle), greaterThan(0.85));

    String simulated = simulate(jobFile, pre);
    for (int round = 0; round <= ROUNDS; round++) {
      Parameters d = ModelFormat.decode(Artifacts.read(RoundLoop.modelUri(output, round), "deployed"), "deployed");
      Parameters s = ModelFormat.decode(Artifacts.read(RoundLoop.modelUri(simulated, round), "simulated"), "simulated");
      assertThat("round " + round + ": deployment vs simulation", d.maxAbsDifference(s), equalTo(0.0));
    }
  }

  @Test
  void theJobFileNamesAPreprocessingThatDoesNotFitTheModelAndTheFieldsItReplaces() throws Exception {
    Preprocessing pre = silos.federatedFit(Preprocessing.Scaling.STANDARDIZE);
    Path wide = job("wide", pre, j -> ((com.fasterxml.jackson.databind.node.ArrayNode) j.get("model").get("layers"))
        .set(0, j.numberNode(31)));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> JobSpec.read(wide));
    assertThat(e.getMessage(), allOf(containsString("job file " + wide), containsString("preprocessing "),
        containsString("gives 30 model inputs (from 30 columns), but the model's first layer (model.layers[0]) takes 31")));

    Path both = job("both", pre, j -> j.putArray("features").add("x"));
    e = assertThrows(IllegalArgumentException.class, () -> JobSpec.read(both));
    assertThat(e.getMessage(), containsString("features cannot be given with preprocessing"));

    Path missing = job("missing", pre, j -> j.put("preprocessing", dir.resolve("nope.json").toString()));
    e = assertThrows(IllegalArgumentException.class, () -> JobSpec.read(missing));
    assertThat(e.getMessage(), containsString("preprocessing " + dir.resolve("nope.json") + ": no such file"));
  }

  private double heldOutAccuracy(ModelBundle bundle) {
    var table = TableCsv.read(silos.heldOutCsv, TableCsv.Options.of(TableSilos.LABEL)).table();
    Dataset rows = bundle.preprocessing().apply(table);
    float[] p = bundle.model().spec().learner().predictProbabilities(bundle.model(), rows);
    int right = 0;
    for (int r = 0; r < rows.size(); r++) {
      int best = p[r * 2] >= p[r * 2 + 1] ? 0 : 1;
      right += best == rows.label(r) ? 1 : 0;
    }
    return right / (double) rows.size();
  }

  private Path job(String id, Preprocessing pre) throws Exception {
    return job(id, pre, j -> {});
  }

  private Path job(String id, Preprocessing pre, java.util.function.Consumer<ObjectNode> more) throws Exception {
    Path preFile = dir.resolve("orchestrator/preprocessing.json");
    Files.write(preFile, pre.toJson());
    String test = dir.resolve("orchestrator/held-out.fbds").toString();
    Artifacts.writeAtomically(test, DatasetFormat.encode(pre.apply(SiloData.loadTable(silos.heldOutTable.toString(),
        "orchestrator"))));
    return world.job(id, ROUNDS, 2, 120, j -> {
      ObjectNode model = j.putObject("model").put("kind", "mlp");
      model.putArray("layers").add(30).add(8).add(2);
      j.putObject("train").put("epochs", 1).put("batch_size", 16).put("learning_rate", 0.05).put("momentum", 0.5)
          .put("weight_decay", 0.0);
      j.put("preprocessing", preFile.toString());
      j.putObject("evaluation").put("test", test);
      j.put("patience", ROUNDS);
      j.put("poll_ms", 20);
      int i = 0;
      for (JsonNode s : j.get("silos")) {
        ((ObjectNode) s).put("samples", silos.tables.get(i++).rows());
      }
      more.accept(j);
    });
  }

  /**
   * The simulation twin: the silos' own tables under the same preprocessing and the silos' default
   * limits (as each silo prepared them), written as shards; the job's settings, the silos' secrets
   * and the job id.
   */
  private String simulate(Path jobFile, Preprocessing pre) throws Exception {
    JobSpec job = JobSpec.read(jobFile);
    Map<String, String> secrets = new LinkedHashMap<>();
    Map<String, String> shards = new LinkedHashMap<>();
    Map<String, Integer> sizes = new LinkedHashMap<>();
    int i = 0;
    for (String silo : List.of("alpha", "beta")) {
      secrets.put(silo, Base64.getEncoder().encodeToString(Keys.siloSecret(world.privateDir(silo).resolve("key"))));
      Dataset rows = TablePreparation.apply(silos.tables.get(i), pre, TablePreparation.Limits.defaults(), silo, "twin")
          .dataset();
      String shard = dir.resolve("simulation/" + silo + ".fbds").toString();
      Artifacts.writeAtomically(shard, DatasetFormat.encode(rows));
      shards.put(silo, shard);
      sizes.put(silo, silos.tables.get(i++).rows());
    }
    Path secretsFile = dir.resolve("simulation/silo-secrets.json");
    Files.write(secretsFile, RoundRecords.JSON.writeValueAsBytes(secrets));
    String output = dir.resolve("simulation/run").toString();
    TrainOptions options = PipelineOptionsFactory.fromArgs("--runner=DirectRunner", "--output=" + output,
        "--siloSecrets=" + secretsFile, "--jobId=" + job.jobId()).as(TrainOptions.class);
    SimulationData data = new SimulationData(shards, job.evaluation(), 30, 2, sizes, "twin of " + job.jobId());
    RoundLoop.Settings settings = Orchestrator.settings(job);
    try (Runners.Session session = Runners.prepare(options, output, "0", System.out)) {
      RoundLoop.Result result = RoundLoop.run(settings, Simulation.executor(options, session.roundRunner(), data,
          settings), output, System.out, options.getDpDelta());
      assertThat(result.rounds().size(), equalTo(ROUNDS));
    }
    return output;
  }

  private void serve(String silo, PrintStream out, String... flags) throws Exception {
    SiloAgent agent = world.agent(silo, out, flags);
    agent.warmUp(); // as fedbeam agent does before serving
    Thread t = new Thread(() -> {
      try {
        agent.serve();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }, "agent-" + silo);
    t.setDaemon(true);
    t.start();
  }

  static JsonNode json(String line) {
    try {
      return RoundRecords.JSON.readTree(line);
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }
}
