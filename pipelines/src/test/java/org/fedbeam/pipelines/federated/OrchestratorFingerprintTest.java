package org.fedbeam.pipelines.federated;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.fedbeam.pipelines.protocol.JobSpec;
import org.fedbeam.pipelines.rounds.RoundRecords;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The settings a resumed orchestrator must share with its run: the job file's fields that change
 * the models, named as the file names them; a reformatted file has the same fingerprint, a changed
 * setting changes exactly its entry; operational fields (deadlines, attempts) are not in it.
 */
class OrchestratorFingerprintTest {
  @TempDir
  Path dir;

  @Test
  void aReformattedJobFileHasTheSameFingerprintAndAChangedSettingChangesItsEntryOnly() throws Exception {
    World world = new World(dir, List.of("alpha", "beta"));
    Path file = world.job("fp", 3, 2, 60, j -> {});
    Map<String, String> before = Orchestrator.fingerprint(JobSpec.read(file));
    ObjectNode job = (ObjectNode) RoundRecords.JSON.readTree(Files.readAllBytes(file));
    Files.writeString(file, RoundRecords.JSON.writerWithDefaultPrettyPrinter().writeValueAsString(job) + "\n\n");
    assertThat(Orchestrator.fingerprint(JobSpec.read(file)), equalTo(before));

    ((ObjectNode) job.get("train")).put("learning_rate", 0.07);
    job.put("round_timeout_s", 120).put("max_attempts", 3); // operational: not in the fingerprint
    Files.write(file, RoundRecords.JSON.writeValueAsBytes(job));
    Map<String, String> after = Orchestrator.fingerprint(JobSpec.read(file));

    assertThat(after.keySet(), equalTo(before.keySet()));
    for (String field : before.keySet()) {
      assertThat(field, after.get(field).equals(before.get(field)), equalTo(!field.equals("train.learning_rate")));
    }
  }

  @Test
  void resumeFlagsThatExcludeEachOtherAreRefusedNamingThem() throws Exception {
    World world = new World(dir, List.of("alpha"));
    Path file = world.job("flags", 1, 1, 60, j -> {});
    OrchestrateOptions options = PipelineOptionsFactory.fromArgs("--runner=DirectRunner", "--job=" + file,
        "--resume=true", "--overwrite=true").as(OrchestrateOptions.class);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> new Orchestrator(JobSpec.read(file), options, System.out));
    assertThat(e.getMessage(), containsString("--resume, --resume-or-start and --overwrite exclude each other"));

    OrchestrateOptions negative = PipelineOptionsFactory.fromArgs("--runner=DirectRunner", "--job=" + file,
        "--maxNewRounds=-1").as(OrchestrateOptions.class);
    e = assertThrows(IllegalArgumentException.class, () -> new Orchestrator(JobSpec.read(file), negative, System.out));
    assertThat(e.getMessage(), containsString("--max-new-rounds must be 0 (no limit) or more, was -1"));
  }
}
