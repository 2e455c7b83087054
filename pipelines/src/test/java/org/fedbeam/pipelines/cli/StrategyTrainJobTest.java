package org.fedbeam.pipelines.cli;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.greaterThan;
import static org.hamcrest.Matchers.hasItem;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.fedbeam.model.strategy.ServerState;
import org.fedbeam.pipelines.rounds.RoundRecords;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code fedbeam train --strategy ...} end to end on the DirectRunner: a strategy with server state,
 * a robust strategy against a Byzantine silo, and every bad strategy input refused before round 1.
 */
class StrategyTrainJobTest {
  @TempDir
  Path dir;

  @Test
  void fedAdamPersistsItsServerStateEveryRoundAndNamesItselfInTheProvenance() throws Exception {
    Run run = train("adam", "--strategy", "fedadam", "--strategyParams=server_lr=0.01,tau=0.001");

    assertThat(run.stderr, run.code, equalTo(0));
    for (int round = 0; round <= 3; round++) {
      ServerState state = ServerState.decode(Files.readAllBytes(run.out.resolve(String.format("state/round-%04d.state", round))),
          "state " + round);
      assertThat(state.steps(), equalTo((long) round));
      if (round > 0) {
        assertThat(state.names(), equalTo(java.util.Set.of("m", "v")));
      }
    }
    JsonNode provenance = RoundRecords.JSON.readTree(run.out.resolve("models/round-0003.json").toFile());
    assertThat(provenance.get("strategy").get("name").asText(), equalTo("fedadam"));
    assertThat(provenance.get("strategy").get("parameters").get("server_lr").asDouble(), equalTo(0.01));
    assertThat(provenance.get("server_state").asText(), containsString("round-0003.state"));
    JsonNode summary = RoundRecords.JSON.readTree(run.out.resolve("run-summary.json").toFile());
    assertThat(summary.get("strategy").get("name").asText(), equalTo("fedadam"));
    assertThat(summary.get("rounds_completed").asInt(), equalTo(3));
  }

  @Test
  void aByzantineSiloIsDrawnFromTheSeedAndTheMedianStillLearns() throws Exception {
    Run run = train("median", "--strategy", "fedmedian", "--byzantine", "1", "--attack", "sign-flip");

    assertThat(run.stderr, run.code, equalTo(0));
    JsonNode summary = RoundRecords.JSON.readTree(run.out.resolve("run-summary.json").toFile());
    assertThat(summary.get("byzantine").get("attack").asText(), equalTo("sign-flip"));
    assertThat(summary.get("byzantine").get("silos").size(), equalTo(1));
    String attacker = summary.get("byzantine").get("silos").get(0).asText();
    assertThat(run.stdout, containsString("Byzantine silos (sign-flip): [" + attacker + "]"));
    assertThat(summary.get("strategy").get("aggregator").asText(), equalTo("coordinate-median"));
    assertThat(summary.get("fl_accuracy").asDouble(), greaterThan(0.6));
    assertThat(Files.readAllLines(run.out.resolve("metrics.csv")), hasItem(containsString("," + attacker + ",trained,")));
  }

