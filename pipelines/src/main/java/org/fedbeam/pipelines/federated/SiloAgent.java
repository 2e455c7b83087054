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
  // re-read every poll when their files change (PolicyWatch): the policy, its revocation list, the key
  private volatile SiloPolicy policy;
  private volatile Keys.Identity identity;
  private final Exchange exchange;
  private final Audit audit;
  private final AgentOptions options;
  private final Runners.Session session;
  private final org.fedbeam.pipelines.RoundRunner rounds;
  private volatile SiloPipeline.Plan plan;
  private final PolicyWatch watch;
  private final long shardSamples;
  private final java.util.concurrent.atomic.AtomicLong movedAside = new java.util.concurrent.atomic.AtomicLong();
  private final PrintStream out;
  private volatile boolean stopping;
  private final java.util.Set<String> reportedGone = new java.util.HashSet<>();
  /** The silo's own secret: the seed of every training is drawn from it, not taken from the request. */
  private final byte[] secret;
  private final PrivacyLedger ledger;
  private final DailyQuota quota;

  private SiloAgent(SiloPolicy policy, AgentOptions options, PrintStream out) throws Exception {
    if (options.getWarmUpRuns() < 0) {
      throw new IllegalArgumentException("--warmUpRuns must be 0 or more; was " + options.getWarmUpRuns());
    }
    this.policy = policy;
    this.identity = Keys.load(policy.keyDir());
    this.secret = Keys.siloSecret(policy.keyDir());
    ownerOnly(policy.keyDir());
    ownerOnly(Artifacts.localPath(policy.state()));
    this.ledger = new PrivacyLedger(policy.state());
    this.quota = new DailyQuota(policy.state(), java.time.Clock.systemUTC());
    this.exchange = new Exchange(policy.exchange());
    this.audit = new Audit(Artifacts.resolve(policy.state(), "audit.jsonl"), policy.state(), policy.auditRotateBytes());
    this.watch = new PolicyWatch(java.nio.file.Path.of(options.getPolicy()), policy);
    // the declared sample count caps what an update may report; without one, the shard's own count
    this.shardSamples = policy.declaredSamples() > 0 ? 0
        : org.fedbeam.transforms.SiloData.load(policy.data(), "silo " + policy.silo()).size();
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
    this.plan = plan(policy);
  }

  /**
   * Makes a private folder of the silo (made if missing) readable by its owner only: the state holds
   * each round's seed, the ledger, the audit log's details and staged updates; the key folder, the
   * signing key and the secret. Nothing for a file system without POSIX modes, or not local.
   */
  private static void ownerOnly(java.nio.file.Path folder) throws java.io.IOException {
    if (folder == null) {
      return;
    }
    java.nio.file.Files.createDirectories(folder);
    try {
      java.nio.file.Files.setPosixFilePermissions(folder,
          java.nio.file.attribute.PosixFilePermissions.fromString("rwx------"));
    } catch (UnsupportedOperationException e) {
      // not a POSIX file system: its own access control applies
    }
  }

  /** The silo pipeline's plan under {@code p}: its guard's limits, metadata rules and declared sample count. */
  private SiloPipeline.Plan plan(SiloPolicy p) {
    long declared = p.declaredSamples() > 0 ? p.declaredSamples() : Math.max(shardSamples, p.minSamples());
    return new SiloPipeline.Plan(p.silo(), p.data(), new GuardEgress.Limits(p.allowedMetadata(), p.minSamples(),
        p.maxUpdateNorm(), p.metadataRules().withSamples(p.minSamples(), declared)),
        Artifacts.resolve(p.state(), "current-round.json"));
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

  /**
   * One pass over the exchange: takes up a changed policy or key, moves aside what is not a
   * request it can trust, and answers every request that has no answer yet; returns how many.
   */
  public int answerPending() {
    reloadIfChanged();
    Exchange.Listing listing;
    try {
      listing = exchange.list();
    } catch (RuntimeException e) {
      // the exchange cannot be listed just now (storage down?): tried again on the next pass
      out.printf("%s: cannot list the exchange %s: %s%n", policy.silo(), policy.exchange(),
          org.fedbeam.pipelines.FedBeam.messages(e));
      out.flush();
      return 0;
    }
    Quarantine aside = new Quarantine(exchange);
    listing.suspects().forEach(uri -> aside.moveAside(uri, "a link, or not a request's name"));
    int answered = 0;
    for (String uri : listing.requests()) {
      if (stopping) {
        break;
      }
      Exchange.Slot slot = Exchange.slotOf(uri);
      try {
        if (exchange.hasAnswer(slot)) {
          continue;
        }
        if (answeredBefore(slot)) {
          // answered before, and the answer has gone from the exchange: not trained again on request
          if (reportedGone.add(place(slot))) {
            out.printf("%s: the answer to %s is no longer in the exchange; it is not trained again%n", policy.silo(),
                place(slot));
            out.flush();
          }
          continue;
        }
        Signed.Opened opened = open(uri, aside);
        if (opened != null) {
          answer(opened, slot);
          answered++;
        }
      } catch (RuntimeException e) {
        // could not even write the refusal (the exchange is unreachable?): tried again on the next pass
        out.printf("%s: cannot answer %s: %s%n", policy.silo(), uri, org.fedbeam.pipelines.FedBeam.messages(e));
        out.flush();
      }
    }
    aside.report(audit, event(null), out, policy.silo(), movedAside);
    return answered;
  }

  /** Whether the job's state records the slot as answered (an unreadable state: no, and answer() refuses). */
  private boolean answeredBefore(Exchange.Slot slot) {
    try {
      return JobState.read(policy.state(), slot.jobId()).answered().contains(place(slot));
    } catch (RuntimeException e) {
      return false;
    }
  }

  /**
   * The request at {@code uri}, opened and verified; null if it is not a signed request from a key
   * trusted now (unsigned, unparsable, too large, a link, an unknown, expired or revoked key): it
   * is then moved aside, unanswered, and counted.
   */
  private Signed.Opened open(String uri, Quarantine aside) {
    try {
      byte[] bytes = exchange.read(uri, "round request", Signed.MAX_BYTES, RefusalReason.INVALID_REQUEST);
      return Signed.open(bytes, Set.of(Messages.REQUEST), policy.trustedKeys().at(java.time.Instant.now()));
    } catch (Rejected e) {
      java.nio.file.Path local = Artifacts.localPath(uri);
      if (local != null ? !java.nio.file.Files.exists(local, java.nio.file.LinkOption.NOFOLLOW_LINKS) : !Artifacts.exists(uri)) {
        return null; // gone since it was listed
      }
      aside.moveAside(uri, e.reason());
      return null;
    }
  }

  private void answer(Signed.Opened opened, Exchange.Slot slot) {
    Messages.RoundRequest request = null;
    boolean accepted = false;
    ObjectNode event = event(slot);
    try {
      event.put("submitter", policy.submitterNames().get(opened.signer()));
      event.put("submitter_key", opened.signer());
      request = Messages.RoundRequest.fromJson(opened.body());
      checkRequest(request, slot);
      JobState state = JobState.read(policy.state(), slot.jobId());
      checkReplay(request, state, place(slot));
      Parameters global = verifiedGlobalModel(request, slot);
      ObjectNode trained = state.trained().get(request.modelSha256());
      double epsilon;
      if (trained == null) {
        epsilon = admit(request, state, place(slot));
      } else {
        // this global model was trained in this job before: only a retry of that very training is answered
        checkSameTraining(request, trained);
        if (trained.has("update_sha256")) {
          resend(request, slot, trained, event);
          return;
        }
        if (trained.has("refused")) {
          throw new Rejected(RefusalReason.GUARD, "the egress guard stopped this global model's training at "
              + trained.path("place").asText() + "; it is not trained again");
        }
        // charged, then cut short by a crash: trained again with the same seed (the same answer), not charged again
        epsilon = trained.path("epsilon_spent").asDouble(Double.NaN);
      }
      // verified and accepted for its own slot: only now is its nonce recorded
      state.started(request.nonce(), place(slot), request.round());
      state.write(policy.state(), slot.jobId());
      accepted = true;
      event.put("decision", "accepted");
      audit.record(event.deepCopy());
      out.printf("%s: round %d attempt %d of job %s accepted, training%n", policy.silo(), slot.round(), slot.attempt(),
          slot.jobId());
      out.flush();
      Staged staged;
      try {
        staged = runPipeline(request, slot, global, epsilon);
      } catch (Rejected e) {
        if (e.code() == RefusalReason.GUARD) {
          recordOutcome(slot.jobId(), request.modelSha256(), o -> o.put("refused", e.getMessage()));
        }
        throw e;
      }
      recordOutcome(slot.jobId(), request.modelSha256(), o -> {
        o.put("update_sha256", staged.sha256);
        o.put("staging", staged.staging);
        o.set("metadata", staged.metadata.deepCopy());
      });
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
      refuse(slot, request, accepted, e, event);
    } catch (RuntimeException e) {
      // anything unexpected still gets an answer, and the agent goes on with the next request
      refuse(slot, request, accepted, new Rejected(RefusalReason.SILO_ERROR,
          org.fedbeam.pipelines.FedBeam.messages(e)), event);
    }
  }

  /**
   * Takes up a changed policy (and revocation list) or a rotated key. An invalid policy keeps the
   * one in force and says so loudly, on stdout, stderr and in the audit log, once per change.
   */
  private void reloadIfChanged() {
    PolicyWatch.Change change = watch.pollPolicy(policy);
    if (change != null && change.policy() != null) {
      policy = change.policy();
      plan = plan(policy);
      ObjectNode e = event(null);
      e.put("decision", "policy reloaded");
      e.put("trusted_keys_now", String.join(",", policy.trustedKeys().at(java.time.Instant.now()).keySet()));
      audit.record(e);
      out.printf("%s: policy reloaded from %s%n", policy.silo(), options.getPolicy());
      out.flush();
    } else if (change != null) {
      String loud = "POLICY NOT RELOADED: " + change.problem() + "; the policy in force stays";
      ObjectNode e = event(null);
      e.put("decision", "policy not reloaded");
      e.put("detail", change.problem());
      audit.record(e);
      out.println(policy.silo() + ": " + loud);
      out.flush();
      System.err.println("silo agent " + policy.silo() + ": " + loud);
    }
    if (watch.keyChanged(policy)) {
      try {
        Keys.Identity next = Keys.load(policy.keyDir());
        if (!next.keyId().equals(identity.keyId())) {
          ObjectNode e = event(null);
          e.put("decision", "key rotated");
          e.put("previous_key", identity.keyId());
          e.put("key", next.keyId());
          audit.record(e);
          out.printf("%s: now signs with key %s (was %s)%n", policy.silo(), next.keyId(), identity.keyId());
          out.flush();
          identity = next;
        }
      } catch (RuntimeException e) {
        watch.retryKey(); // a rotation half-way: looked at again next poll
        out.printf("%s: the key in %s cannot be loaded (%s); still signing with %s%n", policy.silo(), policy.keyDir(),
            org.fedbeam.pipelines.FedBeam.messages(e), identity.keyId());
        out.flush();
      }
    }
  }

  /** How many files the agent moved aside unanswered since it started. */
  public long movedAside() {
    return movedAside.get();
  }

  /**
   * Refuses a request outside the policy, each with its fixed {@link RefusalReason} (the detail
   * goes to the audit log only): its place, its silo, retries, every hyperparameter and the model's
   * size ({@link TrainingBounds}), its DP settings ({@link PrivacyPolicy}), the deadline, the round
   * limit and the approved pipeline and model kind.
   */
  private void checkRequest(Messages.RoundRequest r, Exchange.Slot slot) throws Rejected {
    if (!r.jobId().equals(slot.jobId()) || r.round() != slot.round() || r.attempt() != slot.attempt()) {
      throw new Rejected(RefusalReason.INVALID_REQUEST, "the request does not match its place in the exchange: body says"
          + " job " + r.jobId() + " round " + r.round() + " attempt " + r.attempt());
    }
    if (!r.silo().equals(policy.silo())) {
      throw new Rejected(RefusalReason.INVALID_REQUEST, "the request is addressed to another silo: " + r.silo());
    }
    if (!policy.approvedPipelines().contains(r.pipeline())) {
      throw new Rejected(RefusalReason.NOT_APPROVED, "the pipeline is not approved by this silo's policy: "
          + r.pipeline().name() + " " + r.pipeline().version() + " " + r.pipeline().sha256());
    }
    if (!r.pipeline().equals(SiloPipeline.REF)) {
      throw new Rejected(RefusalReason.NOT_APPROVED, "the approved pipeline is not the one this silo runs: "
          + SiloPipeline.REF);
    }
    if (!policy.approvedModels().contains(r.spec().kind())) {
      throw new Rejected(RefusalReason.NOT_APPROVED, "the model kind is not approved by this silo's policy: "
          + r.spec().describe());
    }
    if (System.currentTimeMillis() > r.deadlineMillis()) {
      throw new Rejected(RefusalReason.EXPIRED, "deadline "
          + java.time.Instant.ofEpochMilli(r.deadlineMillis()));
    }
    if (r.attempt() > policy.maxAttemptsPerRound()) {
      throw new Rejected(RefusalReason.OUTSIDE_POLICY, "the request is a retry beyond what the policy allows: attempt "
          + r.attempt() + " > max_attempts_per_round " + policy.maxAttemptsPerRound());
    }
    if (r.deadlineMillis() - System.currentTimeMillis() > policy.maxDeadlineSeconds() * 1000) {
      throw new Rejected(RefusalReason.OUTSIDE_POLICY, "the request's deadline is further ahead than the policy allows: "
          + java.time.Instant.ofEpochMilli(r.deadlineMillis()));
    }
    if (r.round() > policy.maxRoundsPerJob()) {
      throw new Rejected(RefusalReason.OUTSIDE_POLICY, "the job asks for more rounds than the policy allows: round "
          + r.round() + " > max_rounds_per_job " + policy.maxRoundsPerJob());
    }
    if (r.spec().parameterCount() > policy.maxParameters()) {
      throw new Rejected(RefusalReason.OUTSIDE_POLICY, "the model is larger than this silo's policy allows: "
          + r.spec().parameterCount() + " parameters > " + policy.maxParameters());
    }
    policy.training().check(r.spec(), r.config());
    policy.privacy().check(r.config().privacy());
  }

  /**
   * Admits the first training of a global model in a job: within the per-job and per-day quotas,
   * and, under DP, within the lifetime privacy budget, charged to the ledger now, before training
   * (a crash after this costs budget, it never gives a free training). Records the training in
   * {@code state} (written by the caller). Returns the lifetime epsilon after it (NaN without DP).
   */
  private double admit(Messages.RoundRequest r, JobState state, String place) throws Rejected {
    // the seed is the silo's for (job, round): a second training in a round would reuse its sampling and its
    // noise, and the difference of the two updates would carry none (DP composition assumes fresh noise)
    for (ObjectNode t : state.trained().values()) {
      if (t.path("round").asInt() == r.round()) {
        throw new Rejected(RefusalReason.REPLAY, "round " + r.round() + " of job " + r.jobId() + " was trained at "
            + t.path("place").asText() + " on another global model; a round is trained once (its randomness is"
            + " the round's), not again for " + r.modelSha256());
      }
    }
    if (state.trained().size() >= policy.training().maxRequestsPerJob()) {
      throw new Rejected(RefusalReason.QUOTA, "the silo trained " + state.trained().size() + " times in job "
          + r.jobId() + ", max_requests_per_job " + policy.training().maxRequestsPerJob());
    }
    quota.check(policy.training().maxRequestsPerDay());
    double epsilon = Double.NaN;
    if (r.config().privacy() != null) {
      int rows = org.fedbeam.transforms.SiloData.load(policy.data(), "silo " + policy.silo()).size();
      epsilon = ledger.charge(policy.privacy(), r.config(), rows, place);
    } else {
      ledger.countNonPrivate(place);
    }
    quota.count();
    ObjectNode entry = Signed.JSON.createObjectNode();
    entry.put("place", place);
    entry.put("round", r.round());
    entry.put("settings", settings(r));
    if (!Double.isNaN(epsilon)) {
      entry.put("epsilon_spent", epsilon);
    }
    state.trained().put(r.modelSha256(), entry);
    return epsilon;
  }

  /** What a training of one global model is: its round, the model and every training setting. */
  private static String settings(Messages.RoundRequest r) {
    ObjectNode n = r.toJson();
    return "round " + r.round() + " model " + n.get("model") + " train " + n.get("train");
  }

  /** Refuses ({@link RefusalReason#REPLAY}) anything but a retry of the training already done on this global model. */
  private static void checkSameTraining(Messages.RoundRequest r, JsonNode trained) throws Rejected {
    if (!settings(r).equals(trained.path("settings").asText())) {
      throw new Rejected(RefusalReason.REPLAY, "global model " + r.modelSha256() + " was trained in this job at "
          + trained.path("place").asText() + " (" + trained.path("settings").asText() + "); it is not trained again"
          + " for " + settings(r));
    }
  }

  /** Answers a retry with the update already computed for its global model, re-signed for this request: no training. */
  private void resend(Messages.RoundRequest r, Exchange.Slot slot, JsonNode trained, ObjectNode event) {
    String staging = trained.path("staging").asText();
    byte[] weights = Artifacts.read(Artifacts.resolve(staging, SiloPipeline.UPDATE_FILE), "the update trained before");
    String sha = Messages.sha256Hex(weights);
    if (!sha.equals(trained.path("update_sha256").asText())) {
      throw new IllegalStateException("the update trained at " + trained.path("place").asText() + " in " + staging
          + " has changed since (sha256 " + sha + ")");
    }
    Staged staged = new Staged(weights, sha, (ObjectNode) trained.get("metadata").deepCopy(), staging);
    event.put("decision", "update re-sent");
    event.put("trained_at", trained.path("place").asText());
    event.put("update_sha256", sha);
    publishUpdate(r, slot, staged);
    audit.record(event);
    out.printf("%s: round %d attempt %d of job %s: the update trained at %s re-sent, not trained again%n",
        policy.silo(), slot.round(), slot.attempt(), slot.jobId(), trained.path("place").asText());
    out.flush();
  }

  /** Adds the outcome of a training (its update, or the guard's refusal) to the job state's record of it. */
  private void recordOutcome(String jobId, String modelSha, java.util.function.Consumer<ObjectNode> outcome) {
    JobState state = JobState.read(policy.state(), jobId);
    outcome.accept(state.trained().get(modelSha));
    state.write(policy.state(), jobId);
  }

  /** Where a request sits, as the job state records it: independent of how the exchange's URI is spelled. */
  private static String place(Exchange.Slot slot) {
    return String.format("%s/r%04d-a%d", slot.jobId(), slot.round(), slot.attempt());
  }

  private static void checkReplay(Messages.RoundRequest r, JobState state, String place) throws Rejected {
    String seenAt = state.nonces().get(r.nonce());
    if (seenAt != null && !seenAt.equals(place)) {
      throw new Rejected(RefusalReason.REPLAY, "replayed request: its nonce was used before, first seen at " + seenAt);
    }
    if (r.round() < state.lastRound()) {
      throw new Rejected(RefusalReason.REPLAY, "replayed request: a later round was already answered: round "
          + r.round() + " < " + state.lastRound());
    }
  }

  private Parameters verifiedGlobalModel(Messages.RoundRequest r, Exchange.Slot slot) throws Rejected {
    // missing, a link, too large, unreadable, not the one signed, corrupt: one reason leaves, the detail stays
    String uri = exchange.globalModel(slot);
    byte[] bytes = exchange.read(uri, "global model", Exchange.modelFileLimit(r.spec()), RefusalReason.GLOBAL_MODEL);
    if (!Messages.sha256Hex(bytes).equals(r.modelSha256())) {
      throw new Rejected(RefusalReason.GLOBAL_MODEL, "the global model does not match the digest signed in the request: " + uri);
    }
    Parameters global;
    try {
      global = ModelFormat.decode(bytes, uri);
    } catch (ModelFormatException e) {
      throw new Rejected(RefusalReason.GLOBAL_MODEL, "the global model file is corrupt: " + e.getMessage());
    }
    if (!global.spec().equals(r.spec())) {
      throw new Rejected(RefusalReason.GLOBAL_MODEL, "the global model's shape is not the requested model's: "
          + global.spec().describe());
    }
    return global;
  }

  private record Staged(byte[] weights, String sha256, ObjectNode metadata, String staging) {}

  /**
   * Trains on the silo's shard with the silo's own seed, {@code Seeds.fromSecret(secret, job,
   * round)}: the request's seed is not used, so the orchestrator can neither choose nor predict how
   * the rows are shuffled, sampled or noised. {@code epsilon} is reported as {@code epsilon_spent}.
   */
  private Staged runPipeline(Messages.RoundRequest r, Exchange.Slot slot, Parameters global, double epsilon)
      throws Rejected {
    String staging = Artifacts.resolve(Artifacts.resolve(Artifacts.resolve(policy.state(), "jobs"), slot.jobId()),
        String.format("r%04d-a%d", slot.round(), slot.attempt()));
    Artifacts.requireNoLinks(policy.state(), Artifacts.resolve(staging, "global.fbm")); // no link in silo state either
    for (String name : SiloPipeline.STAGED_FILES) {
      Artifacts.deleteIfExists(Artifacts.resolve(staging, name)); // a run cut short before a restart
    }
    String globalCopy = Artifacts.resolve(staging, "global.fbm");
    Artifacts.writeAtomically(globalCopy, ModelFormat.encode(global));
    new SiloPipeline.SiloRound(r.round(), org.fedbeam.model.Seeds.fromSecret(secret, r.jobId(), r.round()), globalCopy,
        staging, r.spec(), r.config(), epsilon).write(plan.roundUri());
    try {
      rounds.run(r.round(), () -> {
        Pipeline p = Pipeline.create(options);
        SiloPipeline.build(p, plan);
        return p;
      });
    } catch (RuntimeException e) {
      throw new Rejected(RefusalReason.SILO_ERROR, "the silo pipeline failed: " + org.fedbeam.pipelines.FedBeam.messages(e));
    }
    String refusal = Artifacts.resolve(staging, SiloPipeline.REFUSAL_FILE);
    if (Artifacts.exists(refusal)) {
      // the guard's own words go to the audit log only
      throw new Rejected(RefusalReason.GUARD, new String(Artifacts.read(refusal, "guard refusal"), StandardCharsets.UTF_8));
    }
    String metadataUri = Artifacts.resolve(staging, SiloPipeline.METADATA_FILE);
    if (!Artifacts.exists(metadataUri)) {
      throw new Rejected(RefusalReason.SILO_ERROR, "the silo pipeline produced no update: nothing staged in " + staging);
    }
    byte[] weights = Artifacts.read(Artifacts.resolve(staging, SiloPipeline.UPDATE_FILE), "staged update");
    JsonNode metadata;
    try {
      metadata = Signed.JSON.readTree(Artifacts.read(metadataUri, "staged metadata"));
    } catch (java.io.IOException e) {
      throw new Rejected(RefusalReason.SILO_ERROR, "the silo pipeline produced no update: staged metadata unreadable");
    }
    return new Staged(weights, Messages.sha256Hex(weights), (ObjectNode) metadata, staging);
  }

  private void publishUpdate(Messages.RoundRequest r, Exchange.Slot slot, Staged staged) {
    java.util.Map<String, Double> metadata = new java.util.LinkedHashMap<>();
    staged.metadata.fields().forEachRemaining(f -> metadata.put(f.getKey(), f.getValue().asDouble()));
    Messages.UpdateReport report = new Messages.UpdateReport(r.jobId(), r.round(), r.nonce(), policy.silo(),
        r.modelSha256(), staged.sha256, metadata);
    exchange.write(exchange.updateWeights(slot), staged.weights);
    exchange.write(exchange.answer(slot), Signed.seal(Messages.UPDATE, report.toJson(), identity));
    finish(slot, r);
  }

  /**
   * Answers with a signed refusal whose reason is one of the fixed {@link RefusalReason}s (a
   * rejection without one is an invalid request: a body that does not parse); the detail goes to
   * the audit log only. Only a request {@code accepted} for its own slot is recorded in the job's
   * state, so a copy of a genuine request in a wrong place cannot burn its nonce.
   */
  private void refuse(Exchange.Slot slot, Messages.RoundRequest request, boolean accepted, Rejected e, ObjectNode event) {
    RefusalReason code = e.code() != null ? e.code() : RefusalReason.INVALID_REQUEST;
    Messages.Refusal refusal = new Messages.Refusal(slot.jobId(), slot.round(), request == null ? "" : request.nonce(),
        policy.silo(), request == null ? "" : request.modelSha256(), code.text());
    // weights published before a crash, for a request now refused, must not stay next to the refusal
    exchange.delete(exchange.updateWeights(slot));
    exchange.write(exchange.answer(slot), Signed.seal(Messages.REFUSAL, refusal.toJson(), identity));
    if (request != null && accepted) {
      finish(slot, request);
    }
    event.put("decision", "refused");
    event.put("reason", code.name());
    event.put("detail", e.getMessage());
    audit.record(event);
    out.printf("%s: round %d attempt %d of job %s refused: %s%n", policy.silo(), slot.round(), slot.attempt(),
        slot.jobId(), e.getMessage());
    out.flush();
  }

  /** Records the request as answered (only for requests verified and accepted for their own slot). */
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
    if (slot == null) {
      return e;
    }
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

  /**
   * What the agent remembers of a job: the nonces it took up (and where), the latest round, and
   * each global model it trained (by SHA-256: where, the round and settings, the lifetime epsilon
   * after it, then its update or the guard's refusal), so it trains each global model at most once
   * per job.
   */
  record JobState(java.util.Map<String, String> nonces, java.util.Set<String> answered, int[] last,
      java.util.Map<String, ObjectNode> trained) {
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
      java.util.Map<String, ObjectNode> trained = new java.util.TreeMap<>();
      int last = 0;
      Artifacts.requireNoLinks(stateDir, uri);
      if (Artifacts.exists(uri)) {
        JsonNode n;
        try {
          n = Signed.JSON.readTree(Artifacts.read(uri, "job state"));
        } catch (java.io.IOException e) {
          throw new IllegalStateException("job state " + uri + " is not strict JSON: " + e.getMessage(), e);
        }
        last = n.path("last_round").asInt();
        n.path("nonces").fields().forEachRemaining(f -> nonces.put(f.getKey(), f.getValue().asText()));
        n.path("answered").forEach(a -> answered.add(a.asText()));
        n.path("trained").fields().forEachRemaining(f -> {
          if (!f.getValue().isObject()) {
            throw new IllegalStateException("job state " + uri + ": trained " + f.getKey() + " is not an object");
          }
          trained.put(f.getKey(), (ObjectNode) f.getValue());
        });
      }
      return new JobState(nonces, answered, new int[] {last}, trained);
    }

    void write(String stateDir, String jobId) {
      ObjectNode n = Signed.JSON.createObjectNode();
      n.put("last_round", last[0]);
      ObjectNode ns = n.putObject("nonces");
      nonces.forEach(ns::put);
      ArrayNode done = n.putArray("answered");
      answered.forEach(done::add);
      ObjectNode models = n.putObject("trained");
      trained.forEach(models::set);
      Artifacts.requireNoLinks(stateDir, uri(stateDir, jobId));
      RoundRecords.write(uri(stateDir, jobId), n);
    }

    private static String uri(String stateDir, String jobId) {
      return Artifacts.resolve(Artifacts.resolve(Artifacts.resolve(stateDir, "jobs"), jobId), "state.json");
    }
  }
}
