package org.fedbeam.pipelines.federated;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.allOf;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The ADF definitions of {@code deploy/adf/}: the trigger's pipeline runs
 * {@code fedbeam orchestrate --job JOB --resume-or-start --max-new-rounds N} through the Batch
 * node's launcher; a definition naming a job file that does not exist is refused, naming the file
 * and the field. The lock that keeps two slices of one job apart refuses the second.
 */
class AdfScheduleTest {
  static final Path ADF = Path.of("..", "deploy", "adf");
  static final String TRIGGER = "fedbeam-every-6-hours";
  @TempDir
  Path dir;

  @Test
  void theTriggersCommandIsTheLauncherRunningTheNextSliceOfTheJob() throws IOException {
    Path job = Files.writeString(dir.resolve("job.json"), "{}");

    List<String> command = AdfDefinitions.command(ADF, TRIGGER, Map.of("jobFile", job.toString()));

    assertThat(command, equalTo(List.of("bash", "fedbeam-batch.sh", "orchestrate", "--job", job.toString(),
        "--resume-or-start", "--max-new-rounds", "5")));
    assertThat(Files.isRegularFile(ADF.resolve("batch").resolve(command.get(1))), equalTo(true));
  }

  @Test
  void aDefinitionNamingAJobFileThatDoesNotExistIsRefusedNamingTheFileAndTheField() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> AdfDefinitions.command(ADF, TRIGGER, Map.of()));

    // the trigger's own jobFile, /mnt/fedbeam/jobs/job.json, is the Batch node's, not this machine's
    assertThat(e.getMessage(), allOf(containsString(TRIGGER + ".json"), containsString("parameter jobFile"),
        containsString("/mnt/fedbeam/jobs/job.json, which does not exist")));
  }

  /**
   * The activity's command is a concatenation of pipeline parameters that Batch splits on spaces: a
   * jobFile holding a flag of its own (someone who can edit the trigger's parameters) is refused by the
   * node's launcher before Java starts, and so is a newRounds that is not a number.
   */
  @Test
  void aParameterThatSmugglesInAFlagIsRefusedByTheLauncher() throws Exception {
    java.util.List<java.util.List<String>> bad = java.util.List.of(
        java.util.List.of("orchestrate", "--job", "job.json", "--overwrite", "--resume-or-start", "--max-new-rounds", "2"),
        java.util.List.of("orchestrate", "--job", "--overwrite", "--resume-or-start", "--max-new-rounds", "2"),
        java.util.List.of("orchestrate", "--job", "job.json", "--resume-or-start", "--max-new-rounds", "2;rm"),
        java.util.List.of("orchestrate", "--job", "job.json", "--resume-or-start", "--max-new-rounds", "0"));
    for (java.util.List<String> args : bad) {
      java.util.List<String> command = new java.util.ArrayList<>(java.util.List.of("bash",
          ADF.resolve("batch/fedbeam-batch.sh").toString()));
      command.addAll(args);
      Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
      String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
      assertThat(String.join(" ", args), p.waitFor(), org.hamcrest.Matchers.equalTo(2));
      assertThat(out, containsString("expected: orchestrate --job JOB.json --resume-or-start --max-new-rounds N"));
    }
  }

  @Test
  void aSecondOrchestratorOfTheSameJobIsRefusedWhileTheFirstHoldsTheLock() throws Exception {
    try (RunLock first = RunLock.acquire(dir.toString(), "job-x", System.out)) {
      IllegalStateException e = assertThrows(IllegalStateException.class,
          () -> RunLock.acquire(dir.toString(), "job-x", System.out));
      assertThat(e.getMessage(), allOf(containsString("job job-x is being run by another orchestrator (pid "
          + ProcessHandle.current().pid()), containsString("orchestrate.lock"),
          containsString("stops without posting anything")));
    }
    RunLock.acquire(dir.toString(), "job-x", System.out).close(); // released with the first
  }
}
