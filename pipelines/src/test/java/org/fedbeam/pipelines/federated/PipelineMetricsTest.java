package org.fedbeam.pipelines.federated;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.greaterThan;
import static org.hamcrest.Matchers.hasKey;
import static org.hamcrest.Matchers.not;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.beam.runners.flink.FlinkPipelineOptions;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.util.VarInt;
import org.fedbeam.model.DenseNetwork;
import org.fedbeam.model.ModelFormat;
import org.fedbeam.model.Parameters;
import org.fedbeam.pipelines.Fixtures;
import org.fedbeam.pipelines.protocol.Signed;
import org.fedbeam.pipelines.rounds.AggregationPipeline;
import org.fedbeam.pipelines.rounds.SiloPipeline;
import org.fedbeam.pipelines.runners.EmbeddedFlink;
import org.fedbeam.pipelines.runners.RoundRunner;
import org.fedbeam.transforms.Artifacts;
import org.fedbeam.transforms.GuardEgress;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The silo and aggregation pipelines on a real embedded Flink cluster, their Beam metrics read back
 * through the cluster's REST API, where docs/metrics.md says to find them: the job's user
 * accumulators, and each step's vertex accumulators (the web UI's Accumulators tab).
 */
class PipelineMetricsTest {
  private static final int ROWS = 60;
  /** Rows trained on: every step sees a full batch, so an epoch's last partial batch sits out. */
  private static final long SAMPLES_SEEN = (long) Fixtures.CONFIG.epochs()
      * (ROWS < Fixtures.CONFIG.batchSize() ? ROWS : ROWS / Fixtures.CONFIG.batchSize() * Fixtures.CONFIG.batchSize());
  private static final GuardEgress.Limits LIMITS = new GuardEgress.Limits(Set.of("samples", "train_loss", "train_ms"),
      10, 1000.0);
  /** Limits that refuse the update: the shard has fewer samples than required. */
  private static final GuardEgress.Limits TOO_FEW_SAMPLES = new GuardEgress.Limits(Set.of("samples"), ROWS + 1, 1000.0);
  private static final String TRAIN = "TrainLocally/Train";
  private static final String GUARD = "GuardEgress/Check";
  private static final String WRITE_UPDATE = "WriteUpdate/ParMultiDo(WriteUpdate)";
  private static final String READ_UPDATES = "ReadUpdates/ParMultiDo(ReadUpdates)";
  private static final String WRITE_GLOBAL_MODEL = "WriteGlobalModel/ParMultiDo(WriteGlobalModel)";
  private static EmbeddedFlink flink;

  @TempDir
  Path dir;

  /** A metric as Flink's REST API shows it: the Beam step that emits it and its name in namespace fedbeam. */
  private record Key(String step, String name) {}

  @BeforeAll
  static void startFlink(@TempDir Path flinkDir) throws Exception {
    flink = EmbeddedFlink.start(2, "0", flinkDir);
  }

  @AfterAll
  static void stopFlink() throws Exception {
    flink.close();
  }

  @Test
  void eachSiloRoundReportsItsTrainingEgressAndStagedBytes() throws Exception {
    SiloPipeline.Plan plan = plan(LIMITS);
    RoundRunner rounds = flink.roundRunner();

    // as the agent runs it: round 1 through Beam's FlinkRunner, round 2 replays the job graph
    for (int round = 1; round <= 2; round++) {
      writeRound(plan, round);
      rounds.run(round, () -> silo(plan, "silo-rounds"));
    }

    List<String> jobs = finishedJobs("silo-rounds");
    assertThat(jobs.size(), equalTo(2));
    for (int round = 1; round <= 2; round++) {
      Map<Key, List<Long>> metrics = jobMetrics(jobs.get(round - 1));
      String staging = staging(round);
      byte[] update = Artifacts.read(Artifacts.resolve(staging, SiloPipeline.UPDATE_FILE), "update");
      JsonNode metadata = Signed.JSON.readTree(Artifacts.read(Artifacts.resolve(staging, SiloPipeline.METADATA_FILE),
          "metadata"));
      // each job counts its own round only
      assertThat(value(metrics, TRAIN, "samplesTrained"), equalTo(SAMPLES_SEEN));
      assertThat(value(metrics, TRAIN, "silosTrained"), equalTo(1L));
      long trainMs = metadata.get("train_ms").asLong();
      assertThat(metrics.get(new Key(TRAIN, "trainMillis")), equalTo(List.of(1L, trainMs, trainMs, trainMs)));
      assertThat(value(metrics, GUARD, "egressAllowed"), equalTo(1L));
      assertThat(metrics, not(hasKey(new Key(GUARD, "egressRefused"))));
      long normMilli = Math.round(norm(ModelFormat.decode(update, "update"), global()) * 1000);
      assertThat(normMilli, greaterThan(0L));
      assertThat(metrics.get(new Key(GUARD, "updateNormMilli")), equalTo(List.of(1L, normMilli, normMilli, normMilli)));
      assertThat(value(metrics, WRITE_UPDATE, "updateBytesStaged"), equalTo((long) update.length));
      // the web UI shows the same numbers, each on the vertex that runs its step
      assertThat(vertexMetrics(jobs.get(round - 1)), equalTo(metrics));
    }
  }

