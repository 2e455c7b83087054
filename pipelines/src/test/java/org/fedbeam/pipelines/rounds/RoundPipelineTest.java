package org.fedbeam.pipelines.rounds;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasKey;
import static org.hamcrest.Matchers.lessThanOrEqualTo;
import static org.hamcrest.Matchers.not;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.beam.runners.flink.FlinkPipelineOptions;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.fedbeam.model.DenseNetwork;
import org.fedbeam.model.ModelFormat;
import org.fedbeam.model.Parameters;
import org.fedbeam.pipelines.Fixtures;
import org.fedbeam.pipelines.loop.SimulationRounds;
import org.fedbeam.model.strategy.FedAvg;
import org.fedbeam.pipelines.runners.EmbeddedFlink;
import org.fedbeam.pipelines.runners.RoundRunner;
import org.fedbeam.transforms.Artifacts;
import org.fedbeam.transforms.Errors;
import org.fedbeam.transforms.SiloTask;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** One round as a Beam pipeline, on the DirectRunner and on the embedded Flink cluster. */
class RoundPipelineTest {
  private static final int ROUND = 3;
  private static final Map<String, Integer> SILO_ROWS = Map.of("silo-a", 40, "silo-b", 25, "silo-c", 60, "silo-d", 33);
  private static EmbeddedFlink flink;

  @TempDir
  Path dir;

  @BeforeAll
  static void startFlink(@TempDir Path flinkDir) throws Exception {
    flink = EmbeddedFlink.start(2, "0", flinkDir);
  }

  @AfterAll
  static void stopFlink() throws Exception {
    flink.close();
  }

  @Test
  void directRunnerRoundEqualsPureAggregation() {
    assertRoundMatchesPureFunction(direct());
  }

  @Test
  void embeddedFlinkRoundEqualsPureAggregation() {
    assertRoundMatchesPureFunction(embeddedFlink());
  }

  @Test
  void siloWithNoRowsIsLeftOutAndRecorded() {
    Map<String, Integer> rows = new LinkedHashMap<>(SILO_ROWS);
    rows.put("silo-empty", 0);
    Map<String, String> silos = Fixtures.writeSilos(dir, rows);
    List<SiloTask> tasks = Fixtures.tasks(silos, ROUND);
    Parameters global = new DenseNetwork(Fixtures.SPEC).initialize(1);

    RoundRecords.Outcome outcome = runRound(embeddedFlink(), global, tasks);

    assertThat(outcome.skipped(), hasKey("silo-empty"));
    assertThat(outcome.skipped().get("silo-empty"), containsString(silos.get("silo-empty")));
    assertThat(outcome.participants(), not(hasKey("silo-empty")));
    assertThat(outcome.participants().size(), equalTo(SILO_ROWS.size()));
    Parameters model = ModelFormat.decode(Artifacts.read(modelUri(), "model"), modelUri());
    assertThat(model.maxAbsDifference(Fixtures.expectedRound(global, tasks)), lessThanOrEqualTo(1e-6));
  }

  @Test
  void siloWithWrongFeatureCountFailsNamingSiloAndFile() {
    Map<String, String> silos = Fixtures.writeSilos(dir, SILO_ROWS);
    String odd = dir.resolve("silo-odd").resolve("train.fbds").toString();
    Artifacts.writeAtomically(odd, org.fedbeam.data.DatasetFormat.encode(new org.fedbeam.data.Dataset("odd",
        new float[4 * 2], new int[4], 2, Fixtures.CLASSES)));
    silos.put("silo-odd", odd);
    Parameters global = new DenseNetwork(Fixtures.SPEC).initialize(1);

    Exception e = assertThrows(Exception.class, () -> runRound(direct(), global, Fixtures.tasks(silos, ROUND)));

    String messages = Errors.messages(e);
    assertThat(messages, containsString("silo silo-odd"));
    assertThat(messages, containsString(odd));
    assertThat(messages, containsString("2 features"));
  }

