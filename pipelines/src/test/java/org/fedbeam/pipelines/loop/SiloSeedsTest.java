package org.fedbeam.pipelines.loop;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.not;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.fedbeam.model.Seeds;
import org.fedbeam.pipelines.Fixtures;
import org.fedbeam.pipelines.rounds.RoundRecords;
import org.fedbeam.transforms.SiloTask;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The simulation's silo seeds: from the run's seed by default, from each silo's secret with --siloSecrets and --jobId. */
class SiloSeedsTest {
  private static final byte[] SECRET_A = secret(1);
  private static final byte[] SECRET_B = secret(2);

  @TempDir
  Path dir;

  @Test
  void withoutSecretsEachSilosRoundSeedComesFromTheRunSeedAsBefore() {
    TrainOptions options = options();

    for (int round = 1; round <= 3; round++) {
      List<SiloTask> tasks = SimulationRounds.tasks(data(), SiloSeeds.from(options, silos(), 42), SiloAttacks.NONE, round,
          List.copyOf(data().silos().keySet()), Fixtures.CONFIG);
      assertThat(tasks.get(0).seed(), equalTo(Seeds.derive(42, "local-train", round, 0)));
      assertThat(tasks.get(1).seed(), equalTo(Seeds.derive(42, "local-train", round, 1)));
    }
  }

  @Test
  void withSecretsEachSilosRoundSeedIsTheHmacOfItsSecretTheJobAndTheRound() throws Exception {
    TrainOptions options = options("--siloSecrets=" + secretsFile(Map.of("silo-00", SECRET_A, "silo-01", SECRET_B)),
        "--jobId=demo-7");

    for (int round = 1; round <= 3; round++) {
      List<SiloTask> tasks = SimulationRounds.tasks(data(), SiloSeeds.from(options, silos(), 42), SiloAttacks.NONE, round,
          List.copyOf(data().silos().keySet()), Fixtures.CONFIG);
      assertThat(tasks.get(0).siloId(), equalTo("silo-00"));
      assertThat(tasks.get(0).seed(), equalTo(Seeds.fromSecret(SECRET_A, "demo-7", round)));
      assertThat(tasks.get(1).seed(), equalTo(Seeds.fromSecret(SECRET_B, "demo-7", round)));
      assertThat(tasks.get(0).seed(), not(equalTo(Seeds.derive(42, "local-train", round, 0))));
    }
  }

  @Test
  void badSecretsAreRefusedNamingTheOptionAndTheSilo() throws Exception {
    assertRefused(options("--siloSecrets=" + secretsFile(Map.of("silo-00", SECRET_A))),
        "--siloSecrets and --jobId go together");
    assertRefused(options("--jobId=j"), "--siloSecrets and --jobId go together");
    assertRefused(options("--siloSecrets=" + secretsFile(Map.of("silo-00", SECRET_A)), "--jobId=j"),
        "has no secret for silo silo-01");
    assertRefused(options("--siloSecrets=" + secretsFile(Map.of("silo-00", SECRET_A, "silo-01", SECRET_B,
        "silo-09", SECRET_B)), "--jobId=j"), "has a secret for 'silo-09', which is not one of the silos");
    assertRefused(options("--siloSecrets=" + secretsFile(Map.of("silo-00", SECRET_A, "silo-01", new byte[8])),
        "--jobId=j"), "the secret of silo-01 must be Base64 text of at least 16 bytes, was 8 bytes");
    assertRefused(options("--siloSecrets=" + dir.resolve("none.json"), "--jobId=j"), "--siloSecrets: cannot read");
  }

  private static void assertRefused(TrainOptions options, String message) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> SiloSeeds.from(options, silos(), 42));
    assertThat(e.getMessage(), containsString(message));
  }

  private Path secretsFile(Map<String, byte[]> secrets) throws Exception {
    Map<String, String> json = new LinkedHashMap<>();
    secrets.forEach((silo, s) -> json.put(silo, Base64.getEncoder().encodeToString(s)));
    Path file = Files.createTempFile(dir, "secrets", ".json");
    Files.write(file, RoundRecords.JSON.writeValueAsBytes(json));
    return file;
  }

  private static List<String> silos() {
    return List.of("silo-00", "silo-01");
  }

  private static SimulationData data() {
    Map<String, String> silos = new LinkedHashMap<>();
    silos.put("silo-00", "/data/silo-00.fbds");
    silos.put("silo-01", "/data/silo-01.fbds");
    return new SimulationData(silos, Map.of(), 6, 3, Map.of("silo-00", 10, "silo-01", 12), "test");
  }

  private static TrainOptions options(String... args) {
    List<String> all = new java.util.ArrayList<>(List.of("--output=unused"));
    all.addAll(List.of(args));
    return PipelineOptionsFactory.fromArgs(all.toArray(String[]::new)).as(TrainOptions.class);
  }

  private static byte[] secret(int fill) {
    byte[] s = new byte[32];
    java.util.Arrays.fill(s, (byte) fill);
    return s;
  }
}
