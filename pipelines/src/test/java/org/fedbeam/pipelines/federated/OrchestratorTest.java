package org.fedbeam.pipelines.federated;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.allOf;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.lessThan;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.fedbeam.model.DenseNetwork;
import org.fedbeam.model.ModelFormat;
import org.fedbeam.model.ModelSpec;
import org.fedbeam.model.Parameters;
import org.fedbeam.pipelines.protocol.Exchange;
import org.fedbeam.pipelines.protocol.JobSpec;
import org.fedbeam.pipelines.protocol.Keys;
import org.fedbeam.pipelines.protocol.Messages;
import org.fedbeam.pipelines.protocol.Signed;
import org.fedbeam.transforms.Artifacts;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The orchestrator with silo agents in this JVM (DirectRunner): quorum, time-outs, retries and invalid answers. */
class OrchestratorTest {
  @TempDir
  Path dir;
  private World world;

  @BeforeEach
  void setUp() throws Exception {
    world = new World(dir, List.of("alpha", "beta", "gamma"));
  }

  @AfterEach
  void tearDown() throws Exception {
    world.close();
  }

  @Test
  void theRoundGoesOnWithAQuorumWhenASiloNeverAnswers() throws Exception {
    serve("alpha");
    serve("beta"); // gamma has no agent: it never answers
    Path job = world.job("quorum", 2, 2, 30, j -> {});

    ObjectNode summary = orchestrate(job);

    assertThat(summary.get("rounds_completed").asInt(), equalTo(2));
    assertThat(summary.get("updates_accepted").asInt(), equalTo(4));
    assertThat(summary.get("silos_timed_out").asInt(), equalTo(2));
    JsonNode round1 = summary.get("rounds").get(0);
    assertThat(round1.get("aggregated").toString(), equalTo("[\"alpha\",\"beta\"]"));
    assertThat(round1.get("attempts").get(0).get("silos").get("gamma").get("status").asText(), equalTo("timed out"));
    // the model improved: the final model's test loss is below the initial model's
    Parameters initial = ModelFormat.decode(Artifacts.read(dir.resolve("orchestrator/run-quorum/models/round-0000.fbm")
        .toString(), "initial"), "initial");
    double initialLoss = new DenseNetwork(World.SPEC).evaluate(initial,
        org.fedbeam.transforms.SiloData.load(dir.resolve("orchestrator/test.fbds").toString(), "test")).logLoss();
    assertThat(summary.get("rounds").get(1).get("test").get("log_loss").asDouble(), lessThan(initialLoss));
    assertThat(world.auditLines("gamma").isEmpty(), equalTo(true));
  }

  @Test
  void withoutAQuorumTheRoundIsRetriedThenTheJobFailsSayingWhy() throws Exception {
    serve("alpha"); // beta and gamma never answer
    Path job = world.job("no-quorum", 1, 2, 2, j -> {});

    Orchestrator.JobFailed e = assertThrows(Orchestrator.JobFailed.class, () -> orchestrate(job));

    assertThat(e.getMessage(), allOf(containsString("round 1 had 1 valid update(s) after 2 attempt(s)"),
        containsString("the quorum is 2"), containsString("beta timed out"), containsString("gamma timed out")));
    // both attempts were sent and alpha answered both
    Exchange alpha = new Exchange(world.exchanges.get("alpha"));
    assertThat(Artifacts.exists(alpha.answer(new Exchange.Slot("no-quorum", 1, 2))), equalTo(true));
    assertThat(Artifacts.exists(dir.resolve("orchestrator/run-no-quorum/models/round-0001.fbm").toString()), equalTo(false));
  }

