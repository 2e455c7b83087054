package org.fedbeam.tools;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.allOf;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.greaterThan;
import static org.hamcrest.Matchers.lessThan;
import static org.hamcrest.Matchers.startsWith;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import org.fedbeam.pipelines.rounds.RoundRecords;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code fedbeam bench}, scaled down (one repeat, three rounds): the figures it promises are all there. */
@Tag("slow")
class BenchCommandTest {
  @TempDir
  Path dir;

  @Test
  void benchEndsWithEveryFigureAndTarget() throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();

    int code = FedBeamTools.run(new String[] {"bench", "--output", dir.toString(), "--repeats", "1", "--bench-rounds", "3",
        "--web-ui-port", "0"}, new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8));

    assertThat(err.toString(StandardCharsets.UTF_8), code, equalTo(0));
    List<String> lines = out.toString(StandardCharsets.UTF_8).lines().toList();
    String last = lines.get(lines.size() - 1);
    assertThat(last, startsWith("BENCH {"));
    JsonNode bench = RoundRecords.JSON.readTree(last.substring("BENCH ".length()));
    assertThat(bench.get("rounds_timed").asInt(), equalTo(3));
    for (String key : List.of("round_overhead_s_median", "round_overhead_s_median_rounds_1_12",
        "round_critical_overhead_s_median", "round_wall_s_median", "train_samples_per_s", "aggregate_gb_s",
        "triad_gb_s")) {
      assertThat(key, bench.get(key).asDouble(), allOf(greaterThan(0.0), lessThan(1e6)));
    }
    // three rounds: the early-round median is the median of all of them
    assertThat(bench.get("round_overhead_s_median_rounds_1_12").asDouble(),
        equalTo(bench.get("round_overhead_s_median").asDouble()));
    assertThat(bench.get("round_wall_s_median").asDouble(),
        greaterThan(bench.get("round_overhead_s_median").asDouble()));
    if (pythonHasNumpy()) {
      assertThat(bench.get("numpy_train_samples_per_s").asDouble(), greaterThan(0.0));
      assertThat(bench.get("train_vs_numpy").asDouble(), greaterThan(0.0));
    } else {
      assertThat(bench.get("numpy_train_samples_per_s").isNull(), equalTo(true));
      assertThat(bench.get("train_vs_numpy").isNull(), equalTo(true));
    }
    for (String target : List.of("round_overhead_le_0.5s", "train_ge_0.9x_numpy", "aggregate_ge_0.6x_triad")) {
      assertThat(target, bench.get("targets").get(target).isBoolean(), equalTo(true));
    }
  }

  private static boolean pythonHasNumpy() throws Exception {
    try {
      Process p = new ProcessBuilder("python3", "-c", "import numpy").redirectErrorStream(true).start();
      p.getInputStream().readAllBytes();
      return p.waitFor() == 0;
    } catch (java.io.IOException e) {
      return false; // no python3 at all
    }
  }
}
