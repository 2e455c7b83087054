package org.fedbeam.pipelines.federated;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.fedbeam.pipelines.protocol.JobSpec;
import org.fedbeam.pipelines.protocol.Messages;
import org.fedbeam.pipelines.protocol.Rejected;
import org.fedbeam.pipelines.protocol.Signed;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The orchestrator's strict reading of an update's metadata (defence in depth: the silo's egress
 * guard checks it too), and the job file's new fields.
 */
class UpdateReportMetadataTest {
  private static final String SHA = "a".repeat(64);

  @TempDir
  Path dir;

  @Test
  void knownFieldsWithinTheirRangeAndPrecisionAreAccepted() throws Exception {
    Messages.UpdateReport u = Messages.UpdateReport.fromJson(report("{\"samples\": 120, \"train_loss\": 0.5123,"
        + " \"train_ms\": 3000, \"epsilon_spent\": 2.5}"));

    assertThat(u.metadata(), equalTo(Map.of("samples", 120.0, "train_loss", 0.5123, "train_ms", 3000.0,
        "epsilon_spent", 2.5)));
    // 120.0 is the integer 120; 1.5e-3 has two significant digits
    assertThat(Messages.UpdateReport.fromJson(report("{\"samples\": 120.0, \"train_loss\": 1.5e-3}")).metadata()
        .get("train_loss"), equalTo(0.0015));
  }

  @Test
  void eachFieldOutsideItsRangeOrPrecisionIsRefusedNamingIt() {
    assertRefused("{\"samples\": 120, \"pixel_0\": 0.25}", "field 'pixel_0' is not one of");
    assertRefused("{\"train_loss\": 0.5}", "samples (the update's weight) is missing");
    assertRefused("{\"samples\": 120.5}", "samples must be an integer, was 120.5");
    assertRefused("{\"samples\": 0}", "samples must be in [1.0, 1.0E12], was 0.0");
    assertRefused("{\"samples\": 1e13}", "samples must be in [1.0, 1.0E12], was 1.0E13");
    assertRefused("{\"samples\": \"120\"}", "samples is not a finite number");
    assertRefused("{\"samples\": 120, \"train_ms\": 3.25}", "train_ms must be an integer, was 3.25");
    assertRefused("{\"samples\": 120, \"train_ms\": -1}", "train_ms must be in [0.0, 6.048E8], was -1.0");
    assertRefused("{\"samples\": 120, \"train_loss\": 0.51234}", "train_loss 0.51234 has 5 significant digits, at most 4");
    assertRefused("{\"samples\": 120, \"train_loss\": -0.5}", "train_loss must be in [0.0, 1000000.0], was -0.5");
    assertRefused("{\"samples\": 120, \"train_loss\": 1e300}", "train_loss must be in");
    assertRefused("{\"samples\": 120, \"epsilon_spent\": 2.50001}", "epsilon_spent 2.50001 has 6 significant digits");
    assertRefused("{\"samples\": 120, \"epsilon_spent\": [1]}", "epsilon_spent is not a finite number");
    // a row smuggled bit by bit in the low digits of the loss
    assertRefused("{\"samples\": 120, \"train_loss\": 0.4999999999871}", "significant digits, at most 4");
  }

  @Test
  void theJobFileDeclaresSamplesCapsSharesAndListsKeysWithValidity() throws Exception {
    World world = new World(dir, java.util.List.of("alpha"));
    JobSpec plain = JobSpec.read(world.job("plain", 1, 1, 5, j -> {}));
    assertThat(plain.silos().get(0).declared(), equalTo(false));
    assertThat(plain.maxSiloShare(), equalTo(1.0));
    JobSpec declared = JobSpec.read(world.job("declared", 1, 1, 5, j -> {
      j.put("max_silo_share", 0.4);
      ((ObjectNode) j.get("silos").get(0)).put("samples", 120);
    }));
    assertThat(declared.silos().get(0).declaredSamples(), equalTo(120L));
    assertThat(declared.maxSiloShare(), equalTo(0.4));

    assertBadJob(world, j -> silo(j).put("samples", 0), "silos[0]: samples must be an integer >= 1");
    assertBadJob(world, j -> silo(j).put("samples", 12.5), "silos[0]: samples must be an integer >= 1");
    assertBadJob(world, j -> j.put("max_silo_share", 0), "max_silo_share must be a number in (0, 1], was 0");
    assertBadJob(world, j -> j.put("max_silo_share", 1.5), "max_silo_share must be a number in (0, 1], was 1.5");
    assertBadJob(world, j -> silo(j).remove("public_key"), "silos[0]: public_key or public_keys is missing");
    assertBadJob(world, j -> silo(j).putArray("public_keys").addObject().put("public_key",
        world.siloKeys.get("alpha").publicKeyBase64()), "silos[0]: a public key is listed twice");
    assertBadJob(world, j -> {
      silo(j).remove("public_key");
      silo(j).putArray("public_keys").addObject().put("public_key", world.siloKeys.get("alpha").publicKeyBase64())
          .put("not_after", "next tuesday");
    }, "silos[0].public_keys[0]: not_after 'next tuesday' is not an ISO-8601 date-time");
    assertBadJob(world, j -> {
      silo(j).remove("public_key");
      silo(j).putArray("public_keys").addObject().put("public_key", world.siloKeys.get("alpha").publicKeyBase64())
          .put("not_before", "2030-02-01T00:00:00Z").put("not_after", "2030-01-01T00:00:00Z");
    }, "not_after 2030-01-01T00:00:00Z is before not_before 2030-02-01T00:00:00Z");
  }

  private static ObjectNode silo(ObjectNode job) {
    return (ObjectNode) job.get("silos").get(0);
  }

  private static void assertBadJob(World world, java.util.function.Consumer<ObjectNode> adjust, String message)
      throws Exception {
    Path file = world.job("bad", 1, 1, 5, adjust);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> JobSpec.read(file));
    assertThat(e.getMessage(), containsString(message));
    Files.delete(file);
  }

  private static void assertRefused(String metadata, String message) {
    Rejected e = assertThrows(Rejected.class, () -> Messages.UpdateReport.fromJson(report(metadata)));
    assertThat(e.getMessage(), containsString(message));
  }

  private static ObjectNode report(String metadata) throws Exception {
    return (ObjectNode) Signed.JSON.readTree("{\"job_id\": \"j\", \"round\": 1, \"nonce\": \"" + "0".repeat(32)
        + "\", \"silo\": \"alpha\", \"model_sha256\": \"" + SHA + "\", \"update_sha256\": \"" + SHA
        + "\", \"metadata\": " + metadata + "}");
  }
}
