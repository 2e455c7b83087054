package org.fedbeam.transforms;

import static org.fedbeam.transforms.Fixtures.SPEC;
import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.allOf;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.TypeDescriptors;
import org.fedbeam.data.Dataset;
import org.fedbeam.model.DenseNetwork;
import org.fedbeam.model.EvalReport;
import org.fedbeam.model.Parameters;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Evaluation of models on named data sets on the DirectRunner. */
class EvaluateModelTest {
  private static final Dataset HOLDOUT = Fixtures.blobs("holdout", 45, 501L);
  private static final Dataset TEST = Fixtures.blobs("test", 30, 502L);
  /** Trained a little, so the accuracy is neither chance nor perfect. */
  private static final Parameters MODEL = new DenseNetwork(SPEC)
      .train(new DenseNetwork(SPEC).initialize(3L), Fixtures.blobs("train", 60, 503L), Fixtures.CONFIG, 4L).parameters();
  private static final Parameters OTHER_MODEL = new DenseNetwork(SPEC).initialize(8L);

  @TempDir
  Path dir;

  @Test
  void eachModelIsEvaluatedOnceOnEveryDataset() {
    Map<String, String> datasets = writeDatasets();
    Pipeline p = Fixtures.pipeline();

    PCollection<ModelEvaluation> evaluations = evaluate(p, List.of(MODEL, OTHER_MODEL), datasets);

    PAssert.that(evaluations.apply(MapElements.into(TypeDescriptors.strings()).via(ModelEvaluation::dataset)))
        .containsInAnyOrder("holdout", "holdout", "test", "test");
    p.run().waitUntilFinish();
  }

  @Test
  void theAccuracyIsWhatTheNetworkComputesDirectly() {
    Map<String, String> datasets = writeDatasets();
    DenseNetwork network = new DenseNetwork(SPEC);
    Pipeline p = Fixtures.pipeline();

    PCollection<ModelEvaluation> evaluations = evaluate(p, List.of(MODEL), datasets);

    PAssert.that(evaluations.apply(MapElements.into(TypeDescriptors.kvs(TypeDescriptors.strings(),
            TypeDescriptors.doubles())).via(e -> KV.of(e.dataset(), e.report().accuracy()))))
        .containsInAnyOrder(List.of(KV.of("holdout", network.evaluate(MODEL, HOLDOUT).accuracy()),
            KV.of("test", network.evaluate(MODEL, TEST).accuracy())));
    p.run().waitUntilFinish();
  }

  @Test
  void theFullReportIsWhatTheNetworkComputesDirectly() {
    Map<String, String> datasets = writeDatasets();
    EvalReport direct = new DenseNetwork(SPEC).evaluate(MODEL, HOLDOUT);
    byte[] expected = Fixtures.encode(FedBeamCoders.ModelEvaluationCoder.of(), new ModelEvaluation("holdout", direct));
    Pipeline p = Fixtures.pipeline();

    PCollection<ModelEvaluation> evaluations = evaluate(p, List.of(MODEL), Map.of("holdout", datasets.get("holdout")));

    PAssert.thatSingleton(evaluations).satisfies(e -> {
      assertThat(Fixtures.encode(FedBeamCoders.ModelEvaluationCoder.of(), e), equalTo(expected));
      return null;
    });
    p.run().waitUntilFinish();
  }

  @Test
  void evaluatingOnSeveralThreadsGivesTheSameReportAsOnOne() {
    // more rows than one evaluation batch (512), so the forward passes really are split between threads
    Dataset large = Fixtures.blobs("large", 1300, 505L);
    String uri = Fixtures.writeShard(dir, "large.fbds", large);
    EvalReport direct = new DenseNetwork(SPEC).evaluate(MODEL, large);
    byte[] expected = Fixtures.encode(FedBeamCoders.ModelEvaluationCoder.of(), new ModelEvaluation("large", direct));
    Pipeline p = Fixtures.pipeline();

    PCollection<ModelEvaluation> evaluations = p
        .apply(Create.of(List.of(MODEL)).withCoder(FedBeamCoders.ParametersCoder.of()))
        .apply(EvaluateModel.on(Map.of("large", uri)).withThreads(3));

    PAssert.thatSingleton(evaluations).satisfies(e -> {
      assertThat(Fixtures.encode(FedBeamCoders.ModelEvaluationCoder.of(), e), equalTo(expected));
      return null;
    });
    p.run().waitUntilFinish();
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> EvaluateModel.on(Map.of("large", uri)).withThreads(0));
    assertThat(e.getMessage(), containsString("threads must be >= 1, was 0"));
  }

  @Test
  void noDatasetsAreRejected() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> EvaluateModel.on(Map.of()));

    assertThat(e.getMessage(), containsString("at least one evaluation data set"));
  }

  @Test
  void aMissingDatasetFailsNamingItAndTheFile() {
    Map<String, String> datasets = new HashMap<>(writeDatasets());
    String missing = dir.resolve("gone.fbds").toString();
    datasets.put("gone", missing);
    Pipeline p = Fixtures.pipeline();
    evaluate(p, List.of(MODEL), datasets);

    Pipeline.PipelineExecutionException e = assertThrows(Pipeline.PipelineExecutionException.class,
        () -> p.run().waitUntilFinish());

    assertThat(Fixtures.causalMessages(e),
        hasItem(allOf(containsString("evaluation set gone"), containsString(missing))));
  }

  @Test
  void aDatasetWithTheWrongFeatureCountFailsNamingTheFile() {
    String narrow = Fixtures.writeShard(dir, "narrow.fbds", Fixtures.blobs("narrow", 20, 4, 504L));
    Pipeline p = Fixtures.pipeline();
    evaluate(p, List.of(MODEL), Map.of("narrow", narrow));

    Pipeline.PipelineExecutionException e = assertThrows(Pipeline.PipelineExecutionException.class,
        () -> p.run().waitUntilFinish());

    assertThat(Fixtures.causalMessages(e),
        hasItem(allOf(containsString(narrow), containsString("4 features"), containsString("expects 6"))));
  }

  private Map<String, String> writeDatasets() {
    return Map.of("holdout", Fixtures.writeShard(dir, "holdout.fbds", HOLDOUT),
        "test", Fixtures.writeShard(dir, "test.fbds", TEST));
  }

  private static PCollection<ModelEvaluation> evaluate(Pipeline p, List<Parameters> models,
      Map<String, String> datasets) {
    return p.apply(Create.of(models).withCoder(FedBeamCoders.ParametersCoder.of()))
        .apply(EvaluateModel.on(datasets));
  }
}
