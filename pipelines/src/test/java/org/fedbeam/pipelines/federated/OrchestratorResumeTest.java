package org.fedbeam.pipelines.federated;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.allOf;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.not;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.fedbeam.pipelines.rounds.RoundRecords;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * The orchestrator's resume in the deployment mode, end to end with real processes: three silo
 * agents and the orchestrator each in a JVM of its own. Each interrupted run is compared with an
 * uninterrupted run of the same job (same job id, keys, silo secrets and data; its own exchange,
 * silo state and output), model by model, byte for byte:
 * <ul>
 *   <li>the orchestrator SIGKILLed at a random point (the seed is printed), one agent SIGKILLed
 *       and restarted, then {@code orchestrate --job JOB --resume}: the job finishes with every
 *       round's model equal to the reference's;</li>
 *   <li>SIGTERM: the round in hand finishes, exit 143, the continue command printed; a resume
 *       with a changed job file (the learning rate) is refused naming the field, before anything
 *       is posted; the resume with the job file as it was finishes with the reference's models;</li>
 *   <li>a finished job: {@code --resume} and {@code --resume-or-start} are refused up front, naming
 *       the job and "finished", exit code 2, nothing new in the exchange or the output.</li>
 * </ul>
 */
@Tag("slow")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class OrchestratorResumeTest {
  static final int ROUNDS = 4;
  @TempDir
  static Path dir;
  private World world;
  private ProcessFederation reference;
  private final List<byte[]> referenceModels = new ArrayList<>();

  @BeforeAll
  void uninterrupted() throws Exception {
    world = ProcessFederation.world(dir);
    reference = new ProcessFederation(world, "reference", ROUNDS, j -> {});
    reference.startAgents();
    ProcessFederation.Run run = reference.orchestrate();
    assertThat(run.stderr(), run.code(), equalTo(0));
    assertThat(run.stdout(), containsString("\"status\":\"finished\""));
    for (int r = 0; r <= ROUNDS; r++) {
      referenceModels.add(reference.model(r));
    }
  }

  @AfterAll
  void stopAgents() throws Exception {
    if (reference != null) {
      reference.close();
    }
  }

  @Test
  void anOrchestratorKilledAtARandomPointWithAnAgentKilledTooResumesToTheUninterruptedModels() throws Exception {
    long seed = Long.getLong("fedbeam.killSeed", System.nanoTime());
    SplittableRandom random = new SplittableRandom(seed);
    // after round 1's line, so that the remaining rounds (each a poll of the agents at least) always outlast
    // the delays: a kill that came after the run's end would kill nothing
    int afterRound = 1 + random.nextInt(ROUNDS - 3);
    int orchestratorDelay = random.nextInt(1500);
    String silo = ProcessFederation.SILOS.get(random.nextInt(ProcessFederation.SILOS.size()));
    int agentDelay = random.nextInt(1500);
    System.out.printf(Locale.ROOT, "kill point: seed %d (-Dfedbeam.killSeed=%d): SIGKILL the orchestrator %d ms and"
        + " agent %s %d ms after round %d's progress line%n", seed, seed, orchestratorDelay, silo, agentDelay, afterRound);
    try (ProcessFederation f = new ProcessFederation(world, "killed", ROUNDS, j -> {})) {
      f.startAgents();
      Path log = f.home.resolve("orchestrator-1.log");
      Process orchestrator = f.orchestrateProcess(log);
      try {
        ProcessFederation.waitForLog(log, "round " + afterRound + "/" + ROUNDS, orchestrator, 300);
        long lineAt = System.currentTimeMillis();
        boolean agentFirst = agentDelay < orchestratorDelay;
        if (agentFirst) {
          sleepUntil(lineAt + agentDelay);
          f.killAndRestartAgent(silo);
        }
        sleepUntil(lineAt + orchestratorDelay);
        orchestrator.destroyForcibly(); // SIGKILL
        assertThat(orchestrator.waitFor(60, TimeUnit.SECONDS), equalTo(true));
        if (!agentFirst) {
          sleepUntil(lineAt + agentDelay);
          f.killAndRestartAgent(silo);
        }
      } finally {
        orchestrator.destroyForcibly();
      }
      String killedLog = Files.readString(log);
      int completed = lastCompletedRound(killedLog);
      System.out.printf(Locale.ROOT, "the killed orchestrator had completed round %d%s%n", completed,
          Files.exists(f.output.resolve(String.format("posted/round-%04d.json", completed + 1)))
              ? " and posted round " + (completed + 1) + " (killed mid-round)" : " (killed between rounds)");

      Path resumedLog = f.home.resolve("orchestrator-2.log");
      long started = System.nanoTime();
      Process resumed = f.orchestrateProcess(resumedLog, "--resume");
      try {
        ProcessFederation.waitForLog(resumedLog, "orchestrator (pid ", resumed, 300);
        double lockedSeconds = (System.nanoTime() - started) / 1e9;
        ProcessFederation.waitForLog(resumedLog, "resuming the run in ", resumed, 300);
        double resumeSeconds = (System.nanoTime() - started) / 1e9;
        String text = Files.readString(resumedLog);
        System.out.printf(Locale.ROOT, "resume time after a kill: %.2f s from the orchestrator's process start to the"
            + " start of round %d (%.2f s to its first line: JVM, job file, checks, lock; load average %.1f) (%s)%n",
            resumeSeconds, completed + 1, lockedSeconds,
            java.lang.management.ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage(),
            text.substring(text.indexOf("resuming the run")).lines().findFirst().orElse(""));
        assertThat(resumed.waitFor(300, TimeUnit.SECONDS), equalTo(true));
      } finally {
        resumed.destroyForcibly();
      }
      String text = Files.readString(resumedLog);
      assertThat("kill point seed " + seed + ":\n" + text, resumed.exitValue(), equalTo(0));
      assertThat(text, containsString("\"status\":\"finished\""));
      for (int r = 0; r <= ROUNDS; r++) {
        assertArrayEquals(referenceModels.get(r), f.model(r), "kill point seed " + seed + ": round " + r + "'s model");
      }
    }
  }

  @Test
  void sigtermFinishesTheRoundInHandAndAChangedJobFileIsRefusedOnResume() throws Exception {
    try (ProcessFederation f = new ProcessFederation(world, "termed", ROUNDS, j -> {})) {
      f.startAgents();
      Path log = f.home.resolve("orchestrator-1.log");
      Process orchestrator = f.orchestrateProcess(log);
      try {
        ProcessFederation.waitForLog(log, "round 1/" + ROUNDS, orchestrator, 300);
        orchestrator.destroy(); // SIGTERM
        assertThat(orchestrator.waitFor(120, TimeUnit.SECONDS), equalTo(true));
      } finally {
        orchestrator.destroyForcibly();
      }
      String text = Files.readString(log);
      assertThat(text, orchestrator.exitValue(), equalTo(143));
      assertThat(text, containsString("fedbeam: SIGTERM: finishing round "));
      assertThat(text, containsString("stopped by SIGTERM: the run in " + f.output + " is at round "));
      assertThat(text, containsString("continue it with: fedbeam orchestrate --job " + f.jobFile + " --resume"));
      assertThat(text, containsString("\"status\":\"stopped\""));
      assertThat(text, not(containsString("Exception")));

      // the job file changed since the run started: refused naming the field, before anything is posted
      byte[] job = Files.readAllBytes(f.jobFile);
      ObjectNode changed = (ObjectNode) RoundRecords.JSON.readTree(job);
      ((ObjectNode) changed.get("train")).put("learning_rate", 0.2);
      Files.write(f.jobFile, RoundRecords.JSON.writeValueAsBytes(changed));
      Map<String, String> before = f.listing();
      ProcessFederation.Run refused = f.orchestrate("--resume");
      assertThat(refused.code(), equalTo(2));
      assertThat(refused.stderr(), allOf(containsString("job " + ProcessFederation.JOB + ": cannot resume " + f.output),
          containsString("its run was started with train.learning_rate '"), containsString("this command gives '0.2'")));
      assertThat("nothing posted or written", f.listing(), equalTo(before));

      Files.write(f.jobFile, job);
      ProcessFederation.Run resumed = f.orchestrate("--resume");
      assertThat(resumed.stderr(), resumed.code(), equalTo(0));
      assertThat(resumed.stdout(), containsString("\"status\":\"finished\""));
      for (int r = 0; r <= ROUNDS; r++) {
        assertArrayEquals(referenceModels.get(r), f.model(r), "round " + r + "'s model");
      }
    }
  }

  @Test
  void aFinishedJobIsRefusedUpFrontAndNothingIsPosted() throws Exception {
    Map<String, String> before = reference.listing();
    for (String flag : List.of("--resume", "--resume-or-start")) {
      ProcessFederation.Run run = reference.orchestrate(flag);
      assertThat(flag, run.code(), equalTo(2));
      assertThat(flag, run.stderr(), allOf(containsString("job " + ProcessFederation.JOB + ": "),
          containsString("its run finished (at round " + ROUNDS + ": reached the maximum of " + ROUNDS + " rounds);"
              + " there is nothing to resume")));
      assertThat(flag + ": nothing new in the exchange or the output", reference.listing(), equalTo(before));
    }
  }

  /**
   * The ADF schedule, run here: the command the trigger's pipeline runs (parsed from
   * {@code deploy/adf/}, with {@code newRounds} 2) is run twice through the Batch node's launcher,
   * {@code deploy/adf/batch/fedbeam-batch.sh}, with this JVM's class path as FEDBEAM_CLASSPATH,
   * against real agents: the first slice runs rounds 1-2 and pauses, the second runs 3-4 and
   * finishes, with the uninterrupted run's models; a third slice is refused as finished and fails.
   */
  @Test
  void theAdfCommandRunTwiceAdvancesTheJobASliceAtATimeAndAThirdSliceFails() throws Exception {
    try (ProcessFederation f = new ProcessFederation(world, "adf", ROUNDS, j -> {})) {
      List<String> command = new ArrayList<>(AdfDefinitions.command(AdfScheduleTest.ADF, AdfScheduleTest.TRIGGER,
          Map.<String, Object>of("jobFile", f.jobFile.toString(), "newRounds", 2)));
      assertThat(command.subList(2, command.size()), equalTo(List.of("orchestrate", "--job", f.jobFile.toString(),
          "--resume-or-start", "--max-new-rounds", "2")));
      command.set(1, AdfScheduleTest.ADF.resolve("batch").resolve(command.get(1)).toString());
      f.startAgents();

      Slice first = slice(command, f.home.resolve("slice-1.log"));
      assertThat(first.log, first.code, equalTo(0));
      assertThat(first.log, containsString("paused after 2 new round(s) (--max-new-rounds 2): the run in " + f.output
          + " is at round 2 of " + ROUNDS));
      assertThat(first.log, containsString("\"status\":\"paused\""));
      assertThat(Files.exists(f.output.resolve("models/round-0003.fbm")), equalTo(false));

      Slice second = slice(command, f.home.resolve("slice-2.log"));
      assertThat(second.log, second.code, equalTo(0));
      assertThat(second.log, containsString("resuming the run in " + f.output + " at round 3 of " + ROUNDS));
      assertThat(second.log, containsString("\"status\":\"finished\""));
      for (int r = 0; r <= ROUNDS; r++) {
        assertArrayEquals(referenceModels.get(r), f.model(r), "round " + r + "'s model after two slices");
      }

      Map<String, String> before = f.listing();
      Slice third = slice(command, f.home.resolve("slice-3.log"));
      assertThat(third.log, third.code, equalTo(2));
      assertThat(third.log, allOf(containsString("error: job " + ProcessFederation.JOB + ": "),
          containsString("its run finished (at round " + ROUNDS + ": reached the maximum of " + ROUNDS + " rounds)")));
      assertThat("a refused slice posts and writes nothing", f.listing(), equalTo(before));
    }
  }

  private record Slice(int code, String log) {}

  /** Runs the ADF activity's command line as the Batch node would, with FedBeam's class path from this JVM. */
  private static Slice slice(List<String> command, Path log) throws Exception {
    ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
    pb.environment().put("FEDBEAM_CLASSPATH", System.getProperty("java.class.path"));
    pb.environment().put("JAVA_HOME", System.getProperty("java.home"));
    Process p = pb.start();
    try {
      assertThat("the slice ends within 10 minutes", p.waitFor(600, TimeUnit.SECONDS), equalTo(true));
    } finally {
      p.destroyForcibly();
    }
    String text = Files.readString(log);
    System.out.println(text);
    return new Slice(p.exitValue(), text);
  }

  /** The last round the progress lines of {@code log} report as completed (0 if none). */
  static int lastCompletedRound(String log) {
    int last = 0;
    for (String line : log.lines().toList()) {
      if (line.startsWith("round ") && line.contains("/" + ROUNDS + "  wall")) {
        last = Integer.parseInt(line.substring("round ".length(), line.indexOf('/')));
      }
    }
    return last;
  }

  private static void sleepUntil(long millis) throws InterruptedException {
    long wait = millis - System.currentTimeMillis();
    if (wait > 0) {
      Thread.sleep(wait);
    }
  }
}