  @Test
  void aRefusedUpdateIsCountedAndNoBytesAreStaged() throws Exception {
    SiloPipeline.Plan plan = plan(TOO_FEW_SAMPLES);
    writeRound(plan, 1);

    RoundRunner.runWithBeam(1, silo(plan, "silo-refused"));

    List<String> jobs = finishedJobs("silo-refused");
    assertThat(jobs.size(), equalTo(1));
    Map<Key, List<Long>> metrics = jobMetrics(jobs.get(0));
    assertThat(value(metrics, TRAIN, "samplesTrained"), equalTo(SAMPLES_SEEN));
    assertThat(value(metrics, GUARD, "egressRefused"), equalTo(1L));
    assertThat(metrics, not(hasKey(new Key(GUARD, "egressAllowed"))));
    assertThat(metrics, not(hasKey(new Key(GUARD, "updateNormMilli"))));
    assertThat(metrics, not(hasKey(new Key(WRITE_UPDATE, "updateBytesStaged"))));
    assertThat(Artifacts.exists(Artifacts.resolve(staging(1), SiloPipeline.REFUSAL_FILE)), equalTo(true));
  }

  @Test
  void theAggregationCountsTheUpdatesItAveragedAndTheModelBytesItWrote() throws Exception {
    List<AggregationPipeline.UpdateRef> updates = new ArrayList<>();
    for (String silo : List.of("alpha", "beta", "gamma")) {
      byte[] weights = ModelFormat.encode(new DenseNetwork(Fixtures.SPEC).initialize(silo.length() + updates.size()));
      String uri = dir.resolve("orchestrator/updates/" + silo + ".fbm").toString();
      Artifacts.writeAtomically(uri, weights);
      updates.add(new AggregationPipeline.UpdateRef(silo, 1, uri, Artifacts.sha256Hex(weights), 40, 0.5, 3));
    }
    String roundUri = dir.resolve("orchestrator/aggregation.json").toString();
    Path model = dir.resolve("orchestrator/models/round-0001.fbm");
    String global = dir.resolve("orchestrator/models/round-0000.fbm").toString();
    Artifacts.writeAtomically(global, ModelFormat.encode(new DenseNetwork(Fixtures.SPEC).initialize(7)));
    new AggregationPipeline.AggregationRound(1, global, model.toString(), dir.resolve("orchestrator/rounds/1").toString(),
        Fixtures.emptyState(dir), Fixtures.stateOut(dir, 1), updates).write(roundUri);
    Pipeline p = Pipeline.create(options("aggregation"));
    AggregationPipeline.build(p, Fixtures.SPEC, org.fedbeam.model.strategy.FedAvg.INSTANCE, roundUri, Map.of());

    RoundRunner.runWithBeam(1, p);

    List<String> jobs = finishedJobs("aggregation");
    assertThat(jobs.size(), equalTo(1));
    Map<Key, List<Long>> metrics = jobMetrics(jobs.get(0));
    assertThat(value(metrics, READ_UPDATES, "updatesAggregated"), equalTo(3L));
    assertThat(value(metrics, WRITE_GLOBAL_MODEL, "globalModelBytesWritten"), equalTo(Files.size(model)));
    assertThat(vertexMetrics(jobs.get(0)), equalTo(metrics));
  }

  private SiloPipeline.Plan plan(GuardEgress.Limits limits) {
    String shard = dir.resolve("private/train.fbds").toString();
    Artifacts.writeAtomically(shard, org.fedbeam.data.DatasetFormat.encode(Fixtures.blobs("alpha", ROWS, 7L)));
    Artifacts.writeAtomically(globalUri(), ModelFormat.encode(global()));
    return new SiloPipeline.Plan("alpha", shard, limits, dir.resolve("private/current-round.json").toString());
  }

  private void writeRound(SiloPipeline.Plan plan, int round) {
    new SiloPipeline.SiloRound(round, 9L + round, globalUri(), staging(round), Fixtures.SPEC, Fixtures.CONFIG)
        .write(plan.roundUri());
  }

  private String globalUri() {
    return dir.resolve("private/global.fbm").toString();
  }

  private static Parameters global() {
    return new DenseNetwork(Fixtures.SPEC).initialize(3L);
  }

  private String staging(int round) {
    return dir.resolve("private/staging-" + round).toString();
  }

  private static Pipeline silo(SiloPipeline.Plan plan, String jobName) {
    Pipeline p = Pipeline.create(options(jobName));
    SiloPipeline.build(p, plan);
    return p;
  }

