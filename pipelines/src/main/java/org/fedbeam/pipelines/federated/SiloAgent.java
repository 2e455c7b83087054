package org.fedbeam.pipelines.federated;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.beam.sdk.Pipeline;
import org.fedbeam.model.ModelFormat;
import org.fedbeam.model.ModelFormatException;
import org.fedbeam.model.Parameters;
import org.fedbeam.pipelines.RoundRecords;
import org.fedbeam.pipelines.Runners;
import org.fedbeam.transforms.Artifacts;
import org.fedbeam.transforms.GuardEgress;

/**
 * The silo agent ({@code fedbeam agent --policy POLICY.json}): a long-running service on the data
 * provider's side. It watches the silo's exchange area and, for each round request it has not
 * answered yet:
 * <ol>
 *   <li>verifies it: signed by a submitter the policy trusts, untampered, addressed to this silo
 *       and this place in the exchange, not a replay (a nonce answered before, or a round older
 *       than one already answered), an approved pipeline that is exactly this build's, an approved
 *       model kind and size, within the job's round limit and its deadline, and a global model
 *       whose SHA-256 is the one signed in the request;</li>
 *   <li>runs the {@link SiloPipeline} on the silo's own Flink, on a private copy of the verified
 *       global model;</li>
 *   <li>publishes what passed the egress guard: the weights, then the signed update (or a signed
 *       refusal that says why without revealing data);</li>
 *   <li>records the decision in the silo's audit log.</li>
 * </ol>
 * Every write is atomic and the signed message is written last, so a crash or SIGTERM leaves no
 * partial answer; requests without an answer are taken up again on restart.
 */
public final class SiloAgent implements AutoCloseable {
  private final SiloPolicy policy;
  private final Keys.Identity identity;
  private final Exchange exchange;
  private final Audit audit;
  private final AgentOptions options;
  private final Runners.Session session;
  private final org.fedbeam.pipelines.RoundRunner rounds;
  private final SiloPipeline.Plan plan;
  private final PrintStream out;
  private volatile boolean stopping;
  private final java.util.Set<String> reportedGone = new java.util.HashSet<>();

  private SiloAgent(SiloPolicy policy, AgentOptions options, PrintStream out) throws Exception {
    if (options.getWarmUpRuns() < 0) {
      throw new IllegalArgumentException("--warmUpRuns must be 0 or more; was " + options.getWarmUpRuns());
    }
    this.policy = policy;
    this.identity = Keys.load(policy.keyDir());
    this.exchange = new Exchange(policy.exchange());
    this.audit = new Audit(Artifacts.resolve(policy.state(), "audit.jsonl"));
    this.options = options;
    // how its jobs are listed in the Flink web UI and REST API
    options.setJobName(SiloPipeline.NAME + "-" + policy.silo());
    this.out = out;
    String master = options.getFlinkMaster();
    List<String> staged = options.getFilesToStage() == null ? List.of() : List.copyOf(options.getFilesToStage());
    boolean cluster = Runners.isStandaloneCluster(master);
    if (cluster) {
      // jars uploaded with every job are loaded before the cluster's own classes: each must hold this silo pipeline
      for (String jar : staged) {
        checkJar(java.nio.file.Path.of(jar), "--filesToStage jar " + jar);
      }
    }
    this.session = Runners.prepare(options, policy.state(), options.getWebUiPort(), options.getWebUi(), out);
    if (cluster && staged.isEmpty()) {
      try {
        checkClusterRunsThisPipeline(session.rest());
      } catch (RuntimeException e) {
        session.close();
        throw e;
      }
    }
    // the same pipeline every round (it reads the round from its descriptor): translated once on an embedded cluster
    this.rounds = session.roundRunner();
    this.plan = new SiloPipeline.Plan(policy.silo(), policy.data(), new GuardEgress.Limits(policy.allowedMetadata(),
        policy.minSamples(), policy.maxUpdateNorm()), Artifacts.resolve(policy.state(), "current-round.json"));
  }

