package org.fedbeam.pipelines.federated;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.equalTo;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.TypeDescriptor;
import org.fedbeam.model.ModelFormat;
import org.fedbeam.pipelines.Fixtures;
import org.fedbeam.pipelines.protocol.Signed;
import org.fedbeam.pipelines.rounds.SiloPipeline;
import org.fedbeam.transforms.Artifacts;
import org.fedbeam.transforms.GuardEgress;
import org.fedbeam.transforms.MetadataRules;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A step of the silo pipeline that tries to carry bits out in the allowed metadata fields: the
 * egress guard lets out only each field's rounded, range-checked value, or nothing.
 */
class MetadataSmugglingTest {
  private static final int ROWS = 60;
  @TempDir
  Path dir;

  @Test
  void aLossWithTwelveDigitsLeavesWithFour() throws Exception {
    String staged = run("{\"samples\":60,\"train_loss\":0.123456789012,\"train_ms\":1234}");
    assertThat(staged, equalTo("{\"samples\":60,\"train_loss\":0.1235,\"train_ms\":1234}"));
  }

  @Test
  void aLossCarryingBitsInItsLowDigitsLeavesTheSameAsAnyNeighbour() throws Exception {
    String a = run("{\"samples\":60,\"train_loss\":1.2341000000001}");
    String b = run("{\"samples\":60,\"train_loss\":1.2344999999999}");
    assertThat(a, equalTo("{\"samples\":60,\"train_loss\":1.234}"));
    assertThat(b, equalTo(a));
  }

  @Test
  void aTrainingTimeBeyondItsRangeIsRefused() throws Exception {
    assertRefused("{\"samples\":60,\"train_ms\":" + ((1L << 52) + 12345) + "}",
        "the metadata field train_ms is outside the policy's range or precision");
    assertRefused("{\"samples\":60,\"train_ms\":12.5}", "the metadata field train_ms is outside the policy's range or precision");
    assertRefused("{\"samples\":60,\"train_loss\":-1}", "the metadata field train_loss is outside the policy's range or precision");
  }

  @Test
  void moreSamplesThanDeclaredAreRefused() throws Exception {
    assertRefused("{\"samples\":61}", "the update reports more samples than the silo declared");
    assertRefused("{\"samples\":60.5}", "the update reports fewer samples than the policy's minimum");
  }

  @Test
  void aDuplicateKeyOrTrailingDataInTheMetadataIsRefused() throws Exception {
    assertRefused("{\"samples\":60,\"samples\":59}", "the metadata is not a JSON object of numeric fields");
    assertRefused("{\"samples\":60}{\"train_loss\":1}", "the metadata is not a JSON object of numeric fields");
  }

  @Test
  void epsilonSpentHasItsRuleAlready() {
    MetadataRules.Rule rule = MetadataRules.defaults().rule("epsilon_spent");
    assertThat(rule, equalTo(MetadataRules.Rule.significant(4, 0, 1000)));
    assertThat(rule.apply(Signed.JSON.getNodeFactory().numberNode(2.718281828)), equalTo(2.718));
    assertThat(rule.apply(Signed.JSON.getNodeFactory().numberNode(1000.4)), equalTo(1000.0));
    assertThat(rule.apply(Signed.JSON.getNodeFactory().numberNode(1001.0)), equalTo(null));
  }

  private void assertRefused(String metadata, String reason) throws Exception {
    SiloPipeline.Plan plan = plan(metadata.hashCode() + "-" + System.nanoTime());
    Pipeline p = Pipeline.create(PipelineOptionsFactory.fromArgs("--runner=DirectRunner").create());
    SiloPipeline.build(p, plan, replace(metadata));
    p.run().waitUntilFinish();
    String staging = SiloPipeline.SiloRound.read(plan.roundUri()).stagingDir();
    assertThat(Artifacts.exists(Artifacts.resolve(staging, SiloPipeline.METADATA_FILE)), equalTo(false));
    assertThat(Artifacts.exists(Artifacts.resolve(staging, SiloPipeline.UPDATE_FILE)), equalTo(false));
    assertThat(metadata, new String(Artifacts.read(Artifacts.resolve(staging, SiloPipeline.REFUSAL_FILE), "refusal"),
        StandardCharsets.UTF_8), equalTo(reason));
  }

  /** Runs the silo pipeline with the candidate's metadata replaced; returns the metadata staged to leave. */
  private String run(String metadata) throws Exception {
    SiloPipeline.Plan plan = plan(metadata.hashCode() + "-" + System.nanoTime());
    Pipeline p = Pipeline.create(PipelineOptionsFactory.fromArgs("--runner=DirectRunner").create());
    SiloPipeline.build(p, plan, replace(metadata));
    p.run().waitUntilFinish();
    String staging = SiloPipeline.SiloRound.read(plan.roundUri()).stagingDir();
    return new String(Artifacts.read(Artifacts.resolve(staging, SiloPipeline.METADATA_FILE), "metadata"), StandardCharsets.UTF_8);
  }

  private SiloPipeline.Plan plan(String name) {
    Path run = dir.resolve(name);
    String shard = run.resolve("private/train.fbds").toString();
    Artifacts.writeAtomically(shard, org.fedbeam.data.DatasetFormat.encode(Fixtures.blobs("alpha", ROWS, 7L)));
    String global = run.resolve("private/global.fbm").toString();
    Artifacts.writeAtomically(global, ModelFormat.encode(new org.fedbeam.model.DenseNetwork(Fixtures.SPEC).initialize(3L)));
    String roundUri = run.resolve("private/current-round.json").toString();
    new SiloPipeline.SiloRound(1, 9L, global, run.resolve("private/staging").toString(), Fixtures.SPEC, Fixtures.CONFIG)
        .write(roundUri);
    GuardEgress.Limits limits = new GuardEgress.Limits(java.util.Set.of("samples", "train_loss", "train_ms"), 10, 1000.0,
        MetadataRules.defaults().withSamples(10, ROWS));
    return new SiloPipeline.Plan("alpha", shard, limits, roundUri);
  }

  private static PTransform<PCollection<GuardEgress.Candidate>, PCollection<GuardEgress.Candidate>> replace(String metadata) {
    return new PTransform<>() {
      @Override
      public PCollection<GuardEgress.Candidate> expand(PCollection<GuardEgress.Candidate> in) {
        return in.apply(MapElements.into(TypeDescriptor.of(GuardEgress.Candidate.class)).via(c ->
            new GuardEgress.Candidate(c.silo(), c.round(), c.weights(), metadata)))
            .setCoder(GuardEgress.CandidateCoder.of());
      }
    };
  }
}
