package org.fedbeam.tools;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.greaterThan;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.lessThanOrEqualTo;
import static org.hamcrest.Matchers.not;
import static org.hamcrest.Matchers.startsWith;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import javax.xml.parsers.DocumentBuilderFactory;
import org.fedbeam.pipelines.rounds.RoundRecords;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

/**
 * {@code fedbeam bench --strategies}, scaled down (a CSV of Gaussian blobs, 5 silos, 2 rounds, one
 * seed, two strategies per sweep) on the embedded Flink: the results, the plots, the Byzantine
 * run's attack, and a second invocation that resumes from the stored runs instead of running them.
 */
@Tag("slow")
class StrategyBenchCommandTest {
  @TempDir
  Path dir;

  @Test
  void accuracyAndByzantineSweepsEndToEnd() throws Exception {
    Path csv = writeCsv(dir.resolve("blobs.csv"));
    Path output = dir.resolve("out");
    Path svgDir = dir.resolve("svg");
    String[] args = {"bench", "--strategies", "--strategy-sweep", "accuracy,byzantine", "--output", output.toString(),
        "--dataset", csv.toString(), "--silos", "5", "--seeds", "1", "--alphas", "0.5", "--bench-rounds", "2",
        "--bench-strategies", "fedavg,fedavgm,fedprox,krum", "--attacks", "label-flip", "--hidden", "8", "--batch-size", "16",
        "--svg-dir", svgDir.toString(), "--web-ui-port", "0"};

    Run first = run(args);

    assertThat(first.err, first.code, equalTo(0));
    JsonNode bench = first.bench();
    JsonNode alpha = bench.get("accuracy").get("alpha_0.5");
    assertThat(fieldNames(alpha.get("strategies")), equalTo(List.of("fedavg", "fedavgm", "fedprox")));
    for (JsonNode s : alpha.get("strategies")) {
      assertThat(s.get("seeds").toString(), equalTo("[42]"));
      double acc = s.get("final_test_accuracy").get(0).asDouble();
      assertThat(acc, greaterThan(0.5)); // three separable blobs: far above chance after 2 rounds
      assertThat(s.get("mean_final_test_accuracy").asDouble(), equalTo(acc));
      assertThat(s.get("best_validation_accuracy").get(0).asDouble(), lessThanOrEqualTo(1.0));
      assertThat(s.get("seeds_with_centralized").asInt(), equalTo(1));
      assertThat(s.get("gap_to_centralized").asDouble(),
          equalTo(alpha.get("centralized").get("test_accuracy").get(0).asDouble() - acc));
    }
    assertThat(alpha.get("strategies").get("fedprox").get("params").asText(), equalTo("mu=0.01")); // no pilot ran
    assertThat(bench.get("targets").has("alpha_0.5_a_strategy_within_0.005_of_centralized"), equalTo(true));
    assertThat(bench.get("targets").has("byzantine_label-flip_robust_within_0.02_of_clean_fedavg"), equalTo(true));

    // the Byzantine runs record their attack and silo, and the attack changed what FedAvg learned
    JsonNode runs = RoundRecords.JSON.readTree(output.resolve("strategies.json").toFile()).get("runs");
    JsonNode attacked = runs.get("byzantine/a0.5/s42/fedavg/r2/byz1-label-flip");
    JsonNode clean = runs.get("accuracy/a0.5/s42/fedavg/r2");
    assertThat(attacked.get("attack").asText(), equalTo("label-flip"));
    assertThat(attacked.get("byzantine").asInt(), equalTo(1));
    assertThat(attacked.get("byzantine_silos").size(), equalTo(1));
    assertThat(attacked.get("byzantine_silos").get(0).asText(), startsWith("silo-0"));
    assertThat(attacked.get("final_test_log_loss").asDouble(), not(equalTo(clean.get("final_test_log_loss").asDouble())));
    assertThat(runs.get("byzantine/a0.5/s42/krum[byzantine=1]/r2/byz1-label-flip").get("byzantine_silos"),
        equalTo(attacked.get("byzantine_silos")));
    assertThat(clean.has("attack"), equalTo(false));
    // each run trains with its own strategy, not with the pipeline an earlier run translated: FedAvgM's server
    // momentum and Krum's choice of one update both give another model than FedAvg's on the same rounds
    JsonNode momentum = runs.get("accuracy/a0.5/s42/fedavgm[server_lr=1,server_momentum=0.9]/r2");
    assertThat(momentum.get("final_test_log_loss").asDouble(), not(equalTo(clean.get("final_test_log_loss").asDouble())));
    JsonNode krum = runs.get("byzantine/a0.5/s42/krum[byzantine=1]/r2/byz1-label-flip");
    assertThat(krum.get("final_test_log_loss").asDouble(), not(equalTo(attacked.get("final_test_log_loss").asDouble())));
    assertThat(clean.get("test_accuracy").size(), equalTo(clean.get("rounds_run").asInt()));
    assertThat(Files.exists(output.resolve(clean.get("metrics_csv").asText())), equalTo(true));
    JsonNode byz = bench.get("byzantine").get("attacks").get("label-flip");
    assertThat(fieldNames(byz), equalTo(List.of("fedavg", "krum")));

    // the plots: well-formed XML, one polyline per strategy, the centralized line, one bar per Byzantine run
    for (Path folder : List.of(output, svgDir)) {
      Document accuracy = parse(folder.resolve("strategies-accuracy.svg"));
      NodeList lines = accuracy.getElementsByTagName("polyline");
      List<String> drawn = new ArrayList<>();
      for (int i = 0; i < lines.getLength(); i++) {
        drawn.add(((Element) lines.item(i)).getAttribute("data-strategy"));
        assertThat(((Element) lines.item(i)).getAttribute("points").split(" ").length, equalTo(2)); // 2 rounds
      }
      assertThat(drawn, equalTo(List.of("fedavg", "fedavgm", "fedprox")));
      assertThat(classCount(accuracy, "line", "centralized"), equalTo(1));
      Document bars = parse(folder.resolve("strategies-byzantine.svg"));
      assertThat(classCount(bars, "rect", "bar"), equalTo(2));
      assertThat(classCount(bars, "line", "clean"), equalTo(1));
    }

    // a second invocation runs nothing again and reports the same figures
    Run second = run(args);
    assertThat(second.err, second.code, equalTo(0));
    assertThat(second.out, containsString("accuracy/a0.5/s42/fedprox[mu=0.01]/r2: stored, not run again"));
    assertThat(second.out, not(containsString(": running")));
    assertThat(second.bench().get("accuracy"), equalTo(bench.get("accuracy")));
  }