  @Test
  void aReplayedRoundOnEmbeddedFlinkMatchesTheDirectRunnerAndReportsFailuresNamingSiloAndFile() {
    Map<String, String> silos = Fixtures.writeSilos(dir, SILO_ROWS);
    String test = Fixtures.writeEval(dir, "test", 50);
    Parameters global = new DenseNetwork(Fixtures.SPEC).initialize(1);
    String descriptor = RoundDescriptor.uri(dir.toString());
    RoundPipeline.Plan plan = new RoundPipeline.Plan(descriptor, global.spec(), Map.of("test", test), 2, FedAvg.INSTANCE);
    RoundRunner replaying = flink.roundRunner();
    java.util.function.Supplier<Pipeline> flinkPipeline = () -> {
      Pipeline p = Pipeline.create(embeddedFlink());
      RoundPipeline.build(p, plan);
      return p;
    };
    Map<String, Long> bytes = SimulationRounds.shardBytes(silos);
    String model0 = dir.resolve("models").resolve("round-0000.fbm").toString();
    Artifacts.writeAtomically(model0, ModelFormat.encode(global));

    // rounds 1 and 2 on Flink (round 2 runs the job graph recorded in round 1), round 2 again on the DirectRunner
    String previous = model0;
    for (int round = 1; round <= 2; round++) {
      String out = dir.resolve("models").resolve("round-000" + round + ".fbm").toString();
      new RoundDescriptor(round, previous, out, dir.resolve("rounds").resolve("flink-" + round).toString(),
          Fixtures.tasks(silos, round), bytes, Fixtures.emptyState(dir), Fixtures.stateOut(dir, round)).write(descriptor);
      replaying.run(round, flinkPipeline);
      previous = out;
    }
    String direct = dir.resolve("models").resolve("direct-0002.fbm").toString();
    new RoundDescriptor(2, dir.resolve("models").resolve("round-0001.fbm").toString(), direct,
        dir.resolve("rounds").resolve("direct-2").toString(), Fixtures.tasks(silos, 2), bytes, Fixtures.emptyState(dir),
        Fixtures.stateOut(dir, 2)).write(descriptor);
    RoundRunner.beam().run(2, () -> {
      Pipeline p = Pipeline.create(direct());
      RoundPipeline.build(p, plan);
      return p;
    });
    assertThat(ModelFormat.decode(Artifacts.read(previous, "model"), previous)
        .maxAbsDifference(ModelFormat.decode(Artifacts.read(direct, "model"), direct)), lessThanOrEqualTo(1e-6));
    assertThat(RoundRecords.read(2, dir.resolve("rounds").resolve("flink-2").toString(), List.of("test"))
        .participants().keySet(), equalTo(new java.util.TreeSet<>(SILO_ROWS.keySet())));

    // round 3 replayed with a corrupted shard: the failure names the silo and the file
    String broken = silos.get("silo-c");
    byte[] shard = Artifacts.read(broken, "shard");
    shard[shard.length / 2] ^= 0x5a;
    Artifacts.writeAtomically(broken, shard);
    String out3 = dir.resolve("models").resolve("round-0003.fbm").toString();
    new RoundDescriptor(3, previous, out3, dir.resolve("rounds").resolve("flink-3").toString(),
        Fixtures.tasks(silos, 3), bytes, Fixtures.emptyState(dir), Fixtures.stateOut(dir, 3)).write(descriptor);

    Exception e = assertThrows(Exception.class, () -> replaying.run(3, flinkPipeline));

    String messages = Errors.messages(e);
    assertThat(messages, containsString("silo silo-c"));
    assertThat(messages, containsString(broken));
    assertThat(Artifacts.exists(out3), equalTo(false));
  }

  private void assertRoundMatchesPureFunction(PipelineOptions options) {
    Map<String, String> silos = Fixtures.writeSilos(dir, SILO_ROWS);
    List<SiloTask> tasks = Fixtures.tasks(silos, ROUND);
    Parameters global = new DenseNetwork(Fixtures.SPEC).initialize(1);

    RoundRecords.Outcome outcome = runRound(options, global, tasks);

    Parameters model = ModelFormat.decode(Artifacts.read(modelUri(), "model"), modelUri());
    Parameters expected = Fixtures.expectedRound(global, tasks);
    // the same updates in another order: only the double-precision sum's rounding may differ
    assertThat(model.maxAbsDifference(expected), lessThanOrEqualTo(1e-6));
    assertThat(model.maxAbsDifference(global) > 1e-3, equalTo(true));
    assertThat(outcome.totalSamples(), equalTo(SILO_ROWS.values().stream().mapToLong(Integer::longValue).sum()));
    assertThat(outcome.participants().keySet(), equalTo(new java.util.TreeSet<>(SILO_ROWS.keySet())));
    assertThat(outcome.participants().get("silo-b").sampleCount(), equalTo(25L));
    assertThat(outcome.evaluations().get("test").samples(), equalTo(50));
    assertThat(outcome.evaluations().get("test").accuracy(),
        equalTo(new DenseNetwork(Fixtures.SPEC).evaluate(model, Fixtures.blobs("test", 50, 999)).accuracy()));
  }

  private RoundRecords.Outcome runRound(PipelineOptions options, Parameters global, List<SiloTask> tasks) {
    String test = Fixtures.writeEval(dir, "test", 50);
    String roundDir = dir.resolve("rounds").resolve("round-0003").toString();
    String globalUri = dir.resolve("models").resolve("round-0002.fbm").toString();
    Artifacts.writeAtomically(globalUri, ModelFormat.encode(global));
    String descriptor = RoundDescriptor.uri(dir.toString());
    Map<String, String> silos = new java.util.HashMap<>();
    tasks.forEach(t -> silos.put(t.siloId(), t.dataUri()));
    Map<String, Long> bytes = SimulationRounds.shardBytes(silos);
    new RoundDescriptor(ROUND, globalUri, modelUri(), roundDir, tasks, bytes, Fixtures.emptyState(dir),
        Fixtures.stateOut(dir, ROUND)).write(descriptor);
    Pipeline pipeline = Pipeline.create(options);
    RoundPipeline.build(pipeline, new RoundPipeline.Plan(descriptor, global.spec(), Map.of("test", test), 2, FedAvg.INSTANCE));
    PipelineResult.State state = pipeline.run().waitUntilFinish();
    assertThat(state, equalTo(PipelineResult.State.DONE));
    return RoundRecords.read(ROUND, roundDir, List.of("test"));
  }

  private String modelUri() {
    return dir.resolve("models").resolve("round-0003.fbm").toString();
  }

  private static PipelineOptions direct() {
    return PipelineOptionsFactory.fromArgs("--runner=DirectRunner").create();
  }

  private static PipelineOptions embeddedFlink() {
    FlinkPipelineOptions options = PipelineOptionsFactory.fromArgs("--runner=FlinkRunner").as(FlinkPipelineOptions.class);
    options.setFilesToStage(List.of(flink.stagingJar().toString()));
    options.setParallelism(flink.slots());
    options.setFasterCopy(true);
    return options;
  }
}