  /**
   * On a standalone cluster the silo pipeline runs from the job jar on the cluster's class path, not
   * from this process's classes: the agent refuses to start unless that jar's silo pipeline has the
   * digest this agent approves requests for. The jar is found on the JobManager's class path through
   * the REST API and read here, so the cluster must run on a file system this agent can read (this
   * machine; in containers, the same image). The REST call presents the cluster's client certificate.
   */
  private void checkClusterRunsThisPipeline(org.fedbeam.pipelines.cluster.FlinkRest rest) {
    String restUrl = rest.restUrl();
    JsonNode environment = rest.get("/jobmanager/environment")
        .orElseThrow(() -> new IllegalStateException("the silo's Flink cluster at " + restUrl
            + " does not answer /jobmanager/environment: cannot check which silo pipeline it runs"));
    List<String> jars = new ArrayList<>();
    environment.path("classpath").forEach(c -> {
      String entry = c.asText();
      if (entry.matches(".*fedbeam[^/]*\\.jar")) {
        jars.add(entry);
      }
    });
    if (jars.isEmpty()) {
      throw new IllegalStateException("the silo's Flink cluster at " + restUrl + " has no FedBeam job jar on its class"
          + " path; start it with 'fedbeam cluster up'");
    }
    for (String jar : jars) {
      checkJar(java.nio.file.Path.of(jar), "the silo's Flink cluster at " + restUrl + " (" + jar + ")");
    }
    out.printf("%s: the cluster at %s runs this silo pipeline (sha256 %s, from %s)%n", policy.silo(), restUrl,
        SiloPipeline.definitionSha256(), String.join(", ", jars));
  }

  /** Fails unless the jar holds the silo pipeline this agent approves requests for. */
  private static void checkJar(java.nio.file.Path jar, String what) {
    String digest;
    try {
      digest = SiloPipeline.definitionSha256In(jar);
    } catch (IllegalStateException e) {
      throw new IllegalStateException(what + ": cannot check which silo pipeline it holds: " + e.getMessage(), e);
    }
    if (!digest.equals(SiloPipeline.definitionSha256())) {
      throw new IllegalStateException(what + " runs another silo pipeline (sha256 " + digest + ") than this agent"
          + " approves requests for (sha256 " + SiloPipeline.definitionSha256() + "); run it from this build (for a"
          + " cluster: fedbeam cluster down, then up)");
    }
  }

  /** Starts an agent for the policy the options name (its key pair is loaded and checked now). */
  public static SiloAgent start(AgentOptions options, PrintStream out) throws Exception {
    SiloPolicy policy = SiloPolicy.read(java.nio.file.Path.of(options.getPolicy()));
    return new SiloAgent(policy, options, out);
  }

