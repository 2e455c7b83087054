package org.fedbeam.pipelines.cli;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.greaterThan;
import static org.hamcrest.Matchers.lessThanOrEqualTo;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code fedbeam stats} in a simulation, on sklearn's wine data (Debian's python3-sklearn), on the embedded Flink. */
class StatsCommandTest {
  private static final Path WINE = Path.of("/usr/lib/python3/dist-packages/sklearn/datasets/data/wine_data.csv");
  private static final String HEADER = "alcohol,malic_acid,ash,alcalinity,magnesium,phenols,flavanoids,nonflavanoid,"
      + "proanthocyanins,colour,hue,od280,proline,class";
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir
  Path dir;

  private record Run(int code, String out, String err) {
    JsonNode summary() throws Exception {
      String[] lines = out.strip().split("\n");
      String last = lines[lines.length - 1];
      assertThat(last, containsString("SUMMARY "));
      return JSON.readTree(last.substring("SUMMARY ".length()));
    }
  }

  private static Run fedbeam(String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int code = FedBeam.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8));
    return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }

  /** The wine data with a header (its first line is "178,13,class_0,class_1,class_2"). */
  private Path wine(String name, int from, int to) throws Exception {
    List<String> lines = Files.readAllLines(WINE);
    List<String> out = new ArrayList<>();
    out.add(HEADER);
    out.addAll(lines.subList(1 + from, 1 + to));
    return Files.write(dir.resolve(name), out);
  }

  @Test
  void wineSplitIntoThreeSilosMatchesThePooledComputation() throws Exception {
    Path csv = wine("wine.csv", 0, 178);
    Path outDir = dir.resolve("out");

    Run run = fedbeam("stats", "--dataset", csv.toString(), "--label-column", "class", "--silos", "3",
        "--output", outDir.toString(), "--seed", "7");

    assertThat(run.err(), run.code(), equalTo(0));
    JsonNode s = run.summary();
    assertThat(s.get("columns").asInt(), equalTo(13));
    assertThat(s.get("silos").asInt(), equalTo(3));
    assertThat(s.get("epsilon_spent").asDouble(), equalTo(0.0));
    assertThat(s.get("pooled_max_rel_error").asDouble(), lessThanOrEqualTo(1e-9));
    JsonNode stats = JSON.readTree(outDir.resolve("stats.json").toFile());
    assertThat(stats.get("global").get("rows").asLong(), equalTo(178L));
    for (JsonNode c : stats.get("global").get("columns")) {
      assertThat(c.get("name").asText(), c.get("count").asLong(), equalTo(178L));
      assertThat(c.get("histogram").size(), equalTo(12));
    }
    long labels = 0;
    for (JsonNode n : stats.get("global").get("labels")) {
      labels += n.asLong();
    }
    assertThat(labels, equalTo(178L));
    assertThat(stats.get("silos").size(), equalTo(3));
    double median = stats.get("quantiles").get("proline").get("0.5").asDouble();
    assertThat(median, greaterThan(600.0)); // wine's proline median is 673.5
    assertThat(median, lessThanOrEqualTo(750.0));
    String text = Files.readString(outDir.resolve("stats.txt"));
    assertThat(text, containsString("proline (numeric)"));
    assertThat(text, containsString("silo-1"));
  }

  @Test
  void aLargerKSuppressesCellsAndMarksThem() throws Exception {
    Path csv = wine("wine.csv", 0, 178);
    Path outDir = dir.resolve("out");

    Run run = fedbeam("stats", "--dataset", csv.toString(), "--label-column", "class", "--silos", "3",
        "--output", outDir.toString(), "--k", "25");

    assertThat(run.err(), run.code(), equalTo(0));
    assertThat(run.summary().get("suppressed_cells").asLong(), greaterThan(0L));
    assertThat(Files.readString(outDir.resolve("stats.txt")), containsString("<25"));
    assertThat(run.summary().get("pooled_max_rel_error").asDouble(), lessThanOrEqualTo(1e-9));
  }

  @Test
  void laplaceNoiseCostsEpsilonPerPassAndReleasesNoSketchOrMinMax() throws Exception {
    Path csv = wine("wine.csv", 0, 178);
    List<String> rows = Files.readAllLines(csv);
    String[] names = rows.get(0).split(",");
    StringBuilder clip = new StringBuilder();
    for (int c = 0; c < 13; c++) { // public bounds: here the data's own range, widened
      double lo = Double.MAX_VALUE;
      double hi = -Double.MAX_VALUE;
      for (String line : rows.subList(1, rows.size())) {
        double v = Double.parseDouble(line.split(",")[c]);
        lo = Math.min(lo, v);
        hi = Math.max(hi, v);
      }
      clip.append(c == 0 ? "" : ",").append(names[c]).append(':').append(Math.floor(lo)).append(':')
          .append(Math.ceil(hi));
    }
    Path outDir = dir.resolve("out");

    Run run = fedbeam("stats", "--dataset", csv.toString(), "--label-column", "class", "--silos", "2",
        "--output", outDir.toString(), "--noise", "laplace", "--epsilon", "2", "--clip", clip.toString(),
        "--release-min-max");

    assertThat(run.err(), run.code(), equalTo(0));
    assertThat(run.summary().get("epsilon_spent").asDouble(), equalTo(4.0));
    JsonNode stats = JSON.readTree(outDir.resolve("stats.json").toFile());
    for (JsonNode silo : stats.get("silos")) {
      for (JsonNode c : silo.get("columns")) {
        assertThat(c.get("sketch").isNull(), equalTo(true));
        assertThat(c.get("max").isNull(), equalTo(true));
      }
    }
    assertThat(stats.get("quantiles").get("proline").has("0.5"), equalTo(true)); // from the noisy histogram
  }

  @Test
  void aColumnMissingOrOfAnotherTypeInOneSiloIsNamedWithTheSiloAndFile() throws Exception {
    Path a = wine("a.csv", 0, 90);
    List<String> lines = new ArrayList<>(Files.readAllLines(wine("b-full.csv", 90, 178)));
    List<String> dropped = new ArrayList<>();
    List<String> retyped = new ArrayList<>();
    for (int i = 0; i < lines.size(); i++) {
      String[] cells = lines.get(i).split(",", 2);
      dropped.add(cells[1]);
      retyped.add(i == 0 ? lines.get(i) : "v" + i + "," + cells[1]);
    }
    Path b = Files.write(dir.resolve("b.csv"), dropped);
    Run run = fedbeam("stats", "--dataset", a + "," + b, "--label-column", "class", "--output", dir.resolve("o1")
        .toString());
    assertThat(run.code(), equalTo(2));
    assertThat(run.err(), containsString("silo-2 (" + b + "): column 'alcohol' is missing; silo-1 (" + a + ") has it"));

    Path c = Files.write(dir.resolve("c.csv"), retyped);
    run = fedbeam("stats", "--dataset", a + "," + c, "--label-column", "class", "--output", dir.resolve("o2")
        .toString());
    assertThat(run.code(), equalTo(2));
    assertThat(run.err(), containsString("silo-2 (" + c + "): column 'alcohol' is categorical there but numeric in"
        + " silo-1 (" + a + ")"));
  }

  @Test
  void anAllMissingColumnIsNamedWithTheSiloAndFile() throws Exception {
    List<String> lines = Files.readAllLines(wine("w.csv", 0, 178));
    List<String> out = new ArrayList<>();
    for (int i = 0; i < lines.size(); i++) {
      out.add(lines.get(i) + (i == 0 ? ",empty" : ","));
    }
    Path csv = Files.write(dir.resolve("holes.csv"), out);
    Run run = fedbeam("stats", "--dataset", csv.toString(), "--label-column", "class", "--silos", "2",
        "--output", dir.resolve("o").toString());
    assertThat(run.code(), greaterThan(0));
    assertThat(run.err(), containsString("column 'empty' has no value"));
    assertThat(run.err(), containsString("silo silo-"));
    assertThat(run.err(), containsString("rows [file " + dir.resolve("o").resolve("silos")));
  }
}
