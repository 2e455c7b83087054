package org.fedbeam.pipelines.rounds;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.allOf;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.ParDo;
import org.fedbeam.model.ModelFormat;
import org.fedbeam.model.Parameters;
import org.fedbeam.model.SystemMetadata;
import org.fedbeam.model.strategy.Strategies;
import org.fedbeam.model.strategy.Strategy;
import org.fedbeam.pipelines.Fixtures;
import org.fedbeam.transforms.AggregateResult;
import org.fedbeam.transforms.Artifacts;
import org.fedbeam.transforms.Errors;
import org.fedbeam.transforms.FedBeamCoders;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The round's writer takes the strategy's server step and refuses what must not become a model: a
 * step that overflowed to a non-finite value, or a failed aggregation. Nothing is written then.
 */
class ServerStepGuardTest {
  @TempDir
  Path dir;

  @Test
  void aServerStepThatOverflowsWritesNeitherModelNorState() {
    float[] huge = new float[Fixtures.SPEC.parameterCount()];
    java.util.Arrays.fill(huge, 1e38f); // finite, but 10 x 1e38 is not a float
    Strategy momentum = Strategies.create("fedavgm", Map.of("server_lr", 10.0, "server_momentum", 0.5));

    Exception e = assertThrows(Exception.class, () -> write(momentum,
        new AggregateResult(1, Parameters.copyOf(Fixtures.SPEC, huge), 10, participants())));

    assertThat(Errors.messages(e), allOf(containsString("strategy fedavgm's server step in round 1 gave a non-finite"
        + " value"), containsString("nothing was written")));
    assertThat(Artifacts.exists(model()), equalTo(false));
    assertThat(Artifacts.exists(stateOut()), equalTo(false));
  }

  @Test
  void aFailedAggregationWritesNothingAndSaysWhy() {
    Exception e = assertThrows(Exception.class, () -> write(Strategies.create("fedavg", Map.of()),
        new AggregateResult(1, null, 10, participants(), "krum: byzantine 1 needs at least 5 updates, the round has 2")));

    assertThat(Errors.messages(e), containsString("krum: byzantine 1 needs at least 5 updates, the round has 2;"
        + " nothing was written"));
    assertThat(Artifacts.exists(model()), equalTo(false));
  }

  @Test
  void aFiniteStepWritesTheStateThenTheModel() {
    float[] step = new float[Fixtures.SPEC.parameterCount()];
    java.util.Arrays.fill(step, 0.5f);

    write(Strategies.create("fedavgm", Map.of()), new AggregateResult(1, Parameters.copyOf(Fixtures.SPEC, step), 10,
        participants()));

    assertThat(Artifacts.exists(model()), equalTo(true));
    assertThat(Artifacts.exists(stateOut()), equalTo(true));
  }

  private void write(Strategy strategy, AggregateResult result) {
    String global = dir.resolve("models/round-0000.fbm").toString();
    Artifacts.writeAtomically(global, ModelFormat.encode(Parameters.zeros(Fixtures.SPEC)));
    String descriptor = dir.resolve("rounds/current-round.json").toString();
    new RoundDescriptor(1, global, model(), dir.resolve("rounds/round-0001").toString(), List.of(), Map.of(),
        Fixtures.emptyState(dir), stateOut()).write(descriptor);
    Pipeline p = Pipeline.create(PipelineOptionsFactory.fromArgs("--runner=DirectRunner").create());
    FedBeamCoders.registerAll(p.getCoderRegistry());
    p.apply(Create.of(result).withCoder(FedBeamCoders.AggregateResultCoder.of()))
        .apply(ParDo.of(new RoundPipeline.WriteGlobalModelFn(descriptor, RoundDescriptor::read, strategy)))
        .setCoder(FedBeamCoders.ParametersCoder.of());
    p.run().waitUntilFinish();
  }

  private String model() {
    return dir.resolve("models/round-0001.fbm").toString();
  }

  private String stateOut() {
    return dir.resolve("state/round-0001.state").toString();
  }

  private static TreeMap<String, SystemMetadata> participants() {
    TreeMap<String, SystemMetadata> p = new TreeMap<>();
    p.put("silo-a", new SystemMetadata(10, 0.5, 3));
    return p;
  }
}
