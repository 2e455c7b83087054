package org.fedbeam.pipelines.cli;

import static org.fedbeam.pipelines.cli.FinetuneFixtures.fedbeam;
import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.greaterThan;
import static org.hamcrest.Matchers.not;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.fedbeam.model.bundle.BundleFormat;
import org.fedbeam.model.bundle.ModelBundle;
import org.fedbeam.pipelines.rounds.RoundRecords;
import org.fedbeam.transforms.Artifacts;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code fedbeam finetune} end to end on real files: a model pretrained centrally on half the classes,
 * federated rounds (DirectRunner) that start from it, then fine-tuning on the orchestrator's own
 * data; a new head for a new task; frozen layers; and every bad input refused with nothing written.
 */
class FinetuneJobTest {
  @TempDir
  static Path shared;
  private static Path pretrained;
  private static Path federated;
  private static Path own;

  @TempDir
  Path dir;

  @BeforeAll
  static void pretrainThenFederate() throws Exception {
    Path pool = FinetuneFixtures.csv(shared.resolve("pool.csv"), 400, FinetuneFixtures.CLASSES,
        FinetuneFixtures.FEATURES, 0, 11L);
    pretrained = FinetuneFixtures.pretrained(shared, pool);
    Path silos = FinetuneFixtures.csv(shared.resolve("silos.csv"), 300, FinetuneFixtures.CLASSES,
        FinetuneFixtures.FEATURES, 0, 12L);
    federated = FinetuneFixtures.federated(shared, silos, pretrained);
    // the orchestrator's own task: shifted classes, its columns in another order than the model reads them
    own = FinetuneFixtures.csv(shared.resolve("own.csv"), 400, FinetuneFixtures.CLASSES,
        List.of("f3", "f1", "f4", "f2"), 1.5, 13L);
  }

  @Test
  void fineTuningAFederatedBundleImprovesItAndRecordsTheThreeStages() throws Exception {
    Path out = dir.resolve("ft");

    var run = fedbeam("finetune", "--model", federated.toString(), "--dataset", own.toString(), "--label-column",
        "kind", "--output", out.toString(), "--epochs", "5", "--lr", "0.05", "--batch-size", "16");

    assertThat(run.err(), run.code(), equalTo(0));
    assertThat(run.out(), containsString("SUMMARY "));
    ModelBundle input = BundleFormat.decode(Files.readAllBytes(federated), "input");
    ModelBundle tuned = BundleFormat.decode(Files.readAllBytes(out.resolve("model.fbmb")), "output");
    assertThat(tuned.featureNames(), equalTo(input.featureNames()));
    assertArrayEquals(input.scaling().mean(), tuned.scaling().mean());
    assertArrayEquals(input.scaling().scale(), tuned.scaling().scale());
    assertThat(tuned.classLabels(), equalTo(input.classLabels()));
    assertThat(tuned.model().spec(), equalTo(input.model().spec()));
    // the federated bundle's preprocessing encoded the orchestrator's rows and travels on, never refitted
    assertThat(input.preprocessing() != null, equalTo(true));
    assertThat(tuned.preprocessing(), equalTo(input.preprocessing()));
    JsonNode chain = RoundRecords.JSON.readTree(tuned.provenance());
    assertThat(stages(chain), equalTo(List.of("pretrained", "federated", "fine-tuned")));
    JsonNode last = chain.get(2);
    assertThat(last.get("parent").asText(), equalTo(federated.toString()));
    assertThat(last.get("parent_sha256").asText(), equalTo(Artifacts.sha256Hex(Files.readAllBytes(federated))));
    assertThat(chain.get(1).get("provenance").get("origin"), equalTo(null)); // a round's sidecar, not round 0's
    JsonNode summary = RoundRecords.JSON.readTree(out.resolve("finetune-summary.json").toFile());
    assertThat(summary.get("final_model_sha256").asText(),
        equalTo(Artifacts.sha256Hex(Files.readAllBytes(out.resolve("model.fbmb")))));
    assertThat(stages(summary.get("provenance")), equalTo(List.of("pretrained", "federated", "fine-tuned")));
    // the shifted task is learnt: test accuracy rises well above the federated model's on it
    assertThat(summary.get("test_accuracy_after").asDouble(),
        greaterThan(summary.get("test_accuracy_before").asDouble() + 0.1));
    assertThat(summary.get("test_accuracy_after").asDouble(), greaterThan(0.8));
    assertThat(summary.get("rows").get("test").asInt(), equalTo(80));
    assertThat(summary.get("rows").get("validation").asInt(), equalTo(40));
  }

