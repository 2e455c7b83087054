package org.fedbeam.pipelines.cli;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import org.fedbeam.pipelines.rounds.RoundRecords;
import org.fedbeam.transforms.Artifacts;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Review of issue 12 (independent attacker): {@code fedbeam train --resume} (real CLI, DirectRunner)
 * with data changed under the same path, and with a checkpoint whose checksum matches but whose
 * fields are absurd.
 */
class ResumeReviewAttackTest {
  @TempDir
  Path dir;

  private record Run(int code, String stdout, String stderr) {}

  private Run train(Path out, Path csv, String... extra) {
    List<String> args = new ArrayList<>(List.of("train", "--output", out.toString(), "--dataset", csv.toString(),
        "--label-column", "kind", "--silos", "3", "--partition", "iid", "--rounds", "4", "--hidden", "8",
        "--batch-size", "8", "--lr", "0.1", "--no-baselines", "--patience", "50", "--seed", "7", "--runner",
        "DirectRunner"));
    args.addAll(List.of(extra));
    ByteArrayOutputStream stdout = new ByteArrayOutputStream();
    ByteArrayOutputStream stderr = new ByteArrayOutputStream();
    int code = FedBeam.run(args.toArray(String[]::new), new PrintStream(stdout, true, StandardCharsets.UTF_8),
        new PrintStream(stderr, true, StandardCharsets.UTF_8));
    return new Run(code, stdout.toString(StandardCharsets.UTF_8), stderr.toString(StandardCharsets.UTF_8));
  }

  /** Three Gaussian blobs in 3 features, 180 rows; {@code seed} changes every value, not the shape. */
  private static Path writeCsv(Path file, long seed) throws Exception {
    SplittableRandom random = new SplittableRandom(seed);
    String[] kinds = {"red", "green", "blue"};
    StringBuilder text = new StringBuilder("x1,kind,x2,x3\n");
    for (int i = 0; i < 180; i++) {
      int k = i % 3;
      text.append(String.format(Locale.ROOT, "%.4f,%s,%.4f,%.4f%n", random.nextGaussian() + 3 * (k == 0 ? 1 : 0),
          kinds[k], random.nextGaussian() + 3 * (k == 1 ? 1 : 0), random.nextGaussian() + 3 * (k == 2 ? 1 : 0)));
    }
    Files.writeString(file, text);
    return file;
  }

  // Found by an independent review (a defect, now fixed): the fingerprint holds --dataset as a path, not the data: the CSV is read again on resume,
  // so a file replaced under the same name (a new export, another day's data) is silently mixed into the
  // run: rounds 1..k trained on one data set, k+1.. on another, with a new scaling and a new test set,
  // and the final model differs from any uninterrupted run. The resume should be refused naming
  // --dataset (e.g. fingerprint the CSV's SHA-256 or the shards'; likewise --silo-secrets' content and
  // --fashion-mnist-dir's files).
  @Test
  void aResumeAfterTheCsvChangedUnderTheSamePathIsRefused() throws Exception {
    Path csv = writeCsv(dir.resolve("data.csv"), 5);
    Path out = dir.resolve("run");
    Run first = train(out, csv, "--max-new-rounds", "1");
    assertThat(first.stderr, first.code, equalTo(0));
    writeCsv(csv, 6); // other rows, same path, same header and classes
    Run resumed = train(out, csv, "--resume");
    assertThat("resume over changed data was accepted:\n" + resumed.stdout, resumed.code, equalTo(2));
    assertThat(resumed.stderr, containsString("--dataset"));
  }

  // Found by an independent review (a defect, now fixed): RunState.restore verifies a checkpoint (checksum, model and state hashes) inside a
  // try/catch that falls back to the last good round, but rebuilds its stats outside it: a checkpoint
  // whose self-checksum matches (it is not a MAC: anyone who edits the file recomputes it) and whose
  // stats lack a field, or hold text where a number goes, crashes the resume with a
  // NullPointerException / NumberFormatException instead of falling back to the round before, or a
  // refusal that names the file and the field.
  @Test
  void aCheckpointWithAMatchingChecksumButAbsurdStatsFallsBackOrIsRefusedByName() throws Exception {
    Path csv = writeCsv(dir.resolve("data.csv"), 5);
    Path out = dir.resolve("absurd");
    Run first = train(out, csv, "--max-new-rounds", "2");
    assertThat(first.stderr, first.code, equalTo(0));
    Path checkpoint = out.resolve("checkpoints/round-0002.json");
    ObjectNode body = (ObjectNode) RoundRecords.JSON.readTree(checkpoint.toFile());
    body.remove("sha256");
    ((ObjectNode) body.get("stats")).put("wall_s", "not a number");
    ((ObjectNode) body.get("stats")).remove("participants");
    body.put("sha256", Artifacts.sha256Hex(RoundRecords.oneLine(body).getBytes(StandardCharsets.UTF_8)));
    Files.write(checkpoint, RoundRecords.JSON.writeValueAsBytes(body));

    Run resumed = train(out, csv, "--resume");
    boolean fellBack = resumed.code == 0 && resumed.stdout.contains("falling back to round 1");
    boolean refusedByName = resumed.code == 2 && resumed.stderr.contains("round-0002.json");
    assertThat("neither a fall-back nor a refusal naming the checkpoint; exit " + resumed.code + ":\n"
        + resumed.stderr, fellBack || refusedByName, equalTo(true));
  }
}