  @Test
  void invalidAnswersAreRecordedWithTheirReason() throws Exception {
    JobSpec job = JobSpec.read(world.job("bad", 1, 1, 5, j -> {}));
    Orchestrator orchestrator = new Orchestrator(job, options(), System.out);
    byte[] global = World.encode(world.initialModel());
    String sha = Artifacts.sha256Hex(global);
    Exchange.Slot slot = new Exchange.Slot("bad", 1, 1);
    JobSpec.Silo alpha = job.silos().get(0);
    Exchange ex = new Exchange(alpha.exchange());

    // wrong shape
    Parameters other = new DenseNetwork(ModelSpec.of(6, List.of(9), 3)).initialize(1L);
    answer(ex, slot, "alpha", sha, ModelFormat.encode(other), world.siloKeys.get("alpha"));
    assertThat(orchestrator.verify(alpha, ex, slot, nonce(1), world.initialModel(), sha, 0).reason(), containsString("wrong shape"));
    // NaN
    float[] v = new float[World.SPEC.parameterCount()];
    v[3] = Float.NaN;
    answer(ex, slot, "alpha", sha, ModelFormat.encode(Parameters.copyOf(World.SPEC, v)), world.siloKeys.get("alpha"));
    assertThat(orchestrator.verify(alpha, ex, slot, nonce(1), world.initialModel(), sha, 0).reason(), containsString("not finite"));
    // signed by another silo
    answer(ex, slot, "alpha", sha, global, world.siloKeys.get("beta"));
    assertThat(orchestrator.verify(alpha, ex, slot, nonce(1), world.initialModel(), sha, 0).reason(), containsString("not signed by alpha's key"));
    // answering another request
    answer(ex, slot, "alpha", sha, global, world.siloKeys.get("alpha"));
    assertThat(orchestrator.verify(alpha, ex, slot, nonce(2), world.initialModel(), sha, 0).reason(), containsString("answers another request"));
    // truncated and garbage answer files
    byte[] whole = Artifacts.read(ex.answer(slot), "answer");
    Artifacts.writeAtomically(ex.answer(slot), java.util.Arrays.copyOf(whole, whole.length - 20));
    assertThat(orchestrator.verify(alpha, ex, slot, nonce(1), world.initialModel(), sha, 0).reason(), containsString("malformed message"));
    Artifacts.writeAtomically(ex.answer(slot), "%PDF-1.4 garbage".getBytes(StandardCharsets.UTF_8));
    assertThat(orchestrator.verify(alpha, ex, slot, nonce(1), world.initialModel(), sha, 0).reason(), containsString("malformed message"));
    // weights swapped after signing
    answer(ex, slot, "alpha", sha, global, world.siloKeys.get("alpha"));
    Artifacts.writeAtomically(ex.updateWeights(slot), ModelFormat.encode(new DenseNetwork(World.SPEC).initialize(77L)));
    assertThat(orchestrator.verify(alpha, ex, slot, nonce(1), world.initialModel(), sha, 0).reason(),
        containsString("do not match the signed digest"));
    // an update far from the global model, and one claiming an absurd number of samples
    float[] far = new float[World.SPEC.parameterCount()];
    java.util.Arrays.fill(far, 1e4f);
    answer(ex, slot, "alpha", sha, ModelFormat.encode(Parameters.copyOf(World.SPEC, far)), world.siloKeys.get("alpha"));
    assertThat(orchestrator.verify(alpha, ex, slot, nonce(1), world.initialModel(), sha, 0).reason(),
        containsString("further from the global model than the job allows"));
    Messages.UpdateReport greedy = new Messages.UpdateReport("bad", 1, nonce(1), "alpha", sha, Artifacts.sha256Hex(global),
        Map.of("samples", 1e300));
    Artifacts.writeAtomically(ex.updateWeights(slot), global);
    Artifacts.writeAtomically(ex.answer(slot), Signed.seal(Messages.UPDATE, greedy.toJson(), world.siloKeys.get("alpha")));
    assertThat(orchestrator.verify(alpha, ex, slot, nonce(1), world.initialModel(), sha, 0).reason(),
        containsString("samples must be in [1.0, 1.0E12], was 1.0E300"));
    // a refusal that answers another request
    Messages.Refusal stale = new Messages.Refusal("bad", 1, nonce(9), "alpha", sha, "busy");
    Artifacts.writeAtomically(ex.answer(slot), Signed.seal(Messages.REFUSAL, stale.toJson(), world.siloKeys.get("alpha")));
    assertThat(orchestrator.verify(alpha, ex, slot, nonce(1), world.initialModel(), sha, 0).reason(),
        containsString("refusal answers another request"));
    // an oversized answer is refused unread
    Artifacts.writeAtomically(ex.answer(slot), new byte[Signed.MAX_BYTES + 1]);
    assertThat(orchestrator.verify(alpha, ex, slot, nonce(1), world.initialModel(), sha, 0).reason(),
        containsString("larger than any valid one"));
    // and a good one passes
    answer(ex, slot, "alpha", sha, global, world.siloKeys.get("alpha"));
    assertThat(orchestrator.verify(alpha, ex, slot, nonce(1), world.initialModel(), sha, 0).status(), equalTo("accepted"));
  }

