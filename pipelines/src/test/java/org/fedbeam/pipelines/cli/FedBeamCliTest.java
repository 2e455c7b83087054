package org.fedbeam.pipelines.cli;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The command line: flag translation, and clear errors for bad input before any work is done. */
class FedBeamCliTest {
  @TempDir
  Path dir;

  private final ByteArrayOutputStream out = new ByteArrayOutputStream();
  private final ByteArrayOutputStream err = new ByteArrayOutputStream();

  @Test
  void friendlyFlagsBecomeBeamOptions() {
    List<String> beam = FedBeam.toBeamArgs(List.of("--output", "/tmp/x", "--batch-size", "32", "--no-baselines",
        "--flinkMaster=[local]", "--alpha=0.1"));

    assertThat(beam, equalTo(List.of("--output=/tmp/x", "--batchSize=32", "--baselines=false",
        "--flinkMaster=[local]", "--alpha=0.1")));
  }

  @Test
  void unknownCommandIsAUsageError() {
    int code = run("fly");

    assertThat(code, equalTo(2));
    assertThat(text(err), containsString("unknown command 'fly'"));
  }

  @Test
  void zeroBatchSizeIsRejectedWithItsValue() {
    int code = run("train", "--output", dir.toString(), "--batch-size", "0");

    assertThat(code, equalTo(2));
    assertThat(text(err), containsString("batchSize must be >= 1, was 0"));
  }

  @Test
  void missingFashionMnistFolderNamesTheFolderAndThePackage() {
    int code = run("train", "--output", dir.toString(), "--fashion-mnist-dir", "/no/such/folder", "--runner", "DirectRunner");

    assertThat(code, equalTo(2));
    assertThat(text(err), containsString("/no/such/folder"));
    assertThat(text(err), containsString("dataset-fashion-mnist"));
  }

  @Test
  void csvWithoutTheLabelColumnNamesFileAndColumn() throws Exception {
    Path csv = dir.resolve("data.csv");
    Files.writeString(csv, "a,b,target\n1,2,x\n3,4,y\n");

    int code = run("train", "--output", dir.resolve("out").toString(), "--dataset", csv.toString(), "--runner", "DirectRunner");

    assertThat(code, equalTo(2));
    assertThat(text(err), containsString(csv.toString()));
    assertThat(text(err), containsString("no label column 'label'"));
  }

  @Test
  void unknownPartitionIsRejected() {
    int code = run("train", "--output", dir.toString(), "--partition", "sorted");

    assertThat(code, equalTo(2));
    assertThat(text(err), containsString("partition must be one of iid, dirichlet, quantity; was 'sorted'"));
  }

  private int run(String... args) {
    return FedBeam.run(args, new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
  }

  private static String text(ByteArrayOutputStream s) {
    return s.toString(StandardCharsets.UTF_8);
  }
}
