package org.fedbeam.pipelines.federated;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.allOf;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Consumer;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.fedbeam.model.bundle.ModelBundle;
import org.fedbeam.pipelines.predict.Predict;
import org.fedbeam.pipelines.protocol.JobSpec;
import org.fedbeam.pipelines.rounds.RoundRecords;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The orchestrator's bundles: the job file's optional {@code features}, {@code scaling} and
 * {@code class_labels} reach {@code model-best.fbmb} and {@code model-final.fbmb}; without them the
 * bundle has numbered names; bad values are refused when the job is read, naming the file and field.
 */
class FederatedBundleTest {
  private static final List<String> FEATURES = List.of("a", "b", "c", "d", "e", "f");

  @TempDir
  Path dir;
  private World world;

  @BeforeEach
  void setUp() throws Exception {
    world = new World(dir, List.of("alpha", "beta"));
  }

  @AfterEach
  void tearDown() throws Exception {
    world.close();
  }

  @Test
  void theJobsDescriptionOfTheDataReachesBothBundles() throws Exception {
    world.serve("alpha");
    world.serve("beta");
    Path job = world.job("described", 2, 2, 30, j -> describe(j));
    OrchestrateOptions options = PipelineOptionsFactory.fromArgs("--runner=DirectRunner", "--keep=last")
        .as(OrchestrateOptions.class);
    options.setJob(job.toString());

    ObjectNode summary = Orchestrator.run(options, System.out);

    Path out = Path.of(JobSpec.read(job).output());
    assertThat(summary.get("keep").asText(), equalTo("last"));
    assertThat(summary.get("final_model").asText(), equalTo(out.resolve("model-final.fbmb").toString()));
    assertThat(summary.get("fl_accuracy").asDouble(), equalTo(summary.get("last_test_accuracy").asDouble()));
    for (String name : List.of("model-best.fbmb", "model-final.fbmb")) {
      ModelBundle bundle = Predict.read(out.resolve(name));
      assertThat(bundle.featureNames(), equalTo(FEATURES));
      assertThat(bundle.classLabels(), equalTo(List.of("cat", "dog", "eel")));
      assertThat(bundle.scaling().mean()[1], equalTo(2.5f));
      assertThat(bundle.scaling().scale()[5], equalTo(4f));
      JsonNode stage = RoundRecords.JSON.readTree(bundle.provenance()).get(0);
      assertThat(stage.get("run").asText(), equalTo("described"));
      assertThat(stage.get("mode").asText(), equalTo("federated"));
    }
  }

  @Test
  void withoutADescriptionTheBundleHasNumberedNamesAndTheIdentityScaling() throws Exception {
    world.serve("alpha");
    world.serve("beta");
    Path job = world.job("plain", 1, 2, 30, j -> {});
    OrchestrateOptions options = PipelineOptionsFactory.fromArgs("--runner=DirectRunner").as(OrchestrateOptions.class);
    options.setJob(job.toString());

    ObjectNode summary = Orchestrator.run(options, System.out);

    ModelBundle bundle = Predict.read(Path.of(summary.get("final_model").asText()));
    assertThat(bundle.featureNames(), equalTo(ModelBundle.numberedNames("feature_", 6)));
    assertThat(bundle.classLabels(), equalTo(List.of("class_0", "class_1", "class_2")));
    assertThat(bundle.scaling().scale()[0], equalTo(1f));
    assertThat(bundle.scaling().mean()[0], equalTo(0f));
    assertThat(summary.get("final_model").asText(), containsString("model-best.fbmb"));
  }

  @Test
  void badDescriptionsAreRefusedWhenTheJobIsReadNamingTheField() throws Exception {
    Object[][] cases = {
        {(Consumer<ObjectNode>) j -> j.putArray("features").add("a"), "features must be an array of 6 names (one per model input), was 1 names"},
        {(Consumer<ObjectNode>) j -> { describe(j); ((com.fasterxml.jackson.databind.node.ArrayNode) j.get("features")).set(2, j.textNode("a")); },
            "features repeats a name"},
        {(Consumer<ObjectNode>) j -> j.putArray("class_labels").add("x").add(1).add("z"), "class_labels[1] must be a non-empty text, was 1"},
        {(Consumer<ObjectNode>) j -> { describe(j); ((com.fasterxml.jackson.databind.node.ArrayNode) j.get("scaling").get("scale")).set(3, j.numberNode(0)); },
            "scaling.scale[3] must be a finite number > 0, was 0"},
        {(Consumer<ObjectNode>) j -> j.putObject("scaling").putArray("mean"), "scaling must be an object {\"mean\": [...], \"scale\": [...]}"},
        {(Consumer<ObjectNode>) j -> { describe(j); ((com.fasterxml.jackson.databind.node.ArrayNode) j.get("scaling").get("mean")).set(0, j.textNode("x")); },
            "scaling.mean[0] must be a finite number, was \"x\""},
    };
    int i = 0;
    for (Object[] c : cases) {
      @SuppressWarnings("unchecked")
      Path job = world.job("bad-" + i++, 1, 2, 30, (Consumer<ObjectNode>) c[0]);

      IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> JobSpec.read(job), (String) c[1]);

      assertThat(e.getMessage(), allOf(containsString("job file " + job), containsString((String) c[1])));
    }
  }

  private static void describe(ObjectNode job) {
    var features = job.putArray("features");
    FEATURES.forEach(features::add);
    var scaling = job.putObject("scaling");
    var mean = scaling.putArray("mean");
    var scale = scaling.putArray("scale");
    for (int f = 0; f < 6; f++) {
      mean.add(f == 1 ? 2.5 : 0.0);
      scale.add(f == 5 ? 4.0 : 1.0);
    }
    job.putArray("class_labels").add("cat").add("dog").add("eel");
  }
}
