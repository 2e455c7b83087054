package org.fedbeam.pipelines.federated;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintStream;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.fedbeam.pipelines.protocol.Exchange;
import org.fedbeam.pipelines.protocol.Keys;
import org.fedbeam.pipelines.protocol.Messages;
import org.fedbeam.pipelines.protocol.RefusalReason;
import org.fedbeam.pipelines.protocol.Rejected;
import org.fedbeam.pipelines.protocol.Signed;
import org.fedbeam.pipelines.rounds.RoundRecords;
import org.fedbeam.pipelines.rounds.SiloPipeline;
import org.fedbeam.pipelines.runners.Runners;
import org.fedbeam.transforms.Artifacts;
import org.fedbeam.transforms.Errors;

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
 *
 * <p>This class is the service: its start-up (with {@link AgentClusterCheck} on a standalone
 * cluster), its loop over the exchange and its wiring. The policy and key in force are
 * {@link LivePolicy}'s; each request is answered by {@link RoundAnswerer}, which checks it
 * ({@link RequestChecks}), admits it against the job's record ({@link JobLedger}) and trains it
 * ({@link LocalTraining}).
 */
public final class SiloAgent implements AutoCloseable {
  private final LivePolicy live;
  private final Exchange exchange;
  private final Audit audit;
  private final Runners.Session session;
  private final LocalTraining training;
  private final JobLedger jobs;
  private final RoundAnswerer answerer;
  private final StatsAnswerer stats;
  private final java.util.concurrent.atomic.AtomicLong movedAside = new java.util.concurrent.atomic.AtomicLong();
  private final PrintStream out;
  private volatile boolean stopping;
  private final java.util.Set<String> reportedGone = new java.util.HashSet<>();

  private SiloAgent(SiloPolicy policy, AgentOptions options, PrintStream out) throws Exception {
    if (options.getWarmUpRuns() < 0) {
      throw new IllegalArgumentException("--warmUpRuns must be 0 or more; was " + options.getWarmUpRuns());
    }
    Keys.Identity identity = Keys.load(policy.keyDir());
    byte[] secret = Keys.siloSecret(policy.keyDir());
    ownerOnly(policy.keyDir());
    ownerOnly(Artifacts.localPath(policy.state()));
    this.jobs = new JobLedger(policy.state(), policy.silo());
    this.exchange = new Exchange(policy.exchange());
    this.audit = new Audit(Artifacts.resolve(policy.state(), "audit.jsonl"), policy.state(), policy.auditRotateBytes());
    this.live = new LivePolicy(policy, identity, options.getPolicy());
    // how its jobs are listed in the Flink web UI and REST API
    options.setJobName(SiloPipeline.NAME + "-" + policy.silo());
    this.out = out;
    String master = options.getFlinkMaster();
    List<String> staged = options.getFilesToStage() == null ? List.of() : List.copyOf(options.getFilesToStage());
    boolean cluster = Runners.isStandaloneCluster(master);
    if (cluster) {
      // jars uploaded with every job are loaded before the cluster's own classes: each must hold this silo pipeline
      AgentClusterCheck.checkStagedJars(staged);
    }
    this.session = Runners.prepare(options, policy.state(), options.getWebUiPort(), options.getWebUi(), out);
    if (cluster && staged.isEmpty()) {
      try {
        AgentClusterCheck.checkClusterRunsThisPipeline(session.rest(), policy.silo(), out);
      } catch (RuntimeException e) {
        session.close();
        throw e;
      }
    }
    // the same pipeline every round (it reads the round from its descriptor): translated once on an embedded cluster
    this.training = new LocalTraining(session.roundRunner(), options, secret, out);
    this.answerer = new RoundAnswerer(live, exchange, jobs, training, audit, out);
    this.stats = new StatsAnswerer(live, exchange, audit, session.roundRunner(session.runName() + "-stats"), options,
        secret, out);
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

  /** Starts an agent for the policy the options name (its key pair is loaded and checked now). */
  public static SiloAgent start(AgentOptions options, PrintStream out) throws Exception {
    SiloPolicy policy = SiloPolicy.read(java.nio.file.Path.of(options.getPolicy()));
    return new SiloAgent(policy, options, out);
  }

  /** {@code fedbeam agent}: serves until SIGTERM (or, with {@code --once}, answers what is waiting). */
  public static void run(AgentOptions options, PrintStream out) throws Exception {
    try (SiloAgent agent = start(options, out)) {
      out.printf("silo agent %s (pid %d, key %s): watching %s, policy %s%n", agent.policy().silo(),
          ProcessHandle.current().pid(), agent.live.identity().keyId(), agent.policy().exchange(), options.getPolicy());
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
        out.println("silo agent " + agent.policy().silo() + " stopped");
        out.flush();
        stopped.countDown();
      }
    }
  }

