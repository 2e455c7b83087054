package org.fedbeam.pipelines.federated;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.greaterThan;
import static org.hamcrest.Matchers.lessThanOrEqualTo;
import static org.hamcrest.Matchers.startsWith;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.fedbeam.pipelines.cli.FedBeam;
import org.fedbeam.pipelines.protocol.Signed;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The audit log: appended, never rewritten, hash-chained across rotated files, and checked by {@code fedbeam audit verify}. */
class AuditLogTest {
  @TempDir
  Path dir;

  @Test
  void anUntouchedLogVerifiesAndLinesAreAppendedNotRewritten() throws Exception {
    Path log = dir.resolve("state/audit.jsonl");
    Audit audit = new Audit(log.toString(), dir.resolve("state").toString(), Audit.DEFAULT_ROTATE_BYTES);
    audit.record(event(1));
    Object inode = Files.getAttribute(log, "unix:ino");
    byte[] first = Files.readAllBytes(log);
    for (int i = 2; i <= 10; i++) {
      audit.record(event(i));
    }

    assertThat(Files.getAttribute(log, "unix:ino"), equalTo(inode)); // the same file, appended to
    assertThat(java.util.Arrays.equals(first, 0, first.length, Files.readAllBytes(log), 0, first.length), equalTo(true));
    Audit.Verification v = Audit.verify(log.toString());
    assertThat(v.problem(), equalTo(null));
    assertThat(v.lines(), equalTo(10L));
    assertThat(cli(log), equalTo("0 OK 10 lines in 1 file(s); head sha256 " + v.head()));
    // an agent started again goes on with the chain
    new Audit(log.toString(), dir.resolve("state").toString(), Audit.DEFAULT_ROTATE_BYTES).record(event(11));
    assertThat(Audit.verify(log.toString()).lines(), equalTo(11L));
  }

  @Test
  void anEditedADeletedAndAReorderedLineAreEachFound() throws Exception {
    Path log = tenLines();
    List<String> lines = Files.readAllLines(log);

    List<String> edited = new ArrayList<>(lines);
    edited.set(3, edited.get(3).replace("\"decision\":\"refused\"", "\"decision\":\"update sent\""));
    assertBroken(log, edited, "audit.jsonl line 5 (seq 5) does not chain to the line before it");

    List<String> deleted = new ArrayList<>(lines);
    deleted.remove(3);
    assertBroken(log, deleted, "audit.jsonl line 4 (seq 5) does not chain to the line before it");

    List<String> reordered = new ArrayList<>(lines);
    reordered.set(3, lines.get(4));
    reordered.set(4, lines.get(3));
    assertBroken(log, reordered, "audit.jsonl line 4 (seq 5) does not chain to the line before it");

    // an edit whose author also fixed the next line's prev still breaks the line after that
    List<String> forged = new ArrayList<>(lines);
    forged.set(3, lines.get(3).replace("\"n\":4", "\"n\":40"));
    forged.set(4, lines.get(4).replaceAll("\"prev\":\"[0-9a-f]{64}\"", "\"prev\":\"" + Audit.sha256(forged.get(3)) + "\""));
    assertBroken(log, forged, "audit.jsonl line 6 (seq 6) does not chain to the line before it");
  }

  @Test
  void rotationKeepsEachFileSmallAndTheChainWhole() throws Exception {
    Path log = dir.resolve("state/audit.jsonl");
    Audit audit = new Audit(log.toString(), dir.resolve("state").toString(), 1024);
    for (int i = 1; i <= 60; i++) {
      audit.record(event(i));
    }

    Audit.Verification v = Audit.verify(log.toString());
    assertThat(v.problem(), equalTo(null));
    assertThat(v.lines(), equalTo(60L));
    assertThat(v.files(), greaterThan(3));
    for (int n = 1; n < v.files(); n++) {
      assertThat(Files.size(dir.resolve("state/audit." + n + ".jsonl")), lessThanOrEqualTo(1024L));
    }
    // a line removed from a rotated file is found, in that file's successor if it was its last
    Path firstRotated = dir.resolve("state/audit.1.jsonl");
    List<String> lines = new ArrayList<>(Files.readAllLines(firstRotated));
    lines.remove(lines.size() - 1);
    Files.write(firstRotated, lines);
    assertThat(Audit.verify(log.toString()).problem(), startsWith(dir.resolve("state/audit.2.jsonl") + " line 1"));
    assertThat(cli(log), startsWith("1 BROKEN after"));
  }

  @Test
  void theLogIsNotWrittenThroughALink() throws Exception {
    Path state = dir.resolve("state");
    Files.createDirectories(state);
    Path elsewhere = dir.resolve("elsewhere.jsonl");
    Files.writeString(elsewhere, "");
    Files.createSymbolicLink(state.resolve("audit.jsonl"), elsewhere);

    IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
        () -> new Audit(state.resolve("audit.jsonl").toString(), state.toString(), 4096).record(event(1)));

    assertThat(e.getMessage(), containsString("is a symbolic link"));
    assertThat(Files.readString(elsewhere), equalTo(""));
  }

  @Test
  void badUsageOfTheCommandIsRefused() {
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int code = FedBeam.run(new String[] {"audit", "verify"}, new PrintStream(new ByteArrayOutputStream()),
        new PrintStream(err, true, StandardCharsets.UTF_8));
    assertThat(code, equalTo(2));
    assertThat(err.toString(StandardCharsets.UTF_8), containsString("--log is required"));
  }

  private Path tenLines() {
    Path log = dir.resolve("state/audit.jsonl");
    Audit audit = new Audit(log.toString(), dir.resolve("state").toString(), Audit.DEFAULT_ROTATE_BYTES);
    for (int i = 1; i <= 10; i++) {
      audit.record(event(i));
    }
    return log;
  }

  private void assertBroken(Path log, List<String> lines, String problem) throws Exception {
    Path copy = dir.resolve("copy-" + System.nanoTime()).resolve("audit.jsonl");
    Files.createDirectories(copy.getParent());
    Files.write(copy, lines);
    Audit.Verification v = Audit.verify(copy.toString());
    assertThat(v.ok(), equalTo(false));
    assertThat(v.problem(), containsString(problem));
    assertThat(cli(copy), startsWith("1 BROKEN after"));
  }

  private static String cli(Path log) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    int code = FedBeam.run(new String[] {"audit", "verify", "--log", log.toString()},
        new PrintStream(out, true, StandardCharsets.UTF_8), System.err);
    return code + " " + out.toString(StandardCharsets.UTF_8).strip();
  }

  private static com.fasterxml.jackson.databind.node.ObjectNode event(int n) {
    return Signed.JSON.createObjectNode().put("silo", "alpha").put("n", n).put("decision", n % 2 == 0 ? "refused" : "accepted");
  }
}
