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