  /** Runs the silo pipeline on private scratch rounds before serving ({@link LocalTraining#warmUp}). */
  void warmUp() {
    training.warmUp(live.policy(), live.plan());
  }

  /** Answers pending requests until asked to stop. */
  void serve() throws InterruptedException {
    while (!stopping) {
      answerPending();
      for (long waited = 0; waited < policy().pollMillis() && !stopping; waited += 50) {
        Thread.sleep(50);
      }
    }
  }

  /**
   * One pass over the exchange: takes up a changed policy or key, moves aside what is not a
   * request it can trust, and answers every request that has no answer yet; returns how many.
   */
  public int answerPending() {
    live.reloadIfChanged(audit, out);
    Exchange.Listing listing;
    try {
      listing = exchange.list();
    } catch (RuntimeException e) {
      // the exchange cannot be listed just now (storage down?): tried again on the next pass
      out.printf("%s: cannot list the exchange %s: %s%n", policy().silo(), policy().exchange(),
          Errors.messages(e));
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
        if (answerIfNew(uri, slot, aside)) {
          answered++;
        }
      } catch (RuntimeException e) {
        // could not even write the refusal (the exchange is unreachable?): tried again on the next pass
        out.printf("%s: cannot answer %s: %s%n", policy().silo(), uri, Errors.messages(e));
        out.flush();
      }
    }
    aside.report(audit, answerer.event(null), out, policy().silo(), movedAside);
    return answered;
  }

  /** Answers the request at {@code uri} unless it has an answer, was answered before, or is moved aside. */
  private boolean answerIfNew(String uri, Exchange.Slot slot, Quarantine aside) {
    if (exchange.hasAnswer(slot)) {
      return false;
    }
    if (jobs.answeredBefore(slot) || stats.answeredBefore(slot)) {
      // answered before, and the answer has gone from the exchange: not trained again on request
      if (reportedGone.add(JobLedger.place(slot))) {
        out.printf("%s: the answer to %s is no longer in the exchange; it is not trained again%n", policy().silo(),
            JobLedger.place(slot));
        out.flush();
      }
      return false;
    }
    Signed.Opened opened = open(uri, aside);
    if (opened == null) {
      return false;
    }
    if (org.fedbeam.pipelines.protocol.StatsMessages.STATS_REQUEST.equals(opened.type())) {
      stats.answer(opened, slot, answerer.event(slot));
    } else {
      answerer.answer(opened, slot);
    }
    return true;
  }

  /**
   * The request at {@code uri}, opened and verified; null if it is not a signed request from a key
   * trusted now (unsigned, unparsable, too large, a link, an unknown, expired or revoked key): it
   * is then moved aside, unanswered, and counted.
   */
  private Signed.Opened open(String uri, Quarantine aside) {
    try {
      byte[] bytes = exchange.read(uri, "round request", Signed.MAX_BYTES, RefusalReason.INVALID_REQUEST);
      return Signed.open(bytes, Set.of(Messages.REQUEST, org.fedbeam.pipelines.protocol.StatsMessages.STATS_REQUEST),
          policy().trustedKeys().at(java.time.Instant.now()));
    } catch (Rejected e) {
      java.nio.file.Path local = Artifacts.localPath(uri);
      if (local != null ? !java.nio.file.Files.exists(local, java.nio.file.LinkOption.NOFOLLOW_LINKS) : !Artifacts.exists(uri)) {
        return null; // gone since it was listed
      }
      aside.moveAside(uri, e.reason());
      return null;
    }
  }

  /** How many files the agent moved aside unanswered since it started. */
  public long movedAside() {
    return movedAside.get();
  }

  /** The audit log's location. */
  public String auditLog() {
    return audit.uri();
  }

  /** The policy in force now (it is re-read when its file changes). */
  public SiloPolicy policy() {
    return live.policy();
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
