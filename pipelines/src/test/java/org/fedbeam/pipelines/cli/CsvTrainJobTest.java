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
import org.fedbeam.pipelines.rounds.RoundRecords;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code fedbeam train --dataset FILE.csv}: the CSV path end to end, on the DirectRunner. */
class CsvTrainJobTest {
  private static final int ROWS = 120;

  @TempDir
  Path dir;

  @Test
  void csvRunReportsTheMalformedRowAndLeavesOutEmptySilos() throws Exception {
    Path csv = writeCsv(dir.resolve("blobs.csv"));
    // 12 silos with Dirichlet(0.05) over ~86 training rows of 3 classes: some silos get no rows
    List<String> args = List.of("train", "--output", dir.resolve("out").toString(), "--dataset", csv.toString(),
        "--label-column", "kind", "--silos", "12", "--alpha", "0.05", "--rounds", "3", "--hidden", "8",
        "--batch-size", "8", "--runner", "DirectRunner");
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();

    int code = FedBeam.run(args.toArray(String[]::new), new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8));

    String stdout = out.toString(StandardCharsets.UTF_8);
    assertThat("stderr: " + err.toString(StandardCharsets.UTF_8), code, equalTo(0));
    assertThat(stdout, containsString("skipped 1 malformed rows, first: line 7: column 'x2' is not a number: 'oops'"));
    JsonNode summary = RoundRecords.JSON.readTree(dir.resolve("out/run-summary.json").toFile());
    List<String> leftOut = new ArrayList<>();
    summary.get("silos_left_out").forEach(n -> leftOut.add(n.asText()));
    assertThat(leftOut.size(), greaterThan(0));
    assertThat(summary.get("silo_sizes").get(leftOut.get(0)).asInt(), equalTo(0));
    assertThat(stdout, containsString("left out " + leftOut.get(0) + ": no training samples in "));
    assertThat(Files.readAllLines(dir.resolve("out/metrics.csv")), hasItem(containsString("," + leftOut.get(0) + ",left_out,0")));
    assertThat(summary.get("fl_accuracy").asDouble(), greaterThan(0.6));
    assertThat(summary.get("dataset").asText(), containsString("3 classes [blue, green, red]"));
  }

  /** Three Gaussian blobs in 3 features, string labels, one malformed row on line 7. */
  private static Path writeCsv(Path file) throws Exception {
    SplittableRandom random = new SplittableRandom(5);
    String[] kinds = {"red", "green", "blue"};
    StringBuilder text = new StringBuilder("x1,kind,x2,x3\n");
    for (int i = 0; i < ROWS; i++) {
      int k = random.nextInt(3);
      if (i == 5) {
        text.append("1.0,red,oops,2.0\n");
        continue;
      }
      text.append(String.format(java.util.Locale.ROOT, "%.4f,%s,%.4f,%.4f%n", random.nextGaussian() + 3 * (k == 0 ? 1 : 0),
          kinds[k], random.nextGaussian() + 3 * (k == 1 ? 1 : 0), random.nextGaussian() + 3 * (k == 2 ? 1 : 0)));
    }
    Files.writeString(file, text);
    return file;
  }
}
