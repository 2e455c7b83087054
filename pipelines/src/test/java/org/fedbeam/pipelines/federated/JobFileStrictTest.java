package org.fedbeam.pipelines.federated;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.fedbeam.pipelines.protocol.JobSpec;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The job file is parsed strictly (issue 11, part 3): each bad input is given to the orchestrator
 * as a user would ({@code Orchestrator.run} with {@code --job}), and must be rejected before round 1
 * with a message naming the field: no output folder (so no initial model) is written and no request
 * is published in any silo's exchange.
 */
class JobFileStrictTest {
  @TempDir
  Path dir;
  private World world;

  @BeforeEach
  void setUp() throws Exception {
    world = new World(dir, List.of("alpha", "beta", "gamma"));
  }

  @Test
  void aValidJobFileIsAcceptedSoTheRejectionsBelowAreTheFieldsDoing() throws Exception {
    JobSpec spec = JobSpec.read(world.job("ok", 1, 2, 30, j -> j.putObject("strategy").put("name", "fedprox")
        .put("mu", 0.1)));
    assertThat(spec.strategy().name(), equalTo("fedprox"));
    assertThat(spec.minSilos(), equalTo(2));
    // min_silos defaults to ceil(fraction x silos)
    JobSpec half = JobSpec.read(world.job("half", 1, 1, 30, j -> {
      j.remove("min_silos");
      j.put("fraction", 0.5);
    }));
    assertThat(half.minSilos(), equalTo(2));
  }

  @Test
  void anUnknownTopLevelFieldIsRejectedNamingIt() throws Exception {
    assertRejected(j -> j.put("round", 3), "has an unknown field \"round\"");
  }

  @Test
  void anUnknownTrainingFieldIsRejectedNamingItAndWhere() throws Exception {
    assertRejected(j -> ((ObjectNode) j.get("train")).put("lerning_rate", 0.1),
        "train has an unknown field \"lerning_rate\"");
  }

  @Test
  void anUnknownSiloFieldIsRejectedNamingTheSiloAndTheField() throws Exception {
    assertRejected(j -> ((ObjectNode) j.get("silos").get(1)).put("sample", 120),
        "silos[1] has an unknown field \"sample\"");
  }

  @Test
  void aValueOfTheWrongTypeIsRejectedNamingTheField() throws Exception {
    assertRejected(j -> j.put("rounds", "ten"), "rounds must be a whole number", "was \"ten\"");
    assertRejected(j -> j.put("round_timeout_s", "300"), "round_timeout_s must be a number");
    assertRejected(j -> j.put("fraction", true), "fraction must be a number");
  }

  @Test
  void valuesOutOfRangeAreRejectedNamingTheField() throws Exception {
    assertRejected(j -> j.put("min_silos", 0), "min_silos must be a whole number in [1, 3], was 0");
    assertRejected(j -> j.put("min_silos", 4), "min_silos must be a whole number in [1, 3], was 4");
    assertRejected(j -> j.put("fraction", 0), "fraction must be in (0, 1], was 0");
    assertRejected(j -> j.put("fraction", 1.5), "fraction must be in (0, 1], was 1.5");
    assertRejected(j -> j.put("round_timeout_s", -1), "round_timeout_s must be > 0, was -1");
    assertRejected(j -> j.put("grace_s", -0.5), "grace_s must be >= 0, was -0.5");
  }

  @Test
  void anUnknownStrategyIsRejectedListingTheKnownOnes() throws Exception {
    assertRejected(j -> j.put("strategy", "fedsgd"), "strategy", "unknown strategy 'fedsgd'", "fedavg");
    assertRejected(j -> j.putObject("strategy").put("name", "fedsgd"), "strategy", "unknown strategy 'fedsgd'");
  }

  @Test
  void aStrategyParameterOutOfRangeIsRejectedNamingTheStrategyAndTheParameter() throws Exception {
    assertRejected(j -> j.putObject("strategy").put("name", "fedadam").put("server_lr", -1),
        "strategy fedadam: server_lr must be in (0, 10], was -1");
    assertRejected(j -> j.putObject("strategy").put("name", "trimmed-mean").put("beta", 0.5),
        "strategy trimmed-mean: beta must be in [0, 0.5), was 0.5");
    assertRejected(j -> j.putObject("strategy").put("name", "fedprox").put("mu", -0.1),
        "strategy fedprox: mu must be in");
    assertRejected(j -> j.putObject("strategy").put("name", "fedavgm").put("server_momentum", "high"),
        "strategy", "server_momentum must be a number");
  }