  @Test
  void aNewHeadServesTheDataClassesAndFrozenLowerLayersStayBitForBit() throws Exception {
    Path task = FinetuneFixtures.csv(dir.resolve("task.csv"), 300, List.of("x", "y", "z"), FinetuneFixtures.FEATURES,
        0, 21L);
    Path out = dir.resolve("head");

    var run = fedbeam("finetune", "--model", federated.toString(), "--dataset", task.toString(), "--label-column",
        "kind", "--output", out.toString(), "--new-head", "--freeze-layers", "1", "--epochs", "8", "--lr", "0.05");

    assertThat(run.err(), run.code(), equalTo(0));
    ModelBundle input = BundleFormat.decode(Files.readAllBytes(federated), "input");
    ModelBundle tuned = BundleFormat.decode(Files.readAllBytes(out.resolve("model.fbmb")), "output");
    assertThat(tuned.classLabels(), equalTo(List.of("x", "y", "z")));
    assertThat(tuned.model().spec().describe(), equalTo("mlp 4-8-3"));
    assertThat(tuned.preprocessing().columns(), equalTo(input.preprocessing().columns()));
    assertThat(tuned.preprocessing().classes(), equalTo(List.of("x", "y", "z")));
    int lower = input.model().spec().weightOffset(1);
    assertArrayEquals(Arrays.copyOf(input.model().toArray(), lower), Arrays.copyOf(tuned.model().toArray(), lower));
    JsonNode summary = RoundRecords.JSON.readTree(out.resolve("finetune-summary.json").toFile());
    assertThat(summary.get("new_head").asBoolean(), equalTo(true));
    assertThat(summary.get("freeze_layers").asInt(), equalTo(1));
    assertThat(summary.get("freeze_epochs").asInt(), equalTo(8));
    assertThat(summary.get("test_accuracy_after").asDouble(), greaterThan(0.8));
  }

  @Test
  void lowerLayersFrozenForTheFirstEpochsOnlyMoveAfterwards() throws Exception {
    Path out = dir.resolve("thaw");

    var run = fedbeam("finetune", "--model", federated.toString(), "--dataset", own.toString(), "--label-column",
        "kind", "--output", out.toString(), "--freeze-layers", "1", "--freeze-epochs", "2", "--epochs", "4");

    assertThat(run.err(), run.code(), equalTo(0));
    ModelBundle input = BundleFormat.decode(Files.readAllBytes(federated), "input");
    ModelBundle tuned = BundleFormat.decode(Files.readAllBytes(out.resolve("model.fbmb")), "output");
    int lower = input.model().spec().weightOffset(1);
    assertThat(Arrays.equals(Arrays.copyOf(input.model().toArray(), lower), Arrays.copyOf(tuned.model().toArray(), lower)),
        equalTo(false));
    assertThat(run.out(), containsString("first 1 layer(s) frozen for 2 epoch(s)"));
  }

  @Test
  void aBareModelFromARunStartsTheChainAtItsFederatedRound() throws Exception {
    Path fbm = shared.resolve("run/models/round-0003.fbm");
    Path out = dir.resolve("bare");

    var run = fedbeam("finetune", "--model", fbm.toString(), "--dataset", own.toString(), "--label-column", "kind",
        "--output", out.toString(), "--epochs", "2");

    assertThat(run.err(), run.code(), equalTo(0));
    ModelBundle tuned = BundleFormat.decode(Files.readAllBytes(out.resolve("model.fbmb")), "output");
    JsonNode chain = RoundRecords.JSON.readTree(tuned.provenance());
    assertThat(stages(chain), equalTo(List.of("federated", "fine-tuned")));
    assertThat(chain.get(0).get("provenance").get("round").asInt(), equalTo(3));
    // a bare model names no columns: the data's own, in the data's order, scaled by the fine-tuning rows
    assertThat(tuned.featureNames(), equalTo(List.of("f3", "f1", "f4", "f2")));
    assertThat(tuned.classLabels(), equalTo(FinetuneFixtures.CLASSES));
  }