  /** FlinkRunner on the embedded cluster, as {@code Runners.prepare} sets it up, under a job name to find it by. */
  private static FlinkPipelineOptions options(String jobName) {
    FlinkPipelineOptions options = PipelineOptionsFactory.fromArgs("--runner=FlinkRunner").as(FlinkPipelineOptions.class);
    options.setFilesToStage(List.of(flink.stagingJar().toString()));
    options.setParallelism(flink.slots());
    options.setFasterCopy(true);
    options.setJobName(jobName);
    return options;
  }

  /** The L2 norm of {@code update - global}, computed as the egress guard does. */
  private static double norm(Parameters update, Parameters global) {
    double sum = 0;
    for (int i = 0; i < update.size(); i++) {
      double d = (double) update.get(i) - global.get(i);
      sum += d * d;
    }
    return Math.sqrt(sum);
  }

  private static long value(Map<Key, List<Long>> metrics, String step, String name) {
    Key key = new Key(step, name);
    assertThat(metrics, hasKey(key));
    assertThat(key + " is a counter", metrics.get(key).size(), equalTo(1));
    return metrics.get(key).get(0);
  }

  /** The ids of the finished jobs named {@code name}, oldest first (GET /jobs/overview). */
  private static List<String> finishedJobs(String name) throws Exception {
    List<JsonNode> jobs = new ArrayList<>();
    for (JsonNode job : get("/jobs/overview").get("jobs")) {
      if (job.get("name").asText().equals(name)) {
        assertThat(job.get("state").asText(), equalTo("FINISHED"));
        jobs.add(job);
      }
    }
    jobs.sort(Comparator.comparingLong(j -> j.get("start-time").asLong()));
    return jobs.stream().map(j -> j.get("jid").asText()).toList();
  }

  /** The job's fedbeam metrics from its user accumulators (GET /jobs/ID/accumulators). */
  private static Map<Key, List<Long>> jobMetrics(String jobId) throws Exception {
    Map<Key, List<Long>> metrics = new HashMap<>();
    addBeamMetrics(get("/jobs/" + jobId + "/accumulators").get("user-task-accumulators"), metrics, null);
    return metrics;
  }

  /**
   * The job's fedbeam metrics from each vertex's accumulators (GET /jobs/ID/vertices/VID/accumulators,
   * what the web UI's Accumulators tab shows), each checked to be on a vertex whose name names its step.
   */
  private static Map<Key, List<Long>> vertexMetrics(String jobId) throws Exception {
    Map<Key, List<Long>> metrics = new HashMap<>();
    for (JsonNode vertex : get("/jobs/" + jobId).get("vertices")) {
      JsonNode accumulators = get("/jobs/" + jobId + "/vertices/" + vertex.get("id").asText() + "/accumulators");
      addBeamMetrics(accumulators.get("user-accumulators"), metrics, vertex.get("name").asText());
    }
    return metrics;
  }

  /**
   * Adds the fedbeam metrics of Beam's accumulator {@code __metricscontainers}: its value is a JSON
   * list of Beam MonitoringInfos, labelled with step, namespace and name, each value a base64 payload
   * of varints (a counter's sum; a distribution's count, sum, min, max).
   */
  private static void addBeamMetrics(JsonNode accumulators, Map<Key, List<Long>> metrics, String vertexName)
      throws IOException {
    for (JsonNode accumulator : accumulators) {
      if (!accumulator.get("name").asText().equals("__metricscontainers")) {
        continue;
      }
      JsonNode attempted = Signed.JSON.readTree(accumulator.get("value").asText()).get("metrics").get("attempted");
      for (JsonNode info : attempted == null ? List.<JsonNode>of() : attempted) {
        JsonNode labels = info.get("labels");
        if (!labels.get("NAMESPACE").asText().equals("fedbeam")) {
          continue;
        }
        Key key = new Key(labels.get("PTRANSFORM").asText(), labels.get("NAME").asText());
        if (vertexName != null) {
          assertThat(vertexName, containsString(key.step()));
        }
        List<Long> values = new ArrayList<>();
        ByteArrayInputStream payload = new ByteArrayInputStream(Base64.getDecoder().decode(info.get("payload").asText()));
        while (payload.available() > 0) {
          values.add(VarInt.decodeLong(payload));
        }
        assertThat(key + " reported twice", metrics.put(key, values) == null, equalTo(true));
      }
    }
  }

  private static JsonNode get(String path) throws Exception {
    // the REST API answers only mutual TLS: this process's client certificate
    HttpResponse<byte[]> response = flink.rest().send(path);
    String body = new String(response.body(), java.nio.charset.StandardCharsets.UTF_8);
    assertThat("GET " + path + ": " + body, response.statusCode(), equalTo(200));
    return Signed.JSON.readTree(body);
  }
}
