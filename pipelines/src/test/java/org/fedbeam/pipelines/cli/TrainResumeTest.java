package org.fedbeam.pipelines.cli;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.not;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.fedbeam.transforms.Artifacts;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * Run state and resume in the simulation, on the embedded Flink: a run killed with SIGKILL at a
 * random point, stopped by SIGTERM, paused by slices or holding a damaged checkpoint continues
 * with {@code --resume} to the very model an uninterrupted run with the same seed makes; a folder
 * holding a run is never mixed with another; a resume with other settings is refused naming them.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class TrainResumeTest {
  private static final int ROUNDS = 5;
  @TempDir
  static Path dir;
  private Path csv;
  private byte[] reference;
  private List<String> referenceMetrics;

  @BeforeAll
  void uninterrupted() throws Exception {
    csv = dir.resolve("blobs.csv");
    StrategyTrainJobTest.writeCsv(csv);
    Run run = train("reference");
    assertThat(run.stderr, run.code, equalTo(0));
    reference = finalModel(run.out);
    referenceMetrics = globalRows(run.out);
    assertThat(referenceMetrics.size(), equalTo(ROUNDS));
  }

  @Test
  void slicesOfTwoRoundsEndAtTheUninterruptedModel() throws Exception {
    Run first = train("slices", "--max-new-rounds", "2");
    assertThat(first.stderr, first.code, equalTo(0));
    assertThat(first.stdout, containsString("paused after 2 new round(s) (--max-new-rounds 2): the run in "));
    assertThat(first.stdout, containsString("is at round 2 of 5 and is kept; continue it with: fedbeam train"));
    assertThat(first.stdout, containsString("\"status\":\"paused\""));
    Run second = train("slices", "--resume", "--max-new-rounds", "2");
    assertThat(second.stderr, second.code, equalTo(0));
    assertThat(second.stdout, containsString("resuming the run in " + first.out + " at round 3 of 5"));
    Run third = train("slices", "--resume");
    assertThat(third.stderr, third.code, equalTo(0));
    assertThat(third.stdout, containsString("\"status\":\"finished\""));
    assertThat("the sliced run's final model is the uninterrupted run's", finalModel(third.out), equalTo(reference));
    assertThat("metrics.csv holds every round once, as the uninterrupted run's", globalRows(third.out),
        equalTo(referenceMetrics));
    String provenance = Files.readString(third.out.resolve("models/round-0003.json"));
    assertThat(provenance, containsString("round-0002.fbm"));
  }

  @Test
  void aFolderHoldingARunIsNeverMixedWithAnother() throws Exception {
    Run done = train("mixed");
    Map<String, String> before = hashes(done.out);

    Run again = train("mixed");
    assertThat(again.code, equalTo(2));
    assertThat(again.stderr, containsString(done.out + " already holds a FedBeam run (run.json, 5 round(s) completed);"
        + " use --resume to continue it or --overwrite to replace it"));
    assertThat("nothing was overwritten", hashes(done.out), equalTo(before));

    Run finished = train("mixed", "--resume");
    assertThat(finished.code, equalTo(2));
    assertThat(finished.stderr, containsString("its run finished (at round 5: reached the maximum of 5 rounds);"
        + " there is nothing to resume"));
    assertThat("nothing was overwritten", hashes(done.out), equalTo(before));

    Run otherLr = train("mixed", "--resume", "--lr", "0.2");
    assertThat(otherLr.code, equalTo(2));
    assertThat(otherLr.stderr, containsString("its run was started with --lr '0.1', this command gives '0.2'"));
    assertThat("nothing was overwritten", hashes(done.out), equalTo(before));

    Path empty = Files.createDirectories(dir.resolve("empty"));
    Run nothing = train("empty", "--resume");
    assertThat(nothing.code, equalTo(2));
    assertThat(nothing.stderr, containsString("cannot resume " + empty + ": it holds no FedBeam run (no run.json)"));
    try (Stream<Path> files = Files.list(empty)) {
      assertThat("a refused resume writes nothing", files.count(), equalTo(0L));
    }

    Run both = train("mixed", "--resume", "--overwrite");
    assertThat(both.code, equalTo(2));
    assertThat(both.stderr, containsString("--resume and --overwrite exclude each other"));

    Run replaced = train("mixed", "--overwrite", "--rounds", "2");
    assertThat(replaced.stderr, replaced.code, equalTo(0));
    assertThat(replaced.stdout, containsString("overwriting the run in " + done.out));
    assertThat("the old run's later rounds are gone", Files.exists(done.out.resolve("models/round-0005.fbm")),
        equalTo(false));
  }

  @Test
  void aStateFileFromANewerFormatIsRefusedNamingTheField() throws Exception {
    Run paused = train("newer", "--max-new-rounds", "1");
    assertThat(paused.stderr, paused.code, equalTo(0));
    Path manifest = paused.out.resolve("run.json");
    Files.writeString(manifest, Files.readString(manifest).replace("\"format\" : 1", "\"format\" : 2"));
    Run refused = train("newer", "--resume");
    assertThat(refused.code, equalTo(2));
    assertThat(refused.stderr, containsString(manifest + ": field format is 2, newer than this build's 1"));

    Files.writeString(manifest, Files.readString(manifest).replace("\"format\" : 2", "\"format\" : 1"));
    Path checkpoint = paused.out.resolve("checkpoints/round-0001.json");
    Files.writeString(checkpoint, Files.readString(checkpoint).replace("\"format\" : 1", "\"format\" : 7"));
    Run newer = train("newer", "--resume");
    assertThat(newer.code, equalTo(2));
    assertThat(newer.stderr, containsString(checkpoint + ": field format is 7, newer than this build's 1"));
  }

  @Test
  void aDamagedCheckpointFallsBackToTheLastGoodRound() throws Exception {
    for (String damage : List.of("model", "state", "checkpoint")) {
      Run paused = train("damaged-" + damage, "--max-new-rounds", "3");
      assertThat(paused.stderr, paused.code, equalTo(0));
      Path file = switch (damage) {
        case "model" -> paused.out.resolve("models/round-0003.fbm");
        case "state" -> paused.out.resolve("state/round-0003.state");
        default -> paused.out.resolve("checkpoints/round-0003.json");
      };
      byte[] bytes = Files.readAllBytes(file);
      // half-written: the first half of the file only
      Files.write(file, java.util.Arrays.copyOf(bytes, bytes.length / 2));
      Run resumed = train("damaged-" + damage, "--resume");
      assertThat(resumed.stderr, resumed.code, equalTo(0));
      assertThat(resumed.stdout, containsString("round-0003.json is damaged ("));
      assertThat(resumed.stdout, containsString("falling back to round 2, the last good round"));
      assertThat(resumed.stdout, containsString("at round 3 of 5"));
      assertThat(damage + ": the final model is the uninterrupted run's", finalModel(resumed.out), equalTo(reference));
      assertThat(globalRows(resumed.out), equalTo(referenceMetrics));
    }
  }

  @Test
  void aRunCutBeforeItsStartWasCommittedStartsAgain() throws Exception {
    Run paused = train("cut-at-start", "--max-new-rounds", "1");
    assertThat(paused.stderr, paused.code, equalTo(0));
    // as if killed between writing run.json and committing round 0
    try (Stream<Path> files = Files.list(paused.out.resolve("checkpoints"))) {
      for (Path f : files.toList()) {
        Files.delete(f);
      }
    }
    Run resumed = train("cut-at-start", "--resume");
    assertThat(resumed.stderr, resumed.code, equalTo(0));
    assertThat(resumed.stdout, containsString("was cut before its start was committed: starting it again"));
    assertThat(finalModel(resumed.out), equalTo(reference));
  }

  @Test
  void aRunKilledAtARandomPointResumesToTheUninterruptedModel() throws Exception {
    long seed = System.nanoTime();
    SplittableRandom random = new SplittableRandom(seed);
    int afterRound = 1 + random.nextInt(ROUNDS - 2);
    int delayMillis = random.nextInt(1500);
    Path out = dir.resolve("killed");
    // a round here takes a fraction of a second: a delay that outlasts the run's last rounds kills nothing,
    // so the point is drawn again closer (the same round, half the delay) until the kill lands in the run
    for (int attempt = 1; ; attempt++) {
      System.out.printf("kill point: seed %d, attempt %d: SIGKILL %d ms after round %d's line%n", seed, attempt,
          delayMillis, afterRound);
      Path log = dir.resolve("killed-" + attempt + ".log");
      Process child = FedBeamProcess.start(args(out), log, dir.resolve("killed-tmp"));
      boolean killed;
      try {
        waitForLog(log, "round " + afterRound + "/" + ROUNDS, child);
        Thread.sleep(delayMillis);
        killed = child.isAlive();
        child.destroyForcibly(); // SIGKILL
        child.waitFor(60, TimeUnit.SECONDS);
      } finally {
        child.destroyForcibly();
      }
      // landed inside the run: the process was alive and the last round was not committed yet
      if (killed && !Files.exists(out.resolve(String.format("checkpoints/round-%04d.json", ROUNDS)))) {
        break;
      }
      assertThat("the kill never landed inside the run (seed " + seed + ")", attempt < 6, equalTo(true));
      try (Stream<Path> files = Files.walk(out)) { // the finished run goes: the next attempt starts anew
        for (Path f : files.sorted(java.util.Comparator.reverseOrder()).toList()) {
          Files.delete(f);
        }
      }
      delayMillis /= 2;
    }
    Run resumed = train("killed", "--resume");
    assertThat(resumed.stderr, resumed.code, equalTo(0));
    assertThat(resumed.stdout, containsString("resuming the run in " + out + " at round "));
    assertThat("kill point seed " + seed, finalModel(resumed.out), equalTo(reference));
    assertThat(globalRows(resumed.out), equalTo(referenceMetrics));
  }

  @Test
  void sigtermFinishesTheRoundInHandAndSaysHowToResume() throws Exception {
    Path out = dir.resolve("termed");
    Path log = dir.resolve("termed.log");
    Process child = FedBeamProcess.start(args(out), log, dir.resolve("termed-tmp"));
    try {
      waitForLog(log, "round 1/" + ROUNDS, child);
      child.destroy(); // SIGTERM
      assertThat(child.waitFor(120, TimeUnit.SECONDS), equalTo(true));
    } finally {
      child.destroyForcibly();
    }
    String text = Files.readString(log);
    assertThat(text, child.exitValue(), equalTo(143));
    assertThat(text, containsString("fedbeam: SIGTERM: finishing round "));
    assertThat(text, containsString("stopped by SIGTERM: the run in " + out + " is at round "));
    assertThat(text, containsString("continue it with: fedbeam train --output " + out));
    assertThat(text, not(containsString("Exception")));
    Run resumed = train("termed", "--resume");
    assertThat(resumed.stderr, resumed.code, equalTo(0));
    assertThat(finalModel(resumed.out), equalTo(reference));
  }

  private record Run(int code, String stdout, String stderr, Path out) {}

  private List<String> args(Path out, String... extra) {
    List<String> args = new ArrayList<>(List.of("train", "--output", out.toString(), "--dataset", csv.toString(),
        "--label-column", "kind", "--silos", "4", "--partition", "iid", "--rounds", Integer.toString(ROUNDS),
        "--hidden", "8", "--batch-size", "8", "--lr", "0.1", "--no-baselines", "--patience", "50", "--seed", "7"));
    args.addAll(List.of(extra));
    return args;
  }

  private Run train(String name, String... extra) throws Exception {
    Path out = dir.resolve(name);
    List<String> args = args(out, extra);
    // a later --rounds wins: the overwrite case sets its own
    int rounds = args.lastIndexOf("--rounds");
    if (rounds != args.indexOf("--rounds")) {
      args.remove(args.indexOf("--rounds") + 1);
      args.remove(args.indexOf("--rounds"));
    }
    int lr = args.lastIndexOf("--lr");
    if (lr != args.indexOf("--lr")) {
      args.remove(args.indexOf("--lr") + 1);
      args.remove(args.indexOf("--lr"));
    }
    ByteArrayOutputStream stdout = new ByteArrayOutputStream();
    ByteArrayOutputStream stderr = new ByteArrayOutputStream();
    int code = FedBeam.run(args.toArray(String[]::new), new PrintStream(stdout, true, StandardCharsets.UTF_8),
        new PrintStream(stderr, true, StandardCharsets.UTF_8));
    return new Run(code, stdout.toString(StandardCharsets.UTF_8), stderr.toString(StandardCharsets.UTF_8), out);
  }

  private static byte[] finalModel(Path out) throws Exception {
    return Files.readAllBytes(out.resolve(String.format("models/round-%04d.fbm", ROUNDS)));
  }

  /** metrics.csv's global rows without the timing columns (wall_s, overhead_s). */
  private static List<String> globalRows(Path out) throws Exception {
    List<String> rows = new ArrayList<>();
    for (String line : Files.readAllLines(out.resolve("metrics.csv"))) {
      String[] cells = line.split(",", -1);
      if (cells.length > 8 && cells[1].equals("global")) {
        cells[7] = "";
        cells[8] = "";
        rows.add(String.join(",", cells));
      }
    }
    return rows;
  }

  private static Map<String, String> hashes(Path out) throws Exception {
    Map<String, String> hashes = new HashMap<>();
    try (Stream<Path> files = Files.walk(out)) {
      for (Path f : files.filter(Files::isRegularFile).toList()) {
        hashes.put(out.relativize(f).toString(), Artifacts.sha256Hex(Files.readAllBytes(f)));
      }
    }
    return hashes;
  }

  private static void waitForLog(Path log, String text, Process child) throws Exception {
    long deadline = System.currentTimeMillis() + 180_000;
    while (!(Files.exists(log) && Files.readString(log).contains(text))) {
      if (!child.isAlive()) {
        throw new AssertionError("the run ended before '" + text + "':\n" + Files.readString(log));
      }
      if (System.currentTimeMillis() > deadline) {
        throw new AssertionError("no '" + text + "' in 180 s:\n" + Files.readString(log));
      }
      Thread.sleep(20);
    }
  }
}
