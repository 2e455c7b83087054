package org.fedbeam.pipelines.loop;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.equalTo;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.fedbeam.model.EvalReport;
import org.fedbeam.model.ModelFormat;
import org.fedbeam.model.ModelSpec;
import org.fedbeam.model.Parameters;
import org.fedbeam.model.TrainConfig;
import org.fedbeam.model.strategy.Convergence;
import org.fedbeam.model.strategy.Participation;
import org.fedbeam.model.strategy.Strategies;
import org.fedbeam.pipelines.rounds.RoundRecords;
import org.fedbeam.transforms.Artifacts;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The reported model (--keep) and the provenance chain, on hand-made rounds with real model files. */
class BundlesTest {
  private static final ModelSpec SPEC = ModelSpec.of(2, List.of(), 2);
  private static final RoundLoop.Settings SETTINGS = new RoundLoop.Settings(SPEC, new TrainConfig(1, 8, 0.1, 0, 0),
      Strategies.create(Strategies.DEFAULT, Map.of()), new Participation(1.0, 1), 3, new Convergence(3, 0), 7L);

  @TempDir
  Path dir;

  @Test
  void bestIsTheEarliestRoundOfTheHighestValidationAccuracyAndKeepChoosesWhatIsReported() throws Exception {
    RoundLoop.Result result = result(new double[][] {{0.5, 0.60}, {0.8, 0.70}, {0.8, 0.75}, {0.7, 0.78}});
    ObjectNode best = RoundRecords.JSON.createObjectNode();
    ObjectNode last = RoundRecords.JSON.createObjectNode();

    RunSummary.outcome(best, result, Bundles.Keep.best, "B", "L");
    RunSummary.outcome(last, result, Bundles.Keep.last, "B", "L");

    assertThat(best.get("best_round").asInt(), equalTo(2));
    assertThat(best.get("final_model").asText(), equalTo("B"));
    assertThat(best.get("fl_accuracy").asDouble(), equalTo(0.70));
    assertThat(best.get("best_validation_accuracy").asDouble(), equalTo(0.8));
    assertThat(best.get("best_test_accuracy").asDouble(), equalTo(0.70));
    assertThat(best.get("last_test_accuracy").asDouble(), equalTo(0.78));
    assertThat(best.get("final_model_sha256").asText(), equalTo(Artifacts.sha256Hex(Files.readAllBytes(model(2)))));
    assertThat(last.get("final_model").asText(), equalTo("L"));
    assertThat(last.get("final_round").asInt(), equalTo(4));
    assertThat(last.get("fl_accuracy").asDouble(), equalTo(0.78));
    assertThat(last.get("final_model_sha256").asText(), equalTo(Artifacts.sha256Hex(Files.readAllBytes(model(4)))));
  }

  @Test
  void aPretrainedModelsChainComesFirstOrItsOriginIsRecorded() throws Exception {
    RoundLoop.Result result = result(new double[][] {{0.5, 0.6}});
    byte[] bytes = Files.readAllBytes(model(1));
    ObjectNode summary = RoundRecords.JSON.createObjectNode().put("mode", "simulation");
    Parameters pretrained = Parameters.zeros(SPEC);
    String chain = "[{\"stage\":\"pretrained\",\"origin\":\"centralized\"},{\"stage\":\"finetuned\"}]";

    JsonNode fresh = RoundRecords.JSON.readTree(Bundles.provenance(SETTINGS, result, result.last(), "run-a", summary, bytes));
    JsonNode carried = RoundRecords.JSON.readTree(Bundles.provenance(SETTINGS.withInitialModel(pretrained, chain), result,
        result.last(), "run-a", summary, bytes));
    JsonNode named = RoundRecords.JSON.readTree(Bundles.provenance(SETTINGS.withInitialModel(pretrained, "/m/base.onnx"),
        result, result.last(), "run-a", summary, bytes));

    assertThat(fresh.size(), equalTo(1));
    assertThat(fresh.get(0).get("stage").asText(), equalTo("federated"));
    assertThat(fresh.get(0).get("run").asText(), equalTo("run-a"));
    assertThat(fresh.get(0).get("model_sha256").asText(), equalTo(Artifacts.sha256Hex(bytes)));
    assertThat(carried.size(), equalTo(3));
    assertThat(carried.get(0).get("origin").asText(), equalTo("centralized"));
    assertThat(carried.get(1).get("stage").asText(), equalTo("finetuned"));
    assertThat(carried.get(2).get("stage").asText(), equalTo("federated"));
    assertThat(named.get(0).get("stage").asText(), equalTo("pretrained"));
    assertThat(named.get(0).get("origin").asText(), equalTo("/m/base.onnx"));
    assertThat(named.get(0).get("model_sha256").asText(), equalTo(Artifacts.sha256Hex(ModelFormat.encode(pretrained))));
  }

  /** Rounds with {validation accuracy, test accuracy}, each with its own model file. */
  private RoundLoop.Result result(double[][] accuracies) throws Exception {
    List<RoundLoop.RoundStats> rounds = new java.util.ArrayList<>();
    for (int r = 1; r <= accuracies.length; r++) {
      float[] values = new float[SPEC.parameterCount()];
      values[0] = r;
      Files.createDirectories(dir.resolve("models"));
      Files.write(model(r), ModelFormat.encode(Parameters.copyOf(SPEC, values)));
      Map<String, EvalReport> eval = Map.of("validation", report(accuracies[r - 1][0]), "test", report(accuracies[r - 1][1]));
      rounds.add(new RoundLoop.RoundStats(r, 1.0, "s", 0.5, new TreeMap<>(), new TreeMap<>(), eval, model(r).toString()));
    }
    return new RoundLoop.Result(rounds, rounds.get(rounds.size() - 1).modelUri(), false, null, Parameters.zeros(SPEC), null);
  }

  private Path model(int round) {
    return dir.resolve(String.format("models/round-%04d.fbm", round));
  }

  private static EvalReport report(double accuracy) {
    return new EvalReport(100, accuracy, 0.5, accuracy, new long[2][2]);
  }
}
