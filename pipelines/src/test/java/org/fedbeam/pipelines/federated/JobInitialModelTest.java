package org.fedbeam.pipelines.federated;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.allOf;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.fedbeam.data.FeatureScaling;
import org.fedbeam.model.ModelSpec;
import org.fedbeam.model.Parameters;
import org.fedbeam.model.bundle.ModelBundle;
import org.fedbeam.model.onnx.OnnxExport;
import org.fedbeam.pipelines.loop.RoundLoop;
import org.fedbeam.pipelines.protocol.JobSpec;
import org.fedbeam.transforms.Artifacts;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The job file's {@code initial_model}: loaded into the loop's settings, and a shape that does not fit the job's model refused before round 1. */
class JobInitialModelTest {
  @TempDir
  Path dir;
  private World world;

  @BeforeEach
  void setUp() throws Exception {
    world = new World(dir, List.of("alpha", "beta"));
  }

  private Path onnx(ModelSpec spec, long seed) throws Exception {
    Parameters model = spec.learner().initialize(seed);
    ModelBundle bundle = new ModelBundle(model, ModelBundle.numberedNames("f", spec.inputs()),
        new FeatureScaling(new float[spec.inputs()], filled(spec.inputs())),
        ModelBundle.numberedNames("c", spec.classes()), "[]");
    return Files.write(dir.resolve("pretrained-" + spec.describe().replace(' ', '-') + ".onnx"), OnnxExport.encode(bundle));
  }

  @Test
  void theJobsInitialModelBecomesTheSettingsStartingModel() throws Exception {
    Path file = onnx(World.SPEC, 21);
    Path job = world.job("pre", 1, 1, 30, j -> j.put("initial_model", file.toString()));

    RoundLoop.Settings settings = Orchestrator.settings(JobSpec.read(job));

    assertThat(settings.startingModel(), equalTo(World.SPEC.learner().initialize(21)));
    assertThat(settings.initialOrigin(), allOf(containsString(file.toString()), containsString("ONNX"),
        containsString(Artifacts.sha256Hex(Files.readAllBytes(file)))));
  }

  @Test
  void aShapeThatDoesNotFitTheJobsModelIsRefusedBeforeRoundOne() throws Exception {
    ModelSpec wider = ModelSpec.of(World.SPEC.inputs(), List.of(7), World.SPEC.classes());
    Path file = onnx(wider, 3);
    Path job = world.job("misfit", 1, 1, 30, j -> j.put("initial_model", file.toString()));
    OrchestrateOptions options = PipelineOptionsFactory.fromArgs("--runner=DirectRunner", "--job=" + job)
        .as(OrchestrateOptions.class);

    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Orchestrator.run(options, System.out));

    assertThat(e.getMessage(), allOf(containsString("initial model " + file), containsString("is " + wider.describe()),
        containsString("the run's model " + World.SPEC.describe()), containsString("the job file's model")));
    assertThat(Files.exists(dir.resolve("orchestrator/run-misfit")), equalTo(false));
  }

  @Test
  void initialModelMustBeText() throws Exception {
    Path job = world.job("typed", 1, 1, 30, j -> j.put("initial_model", 5));

    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> JobSpec.read(job));

    assertThat(e.getMessage(), containsString("initial_model"));
  }

  private static float[] filled(int n) {
    float[] a = new float[n];
    java.util.Arrays.fill(a, 1f);
    return a;
  }
}
