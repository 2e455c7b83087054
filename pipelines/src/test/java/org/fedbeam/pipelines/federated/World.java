package org.fedbeam.pipelines.federated;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.fedbeam.model.DenseNetwork;
import org.fedbeam.model.ModelFormat;
import org.fedbeam.model.ModelSpec;
import org.fedbeam.model.Parameters;
import org.fedbeam.pipelines.Fixtures;
import org.fedbeam.pipelines.protocol.Exchange;
import org.fedbeam.pipelines.protocol.Keys;
import org.fedbeam.pipelines.protocol.Messages;
import org.fedbeam.pipelines.protocol.RefusalReason;
import org.fedbeam.pipelines.protocol.Rejected;
import org.fedbeam.pipelines.protocol.Signed;
import org.fedbeam.pipelines.rounds.RoundRecords;
import org.fedbeam.pipelines.rounds.SiloPipeline;
import org.fedbeam.transforms.Artifacts;

/**
 * A federated set-up in a temporary folder, for tests: an orchestrator key, silos with their own
 * key, private shard, state folder, policy and exchange area, and a job file. Agents and the
 * orchestrator run on the DirectRunner in the test's JVM.
 */
final class World {
  static final ModelSpec SPEC = Fixtures.SPEC;
  final Path dir;
  final Keys.Identity submitter;
  final Map<String, Keys.Identity> siloKeys = new LinkedHashMap<>();
  final Map<String, Path> policies = new LinkedHashMap<>();
  final Map<String, String> exchanges = new LinkedHashMap<>();
  final Map<String, String> data = new LinkedHashMap<>();
  final List<SiloAgent> agents = new ArrayList<>();
  private final List<Thread> serving = new ArrayList<>();

  World(Path dir, List<String> silos) throws IOException {
    this.dir = dir;
    this.submitter = Keys.create(dir.resolve("orchestrator/key"));
    long seed = 300;
    for (String silo : silos) {
      Path siloDir = dir.resolve("private").resolve(silo);
      siloKeys.put(silo, Keys.create(siloDir.resolve("key")));
      String shard = siloDir.resolve("train.fbds").toString();
      Artifacts.writeAtomically(shard, org.fedbeam.data.DatasetFormat.encode(Fixtures.blobs(silo, 120, seed++)));
      data.put(silo, shard);
      exchanges.put(silo, dir.resolve("exchange").resolve(silo).toString());
      policies.put(silo, writePolicy(silo, policy(silo)));
    }
  }

  /**
   * The default policy of a silo, to adjust before {@link #writePolicy}: it opts out of DP
   * ({@code "differential_privacy": {"required": false}}) and allows {@link Fixtures#CONFIG}'s batch of 8.
   */
  ObjectNode policy(String silo) {
    Path siloDir = dir.resolve("private").resolve(silo);
    ObjectNode p = Signed.JSON.createObjectNode();
    p.put("silo", silo);
    p.put("data", data.get(silo));
    p.put("exchange", exchanges.get(silo));
    p.put("state", siloDir.resolve("state").toString());
    p.put("key", siloDir.resolve("key").toString());
    p.putArray("trusted_submitters").addObject().put("name", "tester").put("public_key", submitter.publicKeyBase64());
    p.putArray("approved_pipelines").addObject().put("name", SiloPipeline.NAME).put("version", SiloPipeline.VERSION)
        .put("sha256", SiloPipeline.definitionSha256());
    p.putArray("approved_models").add("mlp").add("logreg");
    p.put("max_parameters", 100_000);
    p.put("min_samples", 10);
    p.put("max_rounds_per_job", 20);
    p.putArray("allowed_metadata").add("samples").add("train_loss").add("train_ms");
    p.put("max_update_norm", 1000.0);
    p.put("poll_ms", 50);
    p.put("min_batch_size", 8); // Fixtures.CONFIG's batch: below the default minimum of 16
    // the tests that train without DP say so, as a provider must: DP is required when the policy is silent
    p.putObject("differential_privacy").put("required", false);
    return p;
  }

