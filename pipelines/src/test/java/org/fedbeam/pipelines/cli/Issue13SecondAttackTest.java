package org.fedbeam.pipelines.cli;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.not;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.fedbeam.pipelines.protocol.Keys;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The second independent review of issue 13: hostile CSV exports against {@code fedbeam prepare}, and hostile
 * paths against {@code fedbeam job new}, replayed through the real CLI on real files. The resource attacks run
 * the real CLI in a child JVM with a small heap, so that a reader that does not bound what it keeps fails as
 * it would at a provider (an OutOfMemoryError), not by exhausting this test JVM.
 */
class Issue13SecondAttackTest {
  @TempDir
  Path dir;

  private record Run(int code, String out, String err) {}

  private static Run fedbeam(String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int code = FedBeam.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8));
    return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }

  /** The real CLI ({@code FedBeam.main}) in a child JVM with {@code -Xmx<heapMb>m}; killed after 120 s. */
  private Run child(int heapMb, String... args) throws Exception {
    List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Xmx" + heapMb + "m", "-XX:+ExitOnOutOfMemoryError", "-cp", System.getProperty("java.class.path"),
        FedBeam.class.getName()));
    cmd.addAll(List.of(args));
    Path out = dir.resolve("child.out");
    Path err = dir.resolve("child.err");
    Process p = new ProcessBuilder(cmd).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
    boolean done = p.waitFor(120, TimeUnit.SECONDS);
    if (!done) {
      p.destroyForcibly().waitFor();
    }
    return new Run(done ? p.exitValue() : -1, Files.readString(out), Files.readString(err));
  }

  /** A header "label,x" and one data row of {@code cells} cells "a,a,a,...", written streaming. */
  private Path wideRowExport(int cells) throws IOException {
    Path csv = dir.resolve("wide-row.csv");
    try (OutputStream o = new java.io.BufferedOutputStream(Files.newOutputStream(csv), 1 << 16)) {
      o.write("label,x\n1,2\n".getBytes(StandardCharsets.US_ASCII));
      for (int i = 0; i < cells; i++) {
        o.write(i == 0 ? 'a' : ',');
        if (i > 0) {
          o.write('a');
        }
      }
      o.write("\n0,3\n".getBytes(StandardCharsets.US_ASCII));
    }
    return csv;
  }

  /**
   * A damaged export with one data row of 8 million cells (16 MB) against a two-column header: the reader
   * keeps every cell of the record (each a String) before it compares the count with the header's, so a
   * 16 MB file needs ~400 MB of heap. It should stop at the first cell past the header's width and name
   * the line; it runs out of memory instead.
   */
  @Test
  void aRowWithMillionsOfCellsIsRefusedNamingTheLineNotByRunningOutOfMemory() throws Exception {
    Path csv = wideRowExport(8_000_000);
    Path fbt = dir.resolve("silo.fbt");

    Run r = child(192, "prepare", "--input", csv.toString(), "--output", fbt.toString(), "--label-column", "label",
        "--max-bad-row-share", "0.5");

    assertThat(r.out + r.err, not(containsString("OutOfMemoryError")));
    assertThat(r.err + r.out, r.code, equalTo(0)); // one malformed row of three, under the 50% allowed
    assertThat(Files.exists(fbt), equalTo(true));
  }

  /**
   * A header of 3 million column names (about 25 MB): every name becomes a feature column with its own
   * builder before a single row is read. A damaged export (a data line taken for the header, a wrong
   * delimiter) should be refused with a clear bound on the columns, naming the header line.
   */
  @Test
  void aHeaderWithMillionsOfColumnsIsRefusedWithABoundNotByRunningOutOfMemory() throws Exception {
    Path csv = dir.resolve("wide-header.csv");
    int columns = 3_000_000;
    try (OutputStream o = new java.io.BufferedOutputStream(Files.newOutputStream(csv), 1 << 16)) {
      o.write("label".getBytes(StandardCharsets.US_ASCII));
      for (int i = 0; i < columns; i++) {
        o.write((",c" + i).getBytes(StandardCharsets.US_ASCII));
      }
      o.write('\n');
      StringBuilder row = new StringBuilder("1");
      o.write(row.toString().getBytes(StandardCharsets.US_ASCII));
      for (int i = 0; i < columns; i++) {
        o.write(",1".getBytes(StandardCharsets.US_ASCII));
      }
      o.write("\n".getBytes(StandardCharsets.US_ASCII));
    }
    Path fbt = dir.resolve("silo.fbt");

    Run r = child(256, "prepare", "--input", csv.toString(), "--output", fbt.toString(), "--label-column", "label");

    assertThat(r.out + r.err, not(containsString("OutOfMemoryError")));
    assertThat(r.err, r.code, equalTo(2));
    assertThat(r.err, containsString("line 1"));
    assertThat(Files.exists(fbt), equalTo(false));
  }

  /**
   * {@code job new --out F} where F is a dangling symbolic link someone planted (a shared folder): the
   * check {@code Files.exists} follows the link, sees nothing, and {@code Files.writeString} then creates
   * the link's target, a file outside the place the user named. The job file must be created exclusively
   * (CREATE_NEW does not follow a link at the last step) and the link refused.
   */
  @Test
  void jobNewOutIsNotWrittenThroughAPlantedDanglingLink() throws Exception {
    Keys.create(dir.resolve("silo-a"));
    Path elsewhere = Files.createDirectories(dir.resolve("elsewhere"));
    Path victim = elsewhere.resolve("planted-target.json");
    Path out = dir.resolve("job.json");
    Files.createSymbolicLink(out, victim);

    Run r = fedbeam("job", "new", "--job-id", "study-1", "--silo", "a=" + dir.resolve("ex-a") + "=" + dir.resolve("silo-a"),
        "--model", "mlp:30-16-2", "--rounds", "3", "--output", dir.resolve("run").toString(), "--out", out.toString());

    assertThat("the link's target was created through it", Files.exists(victim), equalTo(false));
    assertThat(r.out + r.err, r.code, equalTo(2));
    assertThat(r.err, containsString("--out"));
  }

  /**
   * {@code job new --silo a=URI=KEYFILE} where the key file is /dev/zero (or any endless or huge file):
   * {@code readAllLines} reads it whole before anything is checked. An Ed25519 public key file is a few
   * hundred bytes; the flag should be refused naming the file, quickly and without exhausting the heap.
   */
  @Test
  void jobNewRefusesAnEndlessKeyFileNamingTheFlag() throws Exception {
    Path zero = dir.resolve("public.pem");
    Files.createSymbolicLink(zero, Path.of("/dev/zero"));

    Run r = child(128, "job", "new", "--job-id", "study-1", "--silo", "a=" + dir.resolve("ex-a") + "=" + zero,
        "--model", "mlp:30-16-2", "--rounds", "3", "--output", dir.resolve("run").toString());

    assertThat(r.out + r.err, not(containsString("OutOfMemoryError")));
    assertThat(r.err + r.out, r.code, equalTo(2));
    assertThat(r.err, containsString("--silo"));
  }

  /**
   * {@code job check JOB} where JOB is a link to /dev/zero (or any endless or huge file): {@code JobSpec.tree}
   * reads the file whole ({@code Files.readAllBytes}) before parsing. A job file is a few kilobytes; the
   * checker should refuse it naming the file (as it does for a folder), not die of an OutOfMemoryError.
   */
  @Test
  void jobCheckRefusesAnEndlessJobFileNamingIt() throws Exception {
    Path job = dir.resolve("job.json");
    Files.createSymbolicLink(job, Path.of("/dev/zero"));

    Run r = child(128, "job", "check", job.toString());

    assertThat(r.out + r.err, not(containsString("OutOfMemoryError")));
    assertThat(r.err + r.out, r.code, equalTo(2));
    assertThat(r.out + r.err, containsString(job.toString()));
  }
}
