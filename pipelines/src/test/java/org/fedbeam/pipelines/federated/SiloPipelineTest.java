package org.fedbeam.pipelines.federated;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.matchesPattern;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.metrics.MetricNameFilter;
import org.apache.beam.sdk.metrics.MetricResult;
import org.apache.beam.sdk.metrics.MetricsFilter;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.TypeDescriptor;
import org.fedbeam.model.ModelFormat;
import org.fedbeam.pipelines.Fixtures;
import org.fedbeam.pipelines.rounds.SiloPipeline;
import org.fedbeam.transforms.Artifacts;
import org.fedbeam.transforms.GuardEgress;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The silo pipeline: a step that smuggles data into the metadata is stopped by the egress guard. */
class SiloPipelineTest {
  @TempDir
  Path dir;

  @Test
  void aStepThatPutsADataRowIntoTheMetadataIsStoppedAndNothingIsStaged() throws Exception {
    SiloPipeline.Plan plan = plan();
    Pipeline p = pipeline();
    // a rogue step: copies the first training row into the metadata
    float[] row = new float[Fixtures.FEATURES];
    org.fedbeam.data.Dataset shard = Fixtures.blobs("alpha", 60, 7L);
    for (int f = 0; f < row.length; f++) {
      row[f] = shard.feature(0, f);
    }
    String leaked = java.util.Arrays.toString(row);
    SiloPipeline.build(p, plan, smuggle(leaked));

    PipelineResult result = p.run();
    result.waitUntilFinish();

    assertThat(Artifacts.exists(Artifacts.resolve(staging(plan), SiloPipeline.UPDATE_FILE)), equalTo(false));
    assertThat(Artifacts.exists(Artifacts.resolve(staging(plan), SiloPipeline.METADATA_FILE)), equalTo(false));
    String refusal = new String(Artifacts.read(Artifacts.resolve(staging(plan), SiloPipeline.REFUSAL_FILE), "refusal"),
        StandardCharsets.UTF_8);
    assertThat(refusal, equalTo("the metadata has fields outside the policy's allowed set"));
    assertThat(counter(result, "egressRefused"), equalTo(1L));
    assertThat(counter(result, "egressAllowed"), equalTo(0L));
  }

  @Test
  void withoutTheRogueStepTheUpdateIsStaged() throws Exception {
    SiloPipeline.Plan plan = plan();
    Pipeline p = pipeline();
    SiloPipeline.build(p, plan);

    PipelineResult result = p.run();
    result.waitUntilFinish();

    assertThat(ModelFormat.decode(Artifacts.read(Artifacts.resolve(staging(plan), SiloPipeline.UPDATE_FILE), "update"),
        "update").spec(), equalTo(Fixtures.SPEC));
    assertThat(counter(result, "egressAllowed"), equalTo(1L));
  }

  @Test
  void theDefinitionDigestIsStableHexAndCoversTheStepsInnerClasses() {
    assertThat(SiloPipeline.definitionSha256(), matchesPattern("[0-9a-f]{64}"));
    // the guard's checks and the training step live in nested classes: they must be covered
    assertThat(SiloPipeline.definitionClasses(), org.hamcrest.Matchers.hasItems(
        "org.fedbeam.transforms.GuardEgress$CheckFn", "org.fedbeam.transforms.TrainLocally$TrainLocallyFn",
        "org.fedbeam.transforms.GuardEgress$CandidateCoder", "org.fedbeam.pipelines.rounds.SiloPipeline$WriteUpdateFn"));
    assertThat(SiloPipeline.REF.sha256(), equalTo(SiloPipeline.definitionSha256()));
  }

  private SiloPipeline.Plan plan() {
    String shard = dir.resolve("private/train.fbds").toString();
    Artifacts.writeAtomically(shard, org.fedbeam.data.DatasetFormat.encode(Fixtures.blobs("alpha", 60, 7L)));
    String global = dir.resolve("private/global.fbm").toString();
    Artifacts.writeAtomically(global, ModelFormat.encode(new org.fedbeam.model.DenseNetwork(Fixtures.SPEC).initialize(3L)));
    String roundUri = dir.resolve("private/current-round.json").toString();
    String staging = dir.resolve("private/staging").toString();
    new SiloPipeline.SiloRound(1, 9L, global, staging, Fixtures.SPEC, Fixtures.CONFIG).write(roundUri);
    return new SiloPipeline.Plan("alpha", shard, new GuardEgress.Limits(java.util.Set.of("samples", "train_loss"), 10,
        1000.0), roundUri);
  }

  private static String staging(SiloPipeline.Plan plan) {
    return SiloPipeline.SiloRound.read(plan.roundUri()).stagingDir();
  }

  private static Pipeline pipeline() {
    return Pipeline.create(PipelineOptionsFactory.fromArgs("--runner=DirectRunner").create());
  }

  private static PTransform<PCollection<GuardEgress.Candidate>, PCollection<GuardEgress.Candidate>> smuggle(String row) {
    return new PTransform<>() {
      @Override
      public PCollection<GuardEgress.Candidate> expand(PCollection<GuardEgress.Candidate> in) {
        return in.apply(MapElements.into(TypeDescriptor.of(GuardEgress.Candidate.class)).via(c ->
            new GuardEgress.Candidate(c.silo(), c.round(), c.weights(),
                c.metadataJson().replace("}", ",\"first_row\":\"" + row + "\"}"))))
            .setCoder(GuardEgress.CandidateCoder.of());
      }
    };
  }

  private static long counter(PipelineResult result, String name) {
    long total = 0;
    for (MetricResult<Long> c : result.metrics().queryMetrics(MetricsFilter.builder()
        .addNameFilter(MetricNameFilter.named("fedbeam", name)).build()).getCounters()) {
      total += c.getAttempted();
    }
    return total;
  }
}