  @Test
  void badInputIsRefusedNamingWhatIsWrongAndNothingIsWritten() throws Exception {
    Path narrow = FinetuneFixtures.csv(dir.resolve("narrow.csv"), 60, FinetuneFixtures.CLASSES,
        List.of("f1", "f2", "f4"), 0, 31L);
    Path otherClasses = FinetuneFixtures.csv(dir.resolve("other.csv"), 60, List.of("a", "q", "r"),
        FinetuneFixtures.FEATURES, 0, 32L);
    Path corrupt = dir.resolve("corrupt.fbmb");
    byte[] bytes = Files.readAllBytes(federated);
    bytes[bytes.length / 2] ^= 1;
    Files.write(corrupt, bytes);
    Path fbm = shared.resolve("run/models/round-0003.fbm");
    Path out = dir.resolve("refused");
    String[][] cases = {
        {"--model", federated.toString(), "--dataset", narrow.toString(), "|" + narrow
            + ": column 'f3' is missing (the preprocessing expects a numeric column)"},
        {"--model", fbm.toString(), "--dataset", narrow.toString(), "|model " + fbm + " (mlp 4-8-4) reads 4 features, csv "
            + narrow + " has 3"},
        {"--model", federated.toString(), "--dataset", otherClasses.toString(), "|csv " + otherClasses
            + " has classes [q, r] that model " + federated + " (mlp 4-8-4) lacks (its classes: [a, b, c, d]); pass"
            + " --new-head"},
        {"--model", fbm.toString(), "--dataset", otherClasses.toString(), "|model " + fbm + " (mlp 4-8-4) has 4"
            + " outputs and no class labels (a bare model), csv " + otherClasses + " has 3 classes [a, q, r]; pass"
            + " --new-head"},
        {"--model", federated.toString(), "--dataset", own.toString(), "--freeze-layers", "2",
            "|--freeze-layers must be < the depth 2 of model " + federated + " (mlp 4-8-4; the output layer always"
            + " trains), was 2"},
        {"--model", corrupt.toString(), "--dataset", own.toString(), "|" + corrupt
            + ": model bundle checksum mismatch"},
        {"--model", federated.toString(), "--dataset", own.toString(), "--epochs", "0", "|--epochs must be >= 1, was 0"},
        {"--model", federated.toString(), "--dataset", own.toString(), "--freeze-epochs", "2",
            "|--freeze-epochs 2 needs --freeze-layers K >= 1"}};
    for (String[] c : cases) {
      List<String> args = new ArrayList<>(List.of("finetune", "--label-column", "kind", "--output", out.toString()));
      args.addAll(Arrays.asList(c).subList(0, c.length - 1));
      String expected = c[c.length - 1].substring(1);

      var run = fedbeam(args.toArray(String[]::new));

      assertThat(String.join(" ", args), run.code(), not(equalTo(0)));
      assertThat(run.err(), containsString(expected));
      assertThat("nothing written for " + args, Files.exists(out), equalTo(false));
    }
  }

  @Test
  void anOutputHoldingAFineTunedModelIsNotOverwrittenWithoutOverwrite() throws Exception {
    Path out = dir.resolve("again");
    String[] args = {"finetune", "--model", federated.toString(), "--dataset", own.toString(), "--label-column", "kind",
        "--output", out.toString(), "--epochs", "1"};
    assertThat(fedbeam(args).code(), equalTo(0));
    byte[] first = Files.readAllBytes(out.resolve("model.fbmb"));

    var again = fedbeam(args);

    assertThat(again.code(), equalTo(2));
    assertThat(again.err(), containsString(out.resolve("model.fbmb") + " already exists: pass --overwrite"));
    assertArrayEquals(first, Files.readAllBytes(out.resolve("model.fbmb")));
    List<String> overwrite = new ArrayList<>(Arrays.asList(args));
    overwrite.addAll(List.of("--overwrite", "--seed", "7"));
    assertThat(fedbeam(overwrite.toArray(String[]::new)).code(), equalTo(0));
    assertThat(Arrays.equals(first, Files.readAllBytes(out.resolve("model.fbmb"))), equalTo(false));
  }

  private static List<String> stages(JsonNode chain) {
    List<String> stages = new ArrayList<>();
    chain.forEach(s -> stages.add(s.get("stage").asText()));
    return stages;
  }
}
