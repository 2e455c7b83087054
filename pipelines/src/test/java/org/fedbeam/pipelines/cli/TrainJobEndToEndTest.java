package org.fedbeam.pipelines.cli;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.allOf;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.greaterThan;
import static org.hamcrest.Matchers.lessThanOrEqualTo;
import static org.hamcrest.Matchers.startsWith;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.fedbeam.model.ModelFormat;
import org.fedbeam.pipelines.loop.MetricsCsv;
import org.fedbeam.pipelines.rounds.RoundRecords;
import org.fedbeam.transforms.Artifacts;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The main job on real Fashion-MNIST, scaled down: 4 silos, 3 rounds, a small MLP. */
@Tag("slow")
class TrainJobEndToEndTest {
  private static final List<String> SMALL = List.of("--silos", "4", "--rounds", "3", "--hidden", "32",
      "--alpha", "0.5", "--seed", "7", "--web-ui-port", "0");
  private static final List<String> SUMMARY_KEYS = List.of("fl_accuracy", "centralized_accuracy",
      "local_accuracy_mean", "local_accuracy_min", "rounds_completed", "rounds", "round_wall_s_median", "round_overhead_s_median",
      "train_samples_per_s", "final_model_sha256");

  @TempDir
  Path dir;

  @Test
  void embeddedFlinkRunWritesModelsMetricsAndSummary() throws Exception {
    Path out = dir.resolve("flink");

    List<String> stdout = train(out, List.of());

    String last = stdout.get(stdout.size() - 1);
    assertThat(last, startsWith("SUMMARY {"));
    JsonNode line = RoundRecords.JSON.readTree(last.substring("SUMMARY ".length()));
    JsonNode summary = RoundRecords.JSON.readTree(out.resolve("run-summary.json").toFile());
    com.fasterxml.jackson.databind.node.ObjectNode withoutRounds = summary.deepCopy();
    withoutRounds.remove("rounds");
    assertThat(line, equalTo(withoutRounds));
    for (String key : SUMMARY_KEYS) {
      assertThat("summary key " + key, summary.has(key) && !summary.get(key).isNull(), equalTo(true));
    }
    assertThat(summary.get("rounds_completed").asInt(), equalTo(3));
    assertThat(summary.get("rounds").size(), equalTo(3));
    assertThat(summary.get("strategy").get("name").asText(), equalTo("fedavg"));
    assertThat(summary.get("mode").asText(), equalTo("simulation"));
    for (String key : List.of("fl_accuracy", "centralized_accuracy", "local_accuracy_mean", "local_accuracy_min")) {
      assertThat(key, summary.get(key).asDouble(), allOf(greaterThan(0.1), lessThanOrEqualTo(1.0)));
    }
    assertThat(summary.get("fl_accuracy").asDouble(), greaterThan(0.7));
    assertThat(summary.get("runner").asText(), containsString("embedded"));
    // the run reports the best-validation round's model (the default --keep best)
    byte[] finalModel = Files.readAllBytes(out.resolve(String.format("models/round-%04d.fbm",
        summary.get("best_round").asInt())));
    assertThat(summary.get("final_model").asText(), equalTo(out.resolve("model-best.fbmb").toString()));
    assertThat(Artifacts.sha256Hex(finalModel), equalTo(summary.get("final_model_sha256").asText()));
    assertThat(ModelFormat.decode(finalModel, "final").spec().describe(), equalTo("mlp 784-32-10"));
    for (int r = 0; r <= 3; r++) {
      assertThat(Files.exists(out.resolve(String.format("models/round-%04d.json", r))), equalTo(true));
    }
    List<String> metrics = Files.readAllLines(out.resolve("metrics.csv"));
    assertThat(metrics.get(0), equalTo(MetricsCsv.HEADER));
    List<String> scopes = metrics.subList(1, metrics.size()).stream().map(l -> l.split(",")[1]).toList();
    assertThat(scopes.stream().filter("global"::equals).count(), equalTo(3L));
    assertThat(scopes.stream().filter("silo"::equals).count(), equalTo(12L));
    assertThat(stdout.stream().filter(l -> l.matches("round \\d+/3 .*")).count(), equalTo(3L));
  }