  /** {@code fedbeam agent}: serves until SIGTERM (or, with {@code --once}, answers what is waiting). */
  public static void run(AgentOptions options, PrintStream out) throws Exception {
    try (SiloAgent agent = start(options, out)) {
      out.printf("silo agent %s (pid %d, key %s): watching %s, policy %s%n", agent.policy.silo(),
          ProcessHandle.current().pid(), agent.identity.keyId(), agent.policy.exchange(), options.getPolicy());
      out.println("pipeline " + SiloPipeline.NAME + " " + SiloPipeline.VERSION + " sha256 " + SiloPipeline.definitionSha256());
      out.flush();
      if (options.getOnce()) {
        agent.answerPending();
        return;
      }
      agent.warmUp();
      CountDownLatch stopped = new CountDownLatch(1);
      Thread hook = new Thread(() -> {
        agent.stopping = true;
        try {
          stopped.await(120, TimeUnit.SECONDS); // let the request in hand finish and publish (or not) atomically
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }, "fedbeam-agent-stop");
      Runtime.getRuntime().addShutdownHook(hook);
      try {
        agent.serve();
      } finally {
        out.println("silo agent " + agent.policy.silo() + " stopped");
        out.flush();
        stopped.countDown();
      }
    }
  }

  /**
   * Translates the silo pipeline and runs it {@code --warmUpRuns} times on scratch rounds in private
   * state (small models of each kind the policy approves, trained on the silo's own shard), so
   * that requests do not pay for the translation and a cold JVM: the JIT compiler's work in the
   * first rounds otherwise slows every party on a shared machine. Nothing is published and the
   * scratch output is deleted; if it fails, the first request translates the pipeline instead.
   */
  void warmUp() {
    if (options.getWarmUpRuns() == 0) {
      return;
    }
    long start = System.nanoTime();
    String scratch = Artifacts.resolve(policy.state(), "warm-up");
    int runs = 0;
    try {
      org.fedbeam.data.Dataset shard = org.fedbeam.transforms.SiloData.load(policy.data(), "silo " + policy.silo());
      String global = Artifacts.resolve(scratch, "global.fbm");
      for (org.fedbeam.model.ModelSpec spec : warmUpSpecs(shard)) {
        Artifacts.writeAtomically(global, ModelFormat.encode(new org.fedbeam.model.DenseNetwork(spec).initialize(runs)));
        new SiloPipeline.SiloRound(1, runs, global, scratch, spec, new org.fedbeam.model.TrainConfig(1, 64, 0.01, 0, 0))
            .write(plan.roundUri());
        rounds.run(0, () -> {
          Pipeline p = Pipeline.create(options);
          SiloPipeline.build(p, plan);
          return p;
        });
        runs++;
      }
      out.printf("%s: silo pipeline translated and run %d times on private scratch rounds in %.1f s (nothing published)%n",
          policy.silo(), runs, (System.nanoTime() - start) / 1e9);
    } catch (RuntimeException e) {
      out.printf("%s: warm-up failed after %d run(s) (%s); the first requests will %s%n", policy.silo(), runs,
          org.fedbeam.pipelines.FedBeam.messages(e), runs == 0 ? "translate the pipeline" : "run on a colder JVM");
    } finally {
      List<String> scratchFiles = new ArrayList<>(SiloPipeline.STAGED_FILES);
      scratchFiles.add("global.fbm");
      for (String name : scratchFiles) {
        try {
          Artifacts.deleteIfExists(Artifacts.resolve(scratch, name));
        } catch (RuntimeException e) {
          // scratch only: left for the next start to overwrite
        }
      }
      out.flush();
    }
  }

  /**
   * The scratch models of the warm-up: small models of every kind the policy approves (a hidden
   * layer of 16 for an MLP), in turn, {@code --warmUpRuns} in all.
   */
  private List<org.fedbeam.model.ModelSpec> warmUpSpecs(org.fedbeam.data.Dataset shard) {
    int classes = Math.max(2, shard.classes());
    List<org.fedbeam.model.ModelSpec> kinds = new ArrayList<>();
    for (org.fedbeam.model.ModelKind kind : new java.util.TreeSet<>(policy.approvedModels())) {
      kinds.add(new org.fedbeam.model.ModelSpec(kind, kind == org.fedbeam.model.ModelKind.MLP
          ? List.of(shard.featureCount(), 16, classes) : List.of(shard.featureCount(), classes)));
    }
    List<org.fedbeam.model.ModelSpec> specs = new ArrayList<>();
    for (int i = 0; i < options.getWarmUpRuns() && !kinds.isEmpty(); i++) {
      specs.add(kinds.get(i % kinds.size()));
    }
    return specs;
  }

  /** Answers pending requests until asked to stop. */
  void serve() throws InterruptedException {
    while (!stopping) {
      answerPending();
      for (long waited = 0; waited < policy.pollMillis() && !stopping; waited += 50) {
        Thread.sleep(50);
      }
    }
  }

  /** One pass over the exchange: answers every request that has no answer yet; returns how many. */
  public int answerPending() {
    List<String> requests;
    try {
      requests = new ArrayList<>(RoundRecords.list(exchange.requestGlob()));
    } catch (RuntimeException e) {
      // the exchange cannot be listed just now (storage down?): tried again on the next pass
      out.printf("%s: cannot list the exchange %s: %s%n", policy.silo(), policy.exchange(),
          org.fedbeam.pipelines.FedBeam.messages(e));
      out.flush();
      return 0;
    }
    Collections.sort(requests);
    int answered = 0;
    for (String uri : requests) {
      if (stopping) {
        break;
      }
      Exchange.Slot slot = Exchange.slotOf(uri);
      if (slot == null || Artifacts.exists(exchange.answer(slot))) {
        continue;
      }
      if (JobState.read(policy.state(), slot.jobId()).answered().contains(place(slot))) {
        // answered before, and the answer has gone from the exchange: not trained again on request
        if (reportedGone.add(place(slot))) {
          out.printf("%s: the answer to %s is no longer in the exchange; it is not trained again%n", policy.silo(),
              place(slot));
          out.flush();
        }
        continue;
      }
      try {
        answer(uri, slot);
        answered++;
      } catch (RuntimeException e) {
        // could not even write the refusal (the exchange is unreachable?): tried again on the next pass
        out.printf("%s: cannot answer %s: %s%n", policy.silo(), uri, org.fedbeam.pipelines.FedBeam.messages(e));
        out.flush();
      }
    }
    return answered;
  }

  private void answer(String requestUri, Exchange.Slot slot) {
    Messages.RoundRequest request = null;
    ObjectNode event = event(slot);
    try {
      byte[] bytes = Exchange.readAtMost(requestUri, "round request", Signed.MAX_BYTES);
      Signed.Opened opened = Signed.open(bytes, Set.of(Messages.REQUEST), policy.trustedSubmitters());
      event.put("submitter", policy.submitterNames().get(opened.signer()));
      request = Messages.RoundRequest.fromJson(opened.body());
      checkRequest(request, slot);
      JobState state = JobState.read(policy.state(), slot.jobId());
      checkReplay(request, state, place(slot));
      Parameters global = verifiedGlobalModel(request, slot);
      state.started(request.nonce(), place(slot), request.round());
      state.write(policy.state(), slot.jobId());
      event.put("decision", "accepted");
      audit.record(event.deepCopy());
      out.printf("%s: round %d attempt %d of job %s accepted, training%n", policy.silo(), slot.round(), slot.attempt(),
          slot.jobId());
      out.flush();
      Staged staged = runPipeline(request, slot, global);
      // recorded before anything leaves, so a crash while publishing still leaves a line for it
      ObjectNode publishing = event.deepCopy();
      publishing.put("decision", "publishing update");
      publishing.put("update_sha256", staged.sha256);
      audit.record(publishing);
      publishUpdate(request, slot, staged);
      event.put("decision", "update sent");
      event.put("update_sha256", staged.sha256);
      event.set("metadata", staged.metadata);
      audit.record(event);
      out.printf("%s: round %d attempt %d of job %s: update sent (%s samples)%n", policy.silo(), slot.round(),
          slot.attempt(), slot.jobId(), staged.metadata.path("samples").asText());
      out.flush();
    } catch (Rejected e) {
      refuse(slot, request, e, event);
    } catch (RuntimeException e) {
      // anything unexpected still gets an answer, and the agent goes on with the next request
      refuse(slot, request, new Rejected("the silo could not process the request",
          org.fedbeam.pipelines.FedBeam.messages(e)), event);
    }
  }

  private void checkRequest(Messages.RoundRequest r, Exchange.Slot slot) throws Rejected {
    if (!r.jobId().equals(slot.jobId()) || r.round() != slot.round() || r.attempt() != slot.attempt()) {
      throw new Rejected("the request does not match its place in the exchange",
          "body says job " + r.jobId() + " round " + r.round() + " attempt " + r.attempt());
    }
    if (!r.silo().equals(policy.silo())) {
      throw new Rejected("the request is addressed to another silo", "addressed to " + r.silo());
    }
    if (r.attempt() > policy.maxAttemptsPerRound()) {
      throw new Rejected("the request is a retry beyond what the policy allows",
          "attempt " + r.attempt() + " > max_attempts_per_round " + policy.maxAttemptsPerRound());
    }
    if (r.config().epochs() > policy.maxEpochs() || r.config().batchSize() < policy.minBatchSize()) {
      throw new Rejected("the training settings are outside the policy",
          r.config().epochs() + " epochs (max " + policy.maxEpochs() + "), batch " + r.config().batchSize() + " (min "
              + policy.minBatchSize() + ")");
    }
    if (r.deadlineMillis() - System.currentTimeMillis() > policy.maxDeadlineSeconds() * 1000) {
      throw new Rejected("the request's deadline is further ahead than the policy allows",
          "deadline " + java.time.Instant.ofEpochMilli(r.deadlineMillis()));
    }
    if (r.round() > policy.maxRoundsPerJob()) {
      throw new Rejected("the job asks for more rounds than the policy allows",
          "round " + r.round() + " > max_rounds_per_job " + policy.maxRoundsPerJob());
    }
    if (!policy.approvedPipelines().contains(r.pipeline())) {
      throw new Rejected("the pipeline is not approved by this silo's policy",
          r.pipeline().name() + " " + r.pipeline().version() + " " + r.pipeline().sha256());
    }
    if (!r.pipeline().equals(SiloPipeline.REF)) {
      throw new Rejected("the approved pipeline is not the one this silo runs",
          "this silo runs " + SiloPipeline.REF);
    }
    if (!policy.approvedModels().contains(r.spec().kind())) {
      throw new Rejected("the model kind is not approved by this silo's policy", r.spec().describe());
    }
    if (r.spec().parameterCount() > policy.maxParameters()) {
      throw new Rejected("the model is larger than this silo's policy allows",
          r.spec().parameterCount() + " parameters > " + policy.maxParameters());
    }
    if (System.currentTimeMillis() > r.deadlineMillis()) {
      throw new Rejected("the request's deadline has passed", "deadline " + java.time.Instant.ofEpochMilli(r.deadlineMillis()));
    }
  }

  /** Where a request sits, as the job state records it: independent of how the exchange's URI is spelled. */
  private static String place(Exchange.Slot slot) {
    return String.format("%s/r%04d-a%d", slot.jobId(), slot.round(), slot.attempt());
  }

  private static void checkReplay(Messages.RoundRequest r, JobState state, String place) throws Rejected {
    String seenAt = state.nonces().get(r.nonce());
    if (seenAt != null && !seenAt.equals(place)) {
      throw new Rejected("replayed request: its nonce was used before", "first seen at " + seenAt);
    }
    if (r.round() < state.lastRound()) {
      throw new Rejected("replayed request: a later round was already answered",
          "round " + r.round() + " < " + state.lastRound());
    }
  }

  private Parameters verifiedGlobalModel(Messages.RoundRequest r, Exchange.Slot slot) throws Rejected {
    String uri = exchange.globalModel(slot);
    byte[] bytes = Exchange.readAtMost(uri, "global model", Exchange.modelFileLimit(r.spec()));
    if (!Messages.sha256Hex(bytes).equals(r.modelSha256())) {
      throw new Rejected("the global model does not match the digest signed in the request", uri);
    }
    Parameters global;
    try {
      global = ModelFormat.decode(bytes, uri);
    } catch (ModelFormatException e) {
      throw new Rejected("the global model file is corrupt", e.getMessage());
    }
    if (!global.spec().equals(r.spec())) {
      throw new Rejected("the global model's shape is not the requested model's", global.spec().describe());
    }
    return global;
  }

  private record Staged(byte[] weights, String sha256, ObjectNode metadata) {}

  private Staged runPipeline(Messages.RoundRequest r, Exchange.Slot slot, Parameters global) throws Rejected {
    String staging = Artifacts.resolve(Artifacts.resolve(Artifacts.resolve(policy.state(), "jobs"), slot.jobId()),
        String.format("r%04d-a%d", slot.round(), slot.attempt()));
    for (String name : SiloPipeline.STAGED_FILES) {
      Artifacts.deleteIfExists(Artifacts.resolve(staging, name)); // a run cut short before a restart
    }
    String globalCopy = Artifacts.resolve(staging, "global.fbm");
    Artifacts.writeAtomically(globalCopy, ModelFormat.encode(global));
    new SiloPipeline.SiloRound(r.round(), r.seed(), globalCopy, staging, r.spec(), r.config()).write(plan.roundUri());
    try {
      rounds.run(r.round(), () -> {
        Pipeline p = Pipeline.create(options);
        SiloPipeline.build(p, plan);
        return p;
      });
    } catch (RuntimeException e) {
      throw new Rejected("the silo pipeline failed", org.fedbeam.pipelines.FedBeam.messages(e));
    }
    String refusal = Artifacts.resolve(staging, SiloPipeline.REFUSAL_FILE);
    if (Artifacts.exists(refusal)) {
      throw new Rejected("the egress guard stopped the update: "
          + new String(Artifacts.read(refusal, "guard refusal"), StandardCharsets.UTF_8));
    }
    String metadataUri = Artifacts.resolve(staging, SiloPipeline.METADATA_FILE);
    if (!Artifacts.exists(metadataUri)) {
      throw new Rejected("the silo pipeline produced no update", "nothing staged in " + staging);
    }
    byte[] weights = Artifacts.read(Artifacts.resolve(staging, SiloPipeline.UPDATE_FILE), "staged update");
    JsonNode metadata;
    try {
      metadata = Signed.JSON.readTree(Artifacts.read(metadataUri, "staged metadata"));
    } catch (java.io.IOException e) {
      throw new Rejected("the silo pipeline produced no update", "staged metadata unreadable");
    }
    return new Staged(weights, Messages.sha256Hex(weights), (ObjectNode) metadata);
  }

  private void publishUpdate(Messages.RoundRequest r, Exchange.Slot slot, Staged staged) {
    java.util.Map<String, Double> metadata = new java.util.LinkedHashMap<>();
    staged.metadata.fields().forEachRemaining(f -> metadata.put(f.getKey(), f.getValue().asDouble()));
    Messages.UpdateReport report = new Messages.UpdateReport(r.jobId(), r.round(), r.nonce(), policy.silo(),
        r.modelSha256(), staged.sha256, metadata);
    Artifacts.writeAtomically(exchange.updateWeights(slot), staged.weights);
    Artifacts.writeAtomically(exchange.answer(slot), Signed.seal(Messages.UPDATE, report.toJson(), identity));
    finish(slot, r);
  }

  private void refuse(Exchange.Slot slot, Messages.RoundRequest request, Rejected e, ObjectNode event) {
    Messages.Refusal refusal = new Messages.Refusal(slot.jobId(), slot.round(), request == null ? "" : request.nonce(),
        policy.silo(), request == null ? "" : request.modelSha256(), e.reason());
    // weights published before a crash, for a request now refused, must not stay next to the refusal
    Artifacts.deleteIfExists(exchange.updateWeights(slot));
    Artifacts.writeAtomically(exchange.answer(slot), Signed.seal(Messages.REFUSAL, refusal.toJson(), identity));
    if (request != null) {
      finish(slot, request);
    }
    event.put("decision", "refused");
    event.put("reason", e.reason());
    event.put("detail", e.getMessage());
    audit.record(event);
    out.printf("%s: round %d attempt %d of job %s refused: %s%n", policy.silo(), slot.round(), slot.attempt(),
        slot.jobId(), e.getMessage());
    out.flush();
  }

  /** Records the request as answered (only for authentic requests addressed here, so a forgery cannot block a round). */
  private void finish(Exchange.Slot slot, Messages.RoundRequest r) {
    if (!r.jobId().equals(slot.jobId()) || !r.silo().equals(policy.silo())) {
      return;
    }
    JobState state = JobState.read(policy.state(), slot.jobId());
    state.started(r.nonce(), place(slot), r.round());
    state.answered().add(place(slot));
    state.write(policy.state(), slot.jobId());
  }

  private ObjectNode event(Exchange.Slot slot) {
    ObjectNode e = Signed.JSON.createObjectNode();
    e.put("silo", policy.silo());
    e.put("job_id", slot.jobId());
    e.put("round", slot.round());
    e.put("attempt", slot.attempt());
    return e;
  }

  /** The audit log's location. */
  public String auditLog() {
    return audit.uri();
  }

  public SiloPolicy policy() {
    return policy;
  }

  /** Asks a running {@link #serve()} to stop after the request in hand. */
  public void stop() {
    stopping = true;
  }

  @Override
  public void close() throws Exception {
    session.close();
  }

  /** What the agent remembers of a job: the nonces it took up (and where), and the latest round. */
  record JobState(java.util.Map<String, String> nonces, java.util.Set<String> answered, int[] last) {
    int lastRound() {
      return last[0];
    }

    void started(String nonce, String requestUri, int round) {
      nonces.put(nonce, requestUri);
      last[0] = Math.max(last[0], round);
    }

    static JobState read(String stateDir, String jobId) {
      String uri = uri(stateDir, jobId);
      java.util.Map<String, String> nonces = new java.util.TreeMap<>();
      java.util.Set<String> answered = new java.util.TreeSet<>();
      int last = 0;
      if (Artifacts.exists(uri)) {
        JsonNode n = RoundRecords.readJson(uri, "job state");
        last = n.path("last_round").asInt();
        n.path("nonces").fields().forEachRemaining(f -> nonces.put(f.getKey(), f.getValue().asText()));
        n.path("answered").forEach(a -> answered.add(a.asText()));
      }
      return new JobState(nonces, answered, new int[] {last});
    }

    void write(String stateDir, String jobId) {
      ObjectNode n = Signed.JSON.createObjectNode();
      n.put("last_round", last[0]);
      ObjectNode ns = n.putObject("nonces");
      nonces.forEach(ns::put);
      ArrayNode done = n.putArray("answered");
      answered.forEach(done::add);
      RoundRecords.write(uri(stateDir, jobId), n);
    }

    private static String uri(String stateDir, String jobId) {
      return Artifacts.resolve(Artifacts.resolve(Artifacts.resolve(stateDir, "jobs"), jobId), "state.json");
    }
  }
}