  @Test
  void anUnknownStrategyParameterIsRejectedNamingIt() throws Exception {
    assertRejected(j -> j.putObject("strategy").put("name", "fedadam").put("server_rate", 0.1),
        "strategy fedadam has no parameter 'server_rate'", "server_lr");
    assertRejected(j -> j.putObject("strategy").put("name", "fedavg").put("mu", 0.1),
        "strategy fedavg has no parameter 'mu'; its parameters: max_silo_share");
  }

  @Test
  void krumWithTooFewSilosForItsByzantineCountIsRejected() throws Exception {
    List<String> five = List.of("s1", "s2", "s3", "s4", "s5");
    World big = new World(dir.resolve("five"), five);
    Path job = big.job("krum", 1, 3, 30, j -> j.putObject("strategy").put("name", "krum").put("byzantine", 2));
    assertRejectedBeforeRoundOne(big, job, "strategy krum: byzantine 2 needs at least 7 silos per round, the job has 5");
    // and a fraction that asks fewer silos than Krum needs, though the federation is big enough
    Path sampled = big.job("krum-sampled", 1, 2, 30, j -> {
      j.putObject("strategy").put("name", "krum").put("byzantine", 1);
      j.put("fraction", 0.4);
    });
    assertRejectedBeforeRoundOne(big, sampled, "byzantine 1 needs at least 5 silos per round, the job has 2");
  }

  @Test
  void aQuorumBelowWhatKrumNeedsIsRejectedSoOneSilentSiloCannotFailTheAggregation() throws Exception {
    World big = new World(dir.resolve("quorum"), List.of("s1", "s2", "s3", "s4", "s5"));
    Path job = big.job("krum-quorum", 1, 3, 30, j -> j.putObject("strategy").put("name", "krum").put("byzantine", 1));

    assertRejectedBeforeRoundOne(big, job, "min_silos 3 is below the 5 updates strategy krum needs in a round");
  }

  @Test
  void fedProxsMuBelongsToTheStrategyNotToTrain() throws Exception {
    assertRejected(j -> ((ObjectNode) j.get("train")).put("proximal_mu", 5),
        "train.proximal_mu is set by the strategy", "\"name\": \"fedprox\", \"mu\": 5.0");
  }

  @Test
  void anUpdateNormBoundBeyondAnyModelIsRejected() throws Exception {
    assertRejected(j -> j.put("max_update_norm", 1e30), "max_update_norm must be at most 1000000.0, was 1.0E30");
  }

  @Test
  void aFractionThatLeavesFewerSilosThanMinSilosIsRejected() throws Exception {
    assertRejected(j -> {
      j.put("fraction", 0.5);
      j.put("min_silos", 3);
    }, "fraction 0.5 asks 2 of 3 silos per round, fewer than min_silos 3");
  }

  private void assertRejected(Consumer<ObjectNode> bad, String... message) throws Exception {
    Path job = world.job("strict", 2, 2, 300, j -> {
      j.put("grace_s", 60);
      bad.accept(j);
    });
    assertRejectedBeforeRoundOne(world, job, message);
  }

  /** Runs the orchestrator on {@code job}: it must fail naming the field, with nothing written or published. */
  private static void assertRejectedBeforeRoundOne(World w, Path job, String... message) throws IOException {
    OrchestrateOptions options = PipelineOptionsFactory.fromArgs("--runner=DirectRunner", "--job=" + job)
        .as(OrchestrateOptions.class);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> Orchestrator.run(options, System.out));
    assertThat(e.getMessage(), containsString("job file " + job));
    for (String m : message) {
      assertThat(e.getMessage(), containsString(m));
    }
    String output = outputOf(job);
    assertThat("no output (no initial model) for a rejected job: " + output, Files.exists(Path.of(output)),
        equalTo(false));
    for (String exchange : w.exchanges.values()) {
      assertThat("nothing published in " + exchange, files(Path.of(exchange)), equalTo(List.of()));
    }
  }

  private static String outputOf(Path job) throws IOException {
    return org.fedbeam.pipelines.protocol.Signed.JSON.readTree(Files.readAllBytes(job)).get("output").asText();
  }

  private static List<Path> files(Path root) throws IOException {
    if (!Files.exists(root)) {
      return List.of();
    }
    try (Stream<Path> walk = Files.walk(root)) {
      return walk.filter(Files::isRegularFile).toList();
    }
  }
}
