package org.fedbeam.pipelines.cli;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Second review of issue 13, regressions (the defences hold): {@code fedbeam prepare} against damaged
 * exports and hostile output paths, through the real CLI on real files. Each refusal names the file and
 * the line, and leaves the input and every other file as it was.
 */
class Issue13SecondAttackRegressionTest {
  private static final String EXPORT = "id;age;outcome\nA;54;yes\nB;31;no\nC;47;yes\nD;39;no\n";

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

  private Run prepare(Path in, Path out, String... more) {
    String[] base = {"prepare", "--input", in.toString(), "--output", out.toString(), "--label-column", "outcome",
        "--delimiter", ";", "--id-column", "id"};
    String[] all = java.util.Arrays.copyOf(base, base.length + more.length);
    System.arraycopy(more, 0, all, base.length, more.length);
    return fedbeam(all);
  }

  private Path export() throws Exception {
    Path csv = dir.resolve("export.csv");
    Files.writeString(csv, EXPORT, StandardCharsets.UTF_8);
    return csv;
  }

  @Test
  void anOutputThatIsTheInputByAHardLinkASymlinkOrAnotherSpellingIsRefusedEvenWithOverwrite() throws Exception {
    Path csv = export();
    Path hard = Files.createLink(dir.resolve("hard.fbt"), csv);
    Path soft = Files.createSymbolicLink(dir.resolve("soft.fbt"), csv);
    Path spelled = dir.resolve("sub/../export.csv");
    Files.createDirectories(dir.resolve("sub"));
    for (Path out : new Path[] {hard, soft, spelled, dir.resolve("./export.csv")}) {
      Run r = prepare(csv, out, "--overwrite");
      assertThat(out + ": " + r.out + r.err, r.code, equalTo(2));
      assertThat(r.err, containsString("is the input file"));
      assertThat(Files.readString(csv, StandardCharsets.UTF_8), equalTo(EXPORT));
    }
    assertThat(Files.isSymbolicLink(soft), equalTo(true));
  }

  @Test
  void aPlantedDanglingLinkAtTheOutputIsReplacedNotWrittenThrough() throws Exception {
    Path csv = export();
    Path victim = dir.resolve("elsewhere.bin");
    Path out = Files.createSymbolicLink(dir.resolve("silo.fbt"), victim);

    Run r = prepare(csv, out);

    assertThat(r.err, r.code, equalTo(0));
    assertThat(Files.exists(victim), equalTo(false));
    assertThat(Files.isRegularFile(out, LinkOption.NOFOLLOW_LINKS), equalTo(true));
  }

  @Test
  void aCellOfManyMegabytesAnUnclosedQuoteAndInvalidUtf8AreRefusedNamingTheLine() throws Exception {
    Path out = dir.resolve("silo.fbt");
    Path huge = dir.resolve("huge.csv");
    Files.writeString(huge, "id;age;outcome\nA;54;yes\nB;" + "9".repeat(3 << 20) + ";no\n", StandardCharsets.US_ASCII);
    Run r = prepare(huge, out);
    assertThat(r.code, equalTo(2));
    assertThat(r.err, containsString(huge + ": line 3: a cell is longer than"));

    Path open = dir.resolve("open.csv");
    Files.writeString(open, "id;age;outcome\nA;54;yes\nB;\"31;no\nC;47;yes\n", StandardCharsets.US_ASCII);
    r = prepare(open, out);
    assertThat(r.code, equalTo(2));
    assertThat(r.err, containsString(open + ": line 3: a quoted cell opened here is never closed"));

    Path bad = dir.resolve("latin1.csv");
    byte[] text = "id;age;outcome\nA;54;yes\nB;31;n\u00e9\n".getBytes(StandardCharsets.ISO_8859_1);
    Files.write(bad, text);
    r = prepare(bad, out);
    assertThat(r.code, equalTo(2));
    assertThat(r.err, containsString(bad.toString()));
    assertThat(Files.exists(out, LinkOption.NOFOLLOW_LINKS), equalTo(false));
  }
}
