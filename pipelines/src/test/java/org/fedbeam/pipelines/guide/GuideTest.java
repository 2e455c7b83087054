package org.fedbeam.pipelines.guide;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.greaterThanOrEqualTo;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.startsWith;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.fedbeam.model.bundle.ModelBundle;
import org.fedbeam.pipelines.predict.Predict;
import org.fedbeam.pipelines.rounds.RoundRecords;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * docs/guide-two-providers.md, run as a reader runs it: every {@code sh} block in order, each in its
 * party's folder (hospital-a, hospital-b, owner, or the folder holding them), with {@code fedbeam}
 * from this build on the {@code PATH} and the two agents in the background. Then the end state the
 * guide promises: the statistics' {@code SUMMARY} (30 columns from 2 silos), the trained bundle (the
 * guide's rounds, the two diagnoses, its preprocessing), a prediction for every new row (each id, and
 * the diagnosis right for most of them), and audit logs whose chains hold. The run's folder,
 * every block's output included, is kept in {@code target/guide-run/}.
 */
@Tag("slow")
class GuideTest {
  static final Path GUIDE = Path.of("..", "docs", "guide-two-providers.md");
  static final List<String> FOLDERS = List.of("hospital-a", "hospital-b", "owner", "exchange-a", "exchange-b");
  static final Set<String> PARTIES = Set.of("hospital-a", "hospital-b", "owner");
  /** The rows the guide scores, and the rounds it trains. */
  static final int NEW_PATIENTS = 50;
  static final int ROUNDS = 5;

  @Test
  @Timeout(value = 15, unit = TimeUnit.MINUTES)
  void theGuideRunsFromTheExportsToThePredictions() throws Exception {
    GuideScript script = GuideScript.parse(Files.readString(GUIDE, StandardCharsets.UTF_8), PARTIES);
    Path root = Path.of("target", "guide-run").toAbsolutePath();
    deleteRecursively(root);
    long t0 = System.nanoTime();
    List<GuideRun.Result> results;
    try (GuideRun run = new GuideRun(root, FOLDERS)) {
      results = run.run(script);
    }
    double seconds = (System.nanoTime() - t0) / 1e9;
    System.out.printf("GUIDE %d blocks ran in %.1f s (folders and logs in %s)%n", script.blocks().size(), seconds,
        root);

    JsonNode stats = summary(results, "fedbeam stats");
    assertThat(stats.toString(), stats.path("columns").asInt(), equalTo(30));
    assertThat(stats.toString(), stats.path("silos").asInt(), equalTo(2));
    assertThat(stats.toString(), stats.has("suppressed_cells"), equalTo(true));
    assertThat(stats.toString(), stats.has("epsilon_spent"), equalTo(true));

    JsonNode train = summary(results, "fedbeam orchestrate");
    assertThat(train.toString(), train.path("rounds_completed").asInt(), equalTo(ROUNDS));
    ModelBundle bundle = Predict.read(root.resolve("owner/run/model-final.fbmb"));
    assertThat(bundle.classLabels(), equalTo(List.of("benign", "malignant")));
    assertThat(bundle.featureNames().size(), equalTo(30));

    assertPredictions(root.resolve("hospital-a"));
    for (String hospital : List.of("hospital-a", "hospital-b")) {
      assertThat(hospital, output(results, hospital, "fedbeam audit verify"), containsString("OK "));
    }
  }

  private static void deleteRecursively(Path dir) throws java.io.IOException {
    if (Files.exists(dir)) {
      try (var walk = Files.walk(dir)) {
        for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
          Files.delete(p);
        }
      }
    }
  }

  /** One prediction per new patient, in order, each with its id; and most of them right. */
  private static void assertPredictions(Path hospital) throws Exception {
    List<String> in = Files.readAllLines(hospital.resolve("new-patients.csv"));
    List<String> out = Files.readAllLines(hospital.resolve("predictions.csv"));
    assertThat(in.size(), equalTo(NEW_PATIENTS + 1));
    assertThat(out.size(), equalTo(in.size()));
    assertThat(out.get(0), startsWith("record_id,"));
    Map<String, String> truth = new HashMap<>();
    // the later export: patients no silo trained on (the diagnosis the hospital learns afterwards)
    List<String> export = Files.readAllLines(hospital.resolve("later-export.csv"));
    for (String line : Files.readAllLines(hospital.resolve("export.csv"))) {
      assertThat("a new patient was in the training export", in.stream().skip(1).anyMatch(
          l -> l.substring(0, l.indexOf(',')).equals(line.substring(0, line.indexOf(',')))), equalTo(false));
    }
    for (String line : export.subList(1, export.size())) {
      truth.put(line.substring(0, line.indexOf(',')), line.substring(line.lastIndexOf(',') + 1));
    }
    int right = 0;
    for (int i = 1; i < in.size(); i++) {
      String id = in.get(i).substring(0, in.get(i).indexOf(','));
      String[] cells = out.get(i).split(",");
      assertThat("row " + i + " of predictions.csv", cells[0], equalTo(id));
      assertThat(List.of("benign", "malignant"), hasItem(cells[1]));
      right += cells[1].equals(truth.get(id)) ? 1 : 0;
    }
    // measured: 48 of 50 patients no silo trained on, after 5 DP-SGD rounds (the silos' noise differs each run). Predicting one class
    // for every row, as a model fed unscaled inputs tends to, gets about 63% (the share of benign rows)
    assertThat("predictions right of " + NEW_PATIENTS, right, greaterThanOrEqualTo(NEW_PATIENTS * 80 / 100));
  }

  /** The {@code SUMMARY} JSON printed by the one block that runs {@code command}. */
  private static JsonNode summary(List<GuideRun.Result> results, String command) throws Exception {
    String text = output(results, null, command);
    String line = text.lines().filter(l -> l.startsWith("SUMMARY ")).reduce((a, b) -> b)
        .orElseThrow(() -> new AssertionError("no SUMMARY line from '" + command + "':\n" + text));
    return RoundRecords.JSON.readTree(line.substring("SUMMARY ".length()));
  }

  private static String output(List<GuideRun.Result> results, String party, String command) {
    return results.stream().filter(r -> r.block().script().contains(command))
        .filter(r -> party == null || r.block().party().equals(party)).map(GuideRun.Result::output)
        .reduce((a, b) -> b).orElseThrow(() -> new AssertionError("the guide has no block running '" + command + "'"
            + (party == null ? "" : " in " + party)));
  }
}