  @Test
  void badSweepIsRefusedNamingTheFlag() throws Exception {
    Run run = run(new String[] {"bench", "--strategies", "--strategy-sweep", "accuracy,everything", "--output",
        dir.toString()});
    assertThat(run.code, equalTo(2));
    assertThat(run.err, containsString("--strategy-sweep must be pilot, accuracy, byzantine, all or report"));
    assertThat(run.err, containsString("'accuracy,everything'"));
    Run alphas = run(new String[] {"bench", "--strategies", "--alphas", "0.5,-1", "--output", dir.toString()});
    assertThat(alphas.code, equalTo(2));
    assertThat(alphas.err, containsString("--alphas must be positive numbers, comma-separated, was '0.5,-1'"));
    assertThat(Files.exists(dir.resolve("strategies.json")), equalTo(false));
  }

  record Run(int code, String out, String err) {
    JsonNode bench() throws Exception {
      List<String> lines = out.lines().toList();
      String last = lines.get(lines.size() - 1);
      assertThat(last, startsWith("BENCH {"));
      return RoundRecords.JSON.readTree(last.substring("BENCH ".length()));
    }
  }

  private static Run run(String[] args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int code = FedBeamTools.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8));
    return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }

  private static List<String> fieldNames(JsonNode node) {
    List<String> names = new ArrayList<>();
    node.fieldNames().forEachRemaining(names::add);
    return names;
  }

  private static Document parse(Path svg) throws Exception {
    DocumentBuilderFactory factory = DocumentBuilderFactory.newInstance();
    factory.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
    return factory.newDocumentBuilder().parse(svg.toFile());
  }

  private static int classCount(Document doc, String tag, String cssClass) {
    NodeList nodes = doc.getElementsByTagName(tag);
    int n = 0;
    for (int i = 0; i < nodes.getLength(); i++) {
      if (((Element) nodes.item(i)).getAttribute("class").equals(cssClass)) {
        n++;
      }
    }
    return n;
  }

  /** Three Gaussian blobs in 3 features, 600 rows. */
  private static Path writeCsv(Path file) throws Exception {
    SplittableRandom random = new SplittableRandom(5);
    StringBuilder text = new StringBuilder("x1,x2,x3,label\n");
    for (int i = 0; i < 600; i++) {
      int k = random.nextInt(3);
      text.append(String.format(java.util.Locale.ROOT, "%.4f,%.4f,%.4f,%d%n", random.nextGaussian() + 3 * (k == 0 ? 1 : 0),
          random.nextGaussian() + 3 * (k == 1 ? 1 : 0), random.nextGaussian() + 3 * (k == 2 ? 1 : 0), k));
    }
    Files.writeString(file, text);
    return file;
  }
}