  @Test
  void metadataThatCouldCarryExtraBitsIsInvalidWhateverTheSilosGuardSaid() throws Exception {
    JobSpec job = JobSpec.read(world.job("smuggle", 1, 1, 5, j -> {}));
    Orchestrator orchestrator = new Orchestrator(job, options(), System.out);
    byte[] global = World.encode(world.initialModel());
    String sha = Artifacts.sha256Hex(global);
    Exchange.Slot slot = new Exchange.Slot("smuggle", 1, 1);
    JobSpec.Silo alpha = job.silos().get(0);
    Exchange ex = new Exchange(alpha.exchange());
    Map<Map<String, Double>, String> smuggled = Map.of(
        Map.of("samples", 120.0, "train_loss", 0.4999999999871), "train_loss 0.4999999999871 has 13 significant digits",
        Map.of("samples", 120.0, "train_ms", 3.0000001), "train_ms must be an integer",
        Map.of("samples", 120.0, "pixel_17", 0.0), "field 'pixel_17' is not one of",
        Map.of("samples", 119.5), "samples must be an integer, was 119.5");

    for (var attack : smuggled.entrySet()) {
      Messages.UpdateReport report = new Messages.UpdateReport("smuggle", 1, nonce(1), "alpha", sha,
          Artifacts.sha256Hex(global), attack.getKey());
      Artifacts.writeAtomically(ex.updateWeights(slot), global);
      Artifacts.writeAtomically(ex.answer(slot), Signed.seal(Messages.UPDATE, report.toJson(), world.siloKeys.get("alpha")));
      ExchangeRounds.Answer a = orchestrator.verify(alpha, ex, slot, nonce(1), world.initialModel(), sha, 0);
      assertThat(a.status(), equalTo("invalid"));
      assertThat(a.reason(), allOf(containsString("update metadata out of bounds"), containsString(attack.getValue())));
      // nothing was copied for aggregation
      assertThat(Artifacts.exists(dir.resolve("orchestrator/run-smuggle/updates/r0001-a1/alpha.fbm").toString()),
          equalTo(false));
    }
  }

  private static String nonce(int i) {
    return String.format("%032x", i);
  }

  /** Writes an update answer for {@code silo} signed by {@code key}. */
  private static void answer(Exchange ex, Exchange.Slot slot, String silo, String modelSha, byte[] weights,
      Keys.Identity key) {
    Messages.UpdateReport report = new Messages.UpdateReport(slot.jobId(), slot.round(), nonce(1), silo, modelSha,
        Artifacts.sha256Hex(weights), Map.of("samples", 120.0, "train_loss", 0.5, "train_ms", 3.0));
    Artifacts.writeAtomically(ex.updateWeights(slot), weights);
    Artifacts.writeAtomically(ex.answer(slot), Signed.seal(Messages.UPDATE, report.toJson(), key));
  }

  /**
   * Anyone who can write to the exchange plants links for the orchestrator: {@code requests/JOB} of
   * one silo points into the orchestrator's own private folder (so a write through it would land
   * there), and another silo's {@code answers/JOB} points at a folder holding a signed answer. The
   * orchestrator writes through no link (the links are moved aside, the private folder is left as
   * it was) and takes no answer through a link; the silos behind real folders are answered as usual.
   */
  @Test
  void linksPlantedInTheExchangeAreNeverWrittenOrReadThroughByTheOrchestrator() throws Exception {
    Path privateDir = Files.createDirectories(dir.resolve("orchestrator/private-bait"));
    Files.writeString(privateDir.resolve("keep.txt"), "orchestrator's own");
    Path alphaRequests = Path.of(world.exchanges.get("alpha")).resolve("requests");
    Files.createDirectories(alphaRequests);
    Files.createSymbolicLink(alphaRequests.resolve("links"), privateDir);
    Path decoy = Files.createDirectories(dir.resolve("decoy-answers"));
    Path betaAnswers = Path.of(world.exchanges.get("beta")).resolve("answers");
    Files.createDirectories(betaAnswers);
    Files.createSymbolicLink(betaAnswers.resolve("links"), decoy);
    serve("alpha");
    serve("beta");
    serve("gamma");
    Path job = world.job("links", 1, 2, 30, j -> {});

    ObjectNode summary = orchestrate(job);

    // nothing was written into the orchestrator's private folder through alpha's link
    try (var files = Files.list(privateDir)) {
      assertThat(files.map(f -> f.getFileName().toString()).toList(), equalTo(List.of("keep.txt")));
    }
    assertThat(Files.readString(privateDir.resolve("keep.txt")), equalTo("orchestrator's own"));
    assertThat(Files.isSymbolicLink(alphaRequests.resolve("links")), equalTo(false));
    // beta's answers reached through the link were not taken; the decoy folder holds nothing it wrote
    try (var files = Files.list(decoy)) {
      assertThat(files.toList().isEmpty(), equalTo(true));
    }
    assertThat(summary.get("rounds_completed").asInt(), equalTo(1));
    JsonNode silos = summary.get("rounds").get(0).get("attempts").get(0).get("silos");
    assertThat(silos.get("alpha").get("status").asText(), equalTo("accepted"));
    assertThat(silos.get("gamma").get("status").asText(), equalTo("accepted"));
  }

  private ObjectNode orchestrate(Path job) throws Exception {
    OrchestrateOptions options = options();
    options.setJob(job.toString());
    return Orchestrator.run(options, System.out);
  }

  private static OrchestrateOptions options() {
    return PipelineOptionsFactory.fromArgs("--runner=DirectRunner", "--job=unused").as(OrchestrateOptions.class);
  }

  private void serve(String silo) throws Exception {
    world.serve(silo);
  }
}