  Path writePolicy(String silo, ObjectNode policy) throws IOException {
    Path file = dir.resolve("private").resolve(silo).resolve("policy.json");
    Files.createDirectories(file.getParent());
    Files.write(file, RoundRecords.JSON.writeValueAsBytes(policy));
    policies.put(silo, file);
    return file;
  }

  SiloAgent agent(String silo) throws Exception {
    return agent(silo, System.out);
  }

  /** An agent for {@code silo} that prints to {@code out}, with extra command-line flags. */
  SiloAgent agent(String silo, java.io.PrintStream out, String... flags) throws Exception {
    List<String> args = new java.util.ArrayList<>(List.of("--runner=DirectRunner", "--policy=" + policies.get(silo)));
    args.addAll(List.of(flags));
    AgentOptions options = PipelineOptionsFactory.fromArgs(args.toArray(String[]::new)).as(AgentOptions.class);
    SiloAgent agent = SiloAgent.start(options, out);
    agents.add(agent);
    return agent;
  }

  Parameters initialModel() {
    return new DenseNetwork(SPEC).initialize(5L);
  }

  /** Publishes a request in {@code silo}'s exchange as the orchestrator would; returns it. */
  Messages.RoundRequest publish(String silo, String job, int round, int attempt, Keys.Identity signer, byte[] global) {
    Messages.RoundRequest r = request(silo, job, round, attempt, Artifacts.sha256Hex(global));
    publish(silo, r, signer, global);
    return r;
  }

  Messages.RoundRequest request(String silo, String job, int round, int attempt, String modelSha) {
    return new Messages.RoundRequest(job, round, attempt, Messages.newNonce(), silo, SiloPipeline.REF, SPEC, modelSha,
        Fixtures.CONFIG, 11L + round, System.currentTimeMillis() + 60_000);
  }

  void publish(String silo, Messages.RoundRequest r, Keys.Identity signer, byte[] global) {
    Exchange ex = new Exchange(exchanges.get(silo));
    Exchange.Slot slot = new Exchange.Slot(r.jobId(), r.round(), r.attempt());
    Artifacts.writeAtomically(ex.globalModel(slot), global);
    Artifacts.writeAtomically(ex.request(slot), Signed.seal(Messages.REQUEST, r.toJson(), signer));
  }

  /** The silo's answer to a slot, opened with the silo's key. */
  Signed.Opened answer(String silo, String job, int round, int attempt) throws Rejected {
    Exchange ex = new Exchange(exchanges.get(silo));
    byte[] bytes = Artifacts.read(ex.answer(new Exchange.Slot(job, round, attempt)), "answer");
    Keys.Identity key = siloKeys.get(silo);
    return Signed.open(bytes, java.util.Set.of(Messages.UPDATE, Messages.REFUSAL), Map.of(key.keyId(), key.publicKey()));
  }

  List<String> auditLines(String silo) throws IOException {
    Path audit = dir.resolve("private").resolve(silo).resolve("state/audit.jsonl");
    return Files.exists(audit) ? Files.readAllLines(audit) : List.of();
  }

  /** A job file for these silos; {@code adjust} may change it before it is written. */
  Path job(String jobId, int rounds, int minSilos, double timeoutSeconds, java.util.function.Consumer<ObjectNode> adjust)
      throws IOException {
    ObjectNode job = Signed.JSON.createObjectNode();
    job.put("job_id", jobId);
    job.put("submitter_key", dir.resolve("orchestrator/key").toString());
    job.put("output", dir.resolve("orchestrator/run-" + jobId).toString());
    ObjectNode model = job.putObject("model");
    model.put("kind", "mlp");
    ArrayNode layers = model.putArray("layers");
    SPEC.layers().forEach(layers::add);
    job.putObject("train").put("epochs", Fixtures.CONFIG.epochs()).put("batch_size", Fixtures.CONFIG.batchSize())
        .put("learning_rate", Fixtures.CONFIG.learningRate()).put("momentum", Fixtures.CONFIG.momentum())
        .put("weight_decay", Fixtures.CONFIG.weightDecay());
    job.put("rounds", rounds);
    job.put("min_silos", minSilos);
    job.put("round_timeout_s", timeoutSeconds);
    job.put("grace_s", 0.2);
    job.put("max_attempts", 2);
    job.put("seed", 5);
    ArrayNode silos = job.putArray("silos");
    siloKeys.forEach((silo, key) -> silos.addObject().put("id", silo).put("exchange", exchanges.get(silo))
        .put("public_key", key.publicKeyBase64()));
    job.putObject("evaluation").put("test", Fixtures.writeEval(dir, "test", 90));
    adjust.accept(job);
    Path file = dir.resolve("orchestrator/job-" + jobId + ".json");
    Files.write(file, RoundRecords.JSON.writeValueAsBytes(job));
    return file;
  }