  @Test
  void everyBadStrategyInputIsRefusedBeforeRoundOneNamingTheParameter() throws Exception {
    List<List<String>> cases = List.of(
        List.of("--strategy", "fedbest"),
        List.of("--strategy", "trimmed-mean", "--strategyParams=beta=0.5"),
        List.of("--strategy", "krum", "--strategyParams=byzantine=1", "--silos", "4"),
        List.of("--strategy", "trimmed-mean", "--silos", "4"),
        List.of("--silos", "4", "--fraction", "0.25", "--min-silos", "2"),
        List.of("--strategy", "fedadam", "--strategyParams=server_lr=-1"),
        List.of("--strategy", "fedprox", "--strategyParams=lambda=0.1"),
        List.of("--byzantine", "6"),
        List.of("--attack", "gaussian", "--byzantine", "1"));
    // each message names the parameter and the value (the CLI checks some before the job does)
    List<List<String>> expected = List.of(
        List.of("--strategy must be one of fedavg, fedavgm", "'fedbest'"),
        List.of("beta", "[0, 0.5)", "0.5"),
        List.of("strategy krum: byzantine 1 needs at least 5 silos per round"),
        List.of("strategy trimmed-mean: beta 0.2 trims floor(0.2 x 4) = 0 updates at each end of 4 silos per round"),
        List.of("--fraction 0.25 asks 1 of 4 silos per round, fewer than --min-silos 2"),
        List.of("server_lr", "-1"),
        List.of("lambda"),
        List.of("--byzantine must be between 0 and 5"),
        List.of("--attack must be one of sign-flip, scaled, label-flip; was 'gaussian'"));
    for (int i = 0; i < cases.size(); i++) {
      List<String> args = new ArrayList<>(cases.get(i));
      Run run = train("bad-" + i, args.toArray(String[]::new));

      assertThat(String.join(" ", cases.get(i)), run.code, equalTo(2));
      for (String part : expected.get(i)) {
        assertThat(String.join(" ", cases.get(i)), run.stderr, containsString(part));
      }
      assertThat("no model was written for " + cases.get(i), Files.exists(run.out.resolve("models")), equalTo(false));
    }
  }

  private record Run(int code, String stdout, String stderr, Path out) {}

  private Run train(String name, String... extra) throws Exception {
    Path csv = dir.resolve("blobs.csv");
    if (!Files.exists(csv)) {
      writeCsv(csv);
    }
    Path out = dir.resolve(name);
    List<String> args = new ArrayList<>(List.of("train", "--output", out.toString(), "--dataset", csv.toString(),
        "--label-column", "kind", "--silos", "6", "--partition", "iid", "--rounds", "3", "--hidden", "8",
        "--batch-size", "8", "--no-baselines", "--runner", "DirectRunner"));
    // a later flag of the same name wins in the cases that set --silos
    args.addAll(List.of(extra));
    ByteArrayOutputStream stdout = new ByteArrayOutputStream();
    ByteArrayOutputStream stderr = new ByteArrayOutputStream();
    int code = FedBeam.run(dedupe(args).toArray(String[]::new), new PrintStream(stdout, true, StandardCharsets.UTF_8),
        new PrintStream(stderr, true, StandardCharsets.UTF_8));
    return new Run(code, stdout.toString(StandardCharsets.UTF_8), stderr.toString(StandardCharsets.UTF_8), out);
  }

  /** Keeps the last of a repeated {@code --flag value} pair. */
  private static List<String> dedupe(List<String> args) {
    List<String> out = new ArrayList<>();
    for (int i = 0; i < args.size(); i++) {
      String a = args.get(i);
      if (a.startsWith("--") && !a.contains("=") && i + 1 < args.size() && !args.get(i + 1).startsWith("--")) {
        int j = args.lastIndexOf(a);
        if (j != i) {
          i++;
          continue;
        }
      }
      out.add(a);
    }
    return out;
  }

  /** Three Gaussian blobs in 3 features, 240 rows (also the data of {@link TrainResumeTest}). */
  static void writeCsv(Path file) throws Exception {
    SplittableRandom random = new SplittableRandom(5);
    String[] kinds = {"red", "green", "blue"};
    StringBuilder text = new StringBuilder("x1,kind,x2,x3\n");
    for (int i = 0; i < 240; i++) {
      int k = random.nextInt(3);
      text.append(String.format(java.util.Locale.ROOT, "%.4f,%s,%.4f,%.4f%n", random.nextGaussian() + 3 * (k == 0 ? 1 : 0),
          kinds[k], random.nextGaussian() + 3 * (k == 1 ? 1 : 0), random.nextGaussian() + 3 * (k == 2 ? 1 : 0)));
    }
    Files.writeString(file, text);
  }
}
