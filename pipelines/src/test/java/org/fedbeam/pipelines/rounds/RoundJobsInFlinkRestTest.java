package org.fedbeam.pipelines.rounds;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.closeTo;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.hasSize;
import static org.hamcrest.Matchers.not;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Supplier;
import org.apache.beam.runners.flink.FlinkPipelineOptions;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.fedbeam.model.DenseNetwork;
import org.fedbeam.model.ModelFormat;
import org.fedbeam.model.Parameters;
import org.fedbeam.pipelines.Fixtures;
import org.fedbeam.pipelines.loop.SimulationRounds;
import org.fedbeam.pipelines.runners.EmbeddedFlink;
import org.fedbeam.pipelines.runners.FlinkRest;
import org.fedbeam.pipelines.runners.RoundRunner;
import org.fedbeam.transforms.Artifacts;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What the Flink web UI and REST API of a real embedded cluster (mutual TLS, the client certificate
 * presented) show of a run's rounds: a warm-up and two rounds of a round pipeline, the rounds replayed
 * from the warm-up's job graph. Each job is named after the run and the round, its vertices carry
 * FedBeam's step names, and each round's test accuracy and log-loss are in plain text in its
 * accumulators, equal to the round's {@code eval-test.json}.
 */
class RoundJobsInFlinkRestTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String RUN = "webui-run";
  private static final Map<String, Integer> SILO_ROWS = Map.of("silo-a", 40, "silo-b", 25, "silo-c", 60);
  private static final List<String> STEPS = List.of("RoundDescriptor", "ReadGlobalModel", "ListSilos", "TrainLocally",
      "AggregateUpdates", "WriteGlobalModel", "EvaluateModel", "WriteEvaluation");
  private static EmbeddedFlink flink;
  private static FlinkRest rest;

  @TempDir
  Path dir;

  @BeforeAll
  static void startFlink(@TempDir Path flinkDir) throws Exception {
    flink = EmbeddedFlink.start(2, "0", flinkDir.resolve("work"), flinkDir.resolve("tls"), true);
    rest = flink.rest();
  }

  @AfterAll
  static void stopFlink() throws Exception {
    flink.close();
  }

  @Test
  void eachRoundIsAJobNamedAfterRunAndRoundWithFedBeamStepsAndItsEvaluationInPlainText() throws Exception {
    Map<String, String> silos = Fixtures.writeSilos(dir, SILO_ROWS);
    String test = Fixtures.writeEval(dir, "test", 50);
    Parameters global = new DenseNetwork(Fixtures.SPEC).initialize(1);
    String descriptor = RoundDescriptor.uri(dir.toString());
    RoundPipeline.Plan plan = new RoundPipeline.Plan(descriptor, global.spec(), Map.of("test", test), 2,
        org.fedbeam.model.strategy.FedAvg.INSTANCE);
    FlinkPipelineOptions options = PipelineOptionsFactory.fromArgs("--runner=FlinkRunner").as(FlinkPipelineOptions.class);
    options.setFilesToStage(List.of(flink.stagingJar().toString()));
    options.setParallelism(flink.slots());
    options.setFasterCopy(true);
    String beamJobName = options.getJobName();
    Supplier<Pipeline> pipeline = () -> {
      Pipeline p = Pipeline.create(options);
      RoundPipeline.build(p, plan);
      return p;
    };
    Map<String, Long> bytes = SimulationRounds.shardBytes(silos);
    String model0 = dir.resolve("models").resolve("round-0000.fbm").toString();
    Artifacts.writeAtomically(model0, ModelFormat.encode(global));
    RoundRunner runner = flink.roundRunner(RUN);

    // a warm-up on scratch output (translated through Beam), then rounds 1 and 2 (its job graph replayed)
    new RoundDescriptor(1, model0, dir.resolve("scratch").resolve("model.fbm").toString(),
        dir.resolve("scratch").toString(), Fixtures.tasks(silos, 1), bytes, Fixtures.emptyState(dir),
        Fixtures.stateOut(dir, 0)).write(descriptor);
    runner.run(0, pipeline);
    String previous = model0;
    for (int round = 1; round <= 2; round++) {
      String out = dir.resolve("models").resolve("round-000" + round + ".fbm").toString();
      new RoundDescriptor(round, previous, out, roundDir(round), Fixtures.tasks(silos, round), bytes,
          Fixtures.emptyState(dir), Fixtures.stateOut(dir, round)).write(descriptor);
      runner.run(round, pipeline);
      previous = out;
    }
    assertThat("the caller's options keep their job name", options.getJobName(), equalTo(beamJobName));

    JsonNode overview = get("/jobs/overview");
    System.out.println("GET /jobs/overview -> " + overview);
    Map<String, JsonNode> jobs = new TreeMap<>();
    overview.path("jobs").forEach(j -> jobs.put(j.path("name").asText(), j));
    assertThat(jobs.keySet(), equalTo(new java.util.TreeSet<>(List.of("fedbeam-webui-run-warm-up",
        "fedbeam-webui-run-round-0001", "fedbeam-webui-run-round-0002"))));
    for (int round = 1; round <= 2; round++) {
      JsonNode job = jobs.get(String.format("fedbeam-%s-round-%04d", RUN, round));
      assertThat(job.path("state").asText(), equalTo("FINISHED"));
      String jid = job.path("jid").asText();

      JsonNode details = get("/jobs/" + jid);
      List<String> vertices = new ArrayList<>();
      details.path("vertices").forEach(v -> vertices.add(v.path("name").asText()));
      if (round == 1) {
        System.out.println("GET /jobs/" + jid + " -> name " + details.path("name") + ", vertices:");
        vertices.forEach(v -> System.out.println("  " + v));
      }
      assertThat(details.path("name").asText(), equalTo(job.path("name").asText()));
      for (String step : STEPS) {
        assertThat("a vertex of round " + round + " names step " + step, vertices.stream().anyMatch(v -> v.contains(step)),
            equalTo(true));
      }
      assertThat(vertices.toString(), containsString("GroupReduce at SpreadSilos"));
      assertThat(vertices.toString(), containsString("Discard after WriteEvaluation/ParMultiDo(WriteEvaluation)"));
      // no operator named after a line of Beam's translator or an object's identity
      for (String opaque : List.of(".java:", "OutputFormat@")) {
        assertThat(vertices.toString(), not(containsString(opaque)));
      }

      JsonNode record = JSON.readTree(Artifacts.read(Artifacts.resolve(roundDir(round), "eval-test.json"), "eval"));
      // the job's accumulators: the evaluation counter's name holds the values in plain text
      JsonNode accumulators = get("/jobs/" + jid + "/accumulators");
      List<Map<String, String>> reported = evaluations(accumulators.path("user-task-accumulators"), jid);
      assertThat(reported, hasSize(1));
      Map<String, String> values = reported.get(0);
      assertThat(values.get("dataset"), equalTo("test"));
      assertThat(values.get("step"), containsString("WriteEvaluation"));
      assertThat(Double.parseDouble(values.get("accuracy")), closeTo(record.path("accuracy").asDouble(), 5e-7));
      assertThat(Double.parseDouble(values.get("log_loss")), closeTo(record.path("log_loss").asDouble(), 5e-7));
      assertThat(Double.parseDouble(values.get("macro_f1")), closeTo(record.path("macro_f1").asDouble(), 5e-7));
      assertThat(Integer.parseInt(values.get("samples")), equalTo(record.path("samples").asInt()));

      // the same in the Accumulators tab of the vertex that holds WriteEvaluation
      String vid = null;
      for (JsonNode v : details.path("vertices")) {
        if (v.path("name").asText().contains("FlatMap at WriteEvaluation/")) {
          vid = v.path("id").asText();
        }
      }
      JsonNode vertexAccumulators = get("/jobs/" + jid + "/vertices/" + vid + "/accumulators");
      assertThat(evaluations(vertexAccumulators.path("user-accumulators"), jid), equalTo(reported));
      if (round == 1) {
        System.out.println("record eval-test.json -> " + record.path("accuracy") + " " + record.path("log_loss"));
        System.out.println("evaluation in /jobs/" + jid + "/accumulators -> " + values);
        System.out.println("GET /jobs/" + jid + "/vertices/" + vid + "/metrics?get=fedbeam.testAccuracyPpm -> "
            + rest.get("/jobs/" + jid + "/vertices/" + vid + "/metrics?get=fedbeam.testAccuracyPpm").orElse(null));
        System.out.println("GET /jobs/" + jid + "/vertices/" + vid + "/metrics -> "
            + rest.get("/jobs/" + jid + "/vertices/" + vid + "/metrics").orElse(null));
      }
    }
    // the two rounds trained different models: their evaluations are each round's own
    assertThat(ModelFormat.decode(Artifacts.read(previous, "model"), previous).maxAbsDifference(
        ModelFormat.decode(Artifacts.read(dir.resolve("models").resolve("round-0001.fbm").toString(), "m"), "m")) > 0,
        equalTo(true));
  }

  /**
   * The evaluations in a list of Flink accumulators: each counter of Beam's {@code __metricscontainers}
   * whose name {@link EvaluationMetrics#parse} reads, with its step. Only JSON is parsed: no payload is
   * decoded.
   */
  private static List<Map<String, String>> evaluations(JsonNode accumulators, String jid) throws Exception {
    List<Map<String, String>> found = new ArrayList<>();
    List<String> names = new ArrayList<>();
    for (JsonNode acc : accumulators) {
      names.add(acc.path("name").asText());
      if (!acc.path("name").asText().equals("__metricscontainers")) {
        continue;
      }
      for (JsonNode metric : JSON.readTree(acc.path("value").asText()).path("metrics").path("attempted")) {
        String name = metric.path("labels").path("NAME").asText();
        if (name.startsWith(EvaluationMetrics.PREFIX)) {
          Map<String, String> values = new TreeMap<>(EvaluationMetrics.parse(name));
          values.put("step", metric.path("labels").path("PTRANSFORM").asText());
          found.add(values);
        }
      }
    }
    assertThat("job " + jid + " has Beam's metrics accumulator", names, hasItem("__metricscontainers"));
    return found;
  }

  private String roundDir(int round) {
    return dir.resolve("rounds").resolve(String.format("round-%04d", round)).toString();
  }

  private static JsonNode get(String path) {
    return rest.get(path).orElseThrow(() -> new AssertionError("GET " + path + " did not answer 200"));
  }
}