  static byte[] encode(Parameters p) {
    return ModelFormat.encode(p);
  }

  // ---- helpers for the exchange, audit and key-lifecycle tests (issue 10 parts 6 and 7) ----

  /** The silo's private folder (key, shard, state, policy). */
  Path privateDir(String silo) {
    return dir.resolve("private").resolve(silo);
  }

  /**
   * Publishes a request whose deadline has just passed: a trusted signer's gets a signed
   * EXPIRED refusal without training, an untrusted one's is moved aside; so it shows cheaply
   * whether the agent trusts {@code signer} now.
   */
  Messages.RoundRequest publishExpired(String silo, String job, int round, int attempt, Keys.Identity signer,
      byte[] global) {
    Messages.RoundRequest r = request(silo, job, round, attempt, Artifacts.sha256Hex(global));
    Messages.RoundRequest expired = new Messages.RoundRequest(r.jobId(), r.round(), r.attempt(), r.nonce(), r.silo(),
        r.pipeline(), r.spec(), r.modelSha256(), r.config(), r.seed(), System.currentTimeMillis() - 1);
    publish(silo, expired, signer, global);
    return expired;
  }

  /**
   * Every refusal in every silo's answers/ folder carries one of the fixed {@link RefusalReason}
   * texts and nothing else; returns how many refusals were checked.
   */
  int assertEveryRefusalReasonIsFixed() throws IOException {
    java.util.Set<String> fixed = new java.util.HashSet<>();
    for (RefusalReason r : RefusalReason.values()) {
      fixed.add(r.text());
    }
    int checked = 0;
    for (String exchange : exchanges.values()) {
      Path answers = Path.of(exchange).resolve("answers");
      if (!Files.isDirectory(answers, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
        continue;
      }
      List<Path> files;
      try (var walk = Files.walk(answers)) {
        files = walk.filter(f -> f.toString().endsWith(".json") && Files.isRegularFile(f,
            java.nio.file.LinkOption.NOFOLLOW_LINKS)).toList();
      }
      for (Path f : files) {
        com.fasterxml.jackson.databind.JsonNode envelope = Signed.JSON.readTree(Files.readAllBytes(f));
        if (!Messages.REFUSAL.equals(envelope.path("type").asText())) {
          continue;
        }
        com.fasterxml.jackson.databind.JsonNode body = Signed.JSON.readTree(
            java.util.Base64.getDecoder().decode(envelope.path("body").asText()));
        String reason = body.path("reason").asText();
        if (!fixed.contains(reason)) {
          throw new AssertionError(f + " carries a refusal reason outside RefusalReason: " + reason);
        }
        checked++;
      }
    }
    return checked;
  }

  /** Runs silo {@code silo}'s agent in a thread of its own until {@link #close()}. */
  void serve(String silo) throws Exception {
    SiloAgent agent = agent(silo);
    Thread t = new Thread(() -> {
      try {
        agent.serve();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }, "agent-" + silo);
    t.setDaemon(true);
    t.start();
    serving.add(t);
  }

  /** Stops every agent, waits for the serving threads, then closes the agents. */
  void close() throws Exception {
    agents.forEach(SiloAgent::stop);
    for (Thread t : serving) {
      t.join(30_000);
    }
    for (SiloAgent a : agents) {
      a.close();
    }
  }
}