  @Test
  void sameSeedGivesTheSameModelOnFlinkAndOnTheDirectRunner() throws Exception {
    List<String> flink = train(dir.resolve("a"), List.of("--no-baselines"));
    List<String> direct = train(dir.resolve("b"), List.of("--no-baselines", "--runner", "DirectRunner"));

    assertThat(sha(direct), equalTo(sha(flink)));
  }

  @Test
  void dpRunReportsEachSilosSpendWithinTheBudgetInTheSummaryAndMetrics() throws Exception {
    Path out = dir.resolve("dp");

    List<String> stdout = train(out, List.of("--no-baselines", "--batch-size", "128", "--dpEpsilon=4",
        "--dp-delta", "1e-5", "--dp-clip", "1.0"));

    String last = stdout.get(stdout.size() - 1);
    JsonNode summary = RoundRecords.JSON.readTree(last.substring("SUMMARY ".length()));
    double sigma = summary.get("noise_multiplier").asDouble();
    assertThat(sigma, greaterThan(0.3));
    assertThat(summary.get("dp").get("epsilon_budget").asDouble(), equalTo(4.0));
    JsonNode spent = summary.get("epsilon_spent");
    assertThat(spent.size(), equalTo(4));
    // 3 of the 3 planned rounds trained: every silo's spend is within the budget, and the silo with the
    // fewest rows (the largest q) sets sigma, so its spend is at the budget (to the 0.1% of the search)
    double most = 0;
    for (JsonNode eps : spent) {
      assertThat(eps.asDouble(), allOf(greaterThan(0.0), lessThanOrEqualTo(4.0)));
      most = Math.max(most, eps.asDouble());
    }
    assertThat(most, greaterThan(3.9));
    List<String> metrics = Files.readAllLines(out.resolve("metrics.csv"));
    assertThat(metrics.get(0), equalTo(MetricsCsv.HEADER));
    java.util.Map<String, Double> previous = new java.util.HashMap<>();
    for (String line : metrics.subList(1, metrics.size())) {
      String[] cells = line.split(",", -1);
      if (cells[1].equals("silo")) {
        double eps = Double.parseDouble(cells[cells.length - 1]);
        assertThat(line, eps, greaterThan(previous.getOrDefault(cells[2], 0.0)));
        previous.put(cells[2], eps);
      }
    }
    for (var silo : previous.entrySet()) {
      assertThat(silo.getValue(), org.hamcrest.Matchers.closeTo(spent.get(silo.getKey()).asDouble(), 1e-6));
    }
    assertThat(summary.get("fl_accuracy").asDouble(), greaterThan(0.3));
  }

  @Test
  void aDpBudgetOutOfRangeIsRefusedNamingTheFlag() {
    ByteArrayOutputStream stderr = new ByteArrayOutputStream();

    int code = FedBeam.run(new String[] {"train", "--output", dir.resolve("bad").toString(), "--dp-epsilon", "0"},
        new PrintStream(new ByteArrayOutputStream()), new PrintStream(stderr, true, StandardCharsets.UTF_8));

    assertThat(code, equalTo(2));
    assertThat(stderr.toString(StandardCharsets.UTF_8), containsString("dp-epsilon must be a finite number > 0, was 0.0"));
  }

  private static String sha(List<String> stdout) throws Exception {
    String last = stdout.get(stdout.size() - 1);
    return RoundRecords.JSON.readTree(last.substring("SUMMARY ".length())).get("final_model_sha256").asText();
  }

  private static List<String> train(Path out, List<String> extra) {
    List<String> args = new ArrayList<>(List.of("train", "--output", out.toString()));
    args.addAll(SMALL);
    args.addAll(extra);
    ByteArrayOutputStream stdout = new ByteArrayOutputStream();
    ByteArrayOutputStream stderr = new ByteArrayOutputStream();
    int code = FedBeam.run(args.toArray(String[]::new), new PrintStream(stdout, true, StandardCharsets.UTF_8),
        new PrintStream(stderr, true, StandardCharsets.UTF_8));
    assertThat("exit code; stderr: " + stderr.toString(StandardCharsets.UTF_8), code, equalTo(0));
    return stdout.toString(StandardCharsets.UTF_8).lines().toList();
  }
}
