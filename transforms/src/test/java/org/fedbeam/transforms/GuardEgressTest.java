package org.fedbeam.transforms;

import static org.fedbeam.transforms.Fixtures.OTHER_SPEC;
import static org.fedbeam.transforms.Fixtures.SPEC;
import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.equalTo;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.metrics.MetricNameFilter;
import org.apache.beam.sdk.metrics.MetricQueryResults;
import org.apache.beam.sdk.metrics.MetricResult;
import org.apache.beam.sdk.metrics.MetricsFilter;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.transforms.View;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.apache.beam.sdk.values.PCollectionView;
import org.apache.beam.sdk.values.TypeDescriptors;
import org.fedbeam.model.DenseNetwork;
import org.fedbeam.model.Parameters;
import org.junit.jupiter.api.Test;

/** The egress guard on the DirectRunner: one good update leaves; anything else is dropped, counted and explained. */
class GuardEgressTest {
  private static final Parameters GLOBAL = new DenseNetwork(SPEC).initialize(1L);
  private static final GuardEgress.Limits LIMITS = new GuardEgress.Limits(Set.of("samples", "train_loss", "train_ms"), 10,
      5.0);
  private static final String GOOD_METADATA = "{\"samples\":120,\"train_loss\":0.5,\"train_ms\":12}";

  @Test
  void oneGoodUpdateLeavesWithOnlyItsNumbers() {
    GuardEgress.Candidate good = new GuardEgress.Candidate("alpha", 3, nudged(0.01f), GOOD_METADATA);
    Outcome o = guard(List.of(good));

    PAssert.that(o.allowedMetadata).containsInAnyOrder(GOOD_METADATA);
    PAssert.that(o.tuple.get(GuardEgress.REFUSED)).empty();
    PipelineResult result = o.pipeline.run();
    result.waitUntilFinish();
    assertThat(counter(result, "egressAllowed"), equalTo(1L));
    assertThat(counter(result, "egressRefused"), equalTo(0L));
  }

  @Test
  void aDataRowOrFreeTextInTheMetadataIsDropped() {
    assertRefused(List.of(new GuardEgress.Candidate("alpha", 3, nudged(0.01f),
        "{\"samples\":120,\"row\":[0.1,0.7,3.2,1.0]}")), "the metadata has fields outside the policy's allowed set", 1);
    assertRefused(List.of(new GuardEgress.Candidate("alpha", 3, nudged(0.01f),
        "{\"samples\":120,\"train_loss\":\"patient 4711, diagnosis ...\"}")),
        "the metadata has a value that is not a finite number", 1);
    assertRefused(List.of(new GuardEgress.Candidate("alpha", 3, nudged(0.01f), "samples=120 and some text")),
        "the metadata is not a JSON object of numeric fields", 1);
  }

  @Test
  void wrongShapeNonFiniteValuesAndAnOversizedNormAreDropped() {
    assertRefused(List.of(new GuardEgress.Candidate("alpha", 3, new DenseNetwork(OTHER_SPEC).initialize(2L),
        GOOD_METADATA)), "the update's shape does not match the requested model", 1);
    float[] nan = copy();
    nan[7] = Float.NaN;
    assertRefused(List.of(new GuardEgress.Candidate("alpha", 3, Parameters.copyOf(SPEC, nan), GOOD_METADATA)),
        "the update has values that are not finite numbers", 1);
    float[] inf = copy();
    inf[0] = Float.POSITIVE_INFINITY;
    assertRefused(List.of(new GuardEgress.Candidate("alpha", 3, Parameters.copyOf(SPEC, inf), GOOD_METADATA)),
        "the update has values that are not finite numbers", 1);
    assertRefused(List.of(new GuardEgress.Candidate("alpha", 3, nudged(1.0f), GOOD_METADATA)),
        "the update's norm is over the policy's bound", 1);
  }

  @Test
  void moreThanOneUpdateOrAnotherSilosOrTooFewSamplesAreDropped() {
    GuardEgress.Candidate good = new GuardEgress.Candidate("alpha", 3, nudged(0.01f), GOOD_METADATA);
    assertRefused(List.of(good, good), "the silo pipeline produced 2 updates; exactly one may leave", 2);
    assertRefused(List.of(new GuardEgress.Candidate("beta", 3, nudged(0.01f), GOOD_METADATA)),
        "the update names another silo or round", 1);
    assertRefused(List.of(new GuardEgress.Candidate("alpha", 3, nudged(0.01f), "{\"samples\":9}")),
        "the update reports fewer samples than the policy's minimum", 1);
  }

  private void assertRefused(List<GuardEgress.Candidate> candidates, String reason, long dropped) {
    Outcome o = guard(candidates);
    PAssert.that(o.tuple.get(GuardEgress.ALLOWED)).empty();
    PAssert.that(o.tuple.get(GuardEgress.REFUSED)).containsInAnyOrder(reason);
    PipelineResult result = o.pipeline.run();
    result.waitUntilFinish();
    assertThat(reason, counter(result, "egressRefused"), equalTo(dropped));
    assertThat(counter(result, "egressAllowed"), equalTo(0L));
  }

  private record Outcome(Pipeline pipeline, PCollectionTuple tuple, org.apache.beam.sdk.values.PCollection<String> allowedMetadata) {}

  private static Outcome guard(List<GuardEgress.Candidate> candidates) {
    Pipeline p = Fixtures.pipeline();
    PCollectionView<Parameters> global = p.apply("Global", Create.of(GLOBAL).withCoder(FedBeamCoders.ParametersCoder.of()))
        .apply(View.asSingleton());
    PCollectionTuple out = p.apply(Create.of(new ArrayList<>(candidates)).withCoder(GuardEgress.CandidateCoder.of()))
        .apply(GuardEgress.of("alpha", 3, SPEC, global, LIMITS));
    return new Outcome(p, out, out.get(GuardEgress.ALLOWED)
        .apply(MapElements.into(TypeDescriptors.strings()).via(GuardEgress.Candidate::metadataJson)));
  }

  /** The global model with every value moved by {@code step}: norm of the difference = step * sqrt(n). */
  private static Parameters nudged(float step) {
    float[] v = copy();
    for (int i = 0; i < v.length; i++) {
      v[i] += step;
    }
    return Parameters.copyOf(SPEC, v);
  }

  private static float[] copy() {
    float[] v = new float[GLOBAL.size()];
    for (int i = 0; i < v.length; i++) {
      v[i] = GLOBAL.get(i);
    }
    return v;
  }

  private static long counter(PipelineResult result, String name) {
    MetricQueryResults metrics = result.metrics().queryMetrics(MetricsFilter.builder()
        .addNameFilter(MetricNameFilter.named("fedbeam", name)).build());
    long total = 0;
    for (MetricResult<Long> c : metrics.getCounters()) {
      total += c.getAttempted();
    }
    return total;
  }
}
