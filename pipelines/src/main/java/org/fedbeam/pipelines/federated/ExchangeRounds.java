package org.fedbeam.pipelines.federated;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintStream;
import java.security.PublicKey;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.function.Supplier;
import org.apache.beam.sdk.Pipeline;
import org.fedbeam.model.EvalReport;
import org.fedbeam.model.ModelFormat;
import org.fedbeam.model.ModelFormatException;
import org.fedbeam.model.Parameters;
import org.fedbeam.model.Stats;
import org.fedbeam.model.SystemMetadata;
import org.fedbeam.model.TrainConfig;
import org.fedbeam.model.strategy.Strategy;
import org.fedbeam.pipelines.loop.RoundLoop;
import org.fedbeam.pipelines.protocol.Exchange;
import org.fedbeam.pipelines.protocol.JobSpec;
import org.fedbeam.pipelines.protocol.Keys;
import org.fedbeam.pipelines.protocol.Messages;
import org.fedbeam.pipelines.protocol.Rejected;
import org.fedbeam.pipelines.protocol.Signed;
import org.fedbeam.pipelines.rounds.AggregationPipeline;
import org.fedbeam.pipelines.rounds.RoundRecords;
import org.fedbeam.pipelines.rounds.SiloPipeline;
import org.fedbeam.pipelines.runners.RoundRunner;
import org.fedbeam.transforms.Artifacts;
import org.fedbeam.transforms.Errors;


/**
 * The federated deployment's executor of the {@link RoundLoop}: per round, it publishes the global
 * model and a signed round request in the exchange area of each silo the round asks; waits until
 * every asked silo has answered, or the quorum ({@code min_silos} valid updates) is in and the grace
 * period has passed, or the round's deadline passes; verifies each answer (the silo's own signature,
 * the job, round, nonce and model digest of the request, the weights' SHA-256, shape, finite values
 * and distance from the global model); copies the valid updates into its own storage; weighs them
 * ({@link RoundWeights}); and runs the {@link AggregationPipeline} (the strategy's aggregator and
 * server step, then the evaluation) on the orchestrator's own Flink. A round without a quorum is
 * retried (a new attempt, new nonces) up to {@code max_attempts} times; then the job fails, saying
 * why. A round cut by a restart of the orchestrator is run again from the attempt after the last
 * one it posted ({@link PostedAttempts}). Silos that timed out, refused or sent invalid answers are
 * left out of the round, with the reason.
 *
 * <p>Waiting is measured on the given {@link Clock} and done by the given {@link Sleeper}, so tests
 * replay timeouts without waiting on real time.
 */
final class ExchangeRounds implements RoundLoop.Executor {
  /** Waits between two polls of the exchange. */
  @FunctionalInterface
  interface Sleeper {
    void sleep(long millis) throws InterruptedException;

    /** Real time. */
    Sleeper REAL = Thread::sleep;
  }

  /** The outcome of one silo in one attempt. */
  record Answer(String silo, String status, String reason, AggregationPipeline.UpdateRef update, double latencySeconds) {}

  private final JobSpec job;
  private final Keys.Identity identity;
  private final OrchestrateOptions options;
  private final PrintStream out;
  private final Clock clock;
  private final Sleeper sleeper;
  private final Strategy strategy;
  private final String aggregationUri;
  private final Supplier<Pipeline> pipeline;
  private final PostedAttempts posted;
  /** The job's preprocessing as published beside each global model (canonical JSON), or null. */
  private final byte[] preprocessing;
  private final String preprocessingSha;
  private RoundRunner runner;
  private int accepted;
  private int refused;
  private int invalid;
  private int timedOut;
  private final Map<String, List<Double>> latencies = new TreeMap<>();
  private final Map<Integer, ObjectNode> roundRecords = new TreeMap<>();

  ExchangeRounds(JobSpec job, Keys.Identity identity, OrchestrateOptions options, PrintStream out, Clock clock,
      Sleeper sleeper) {
    this.job = job;
    this.identity = identity;
    this.options = options;
    this.out = out;
    this.clock = clock;
    this.sleeper = sleeper;
    this.strategy = job.strategy();
    this.aggregationUri = Artifacts.resolve(Artifacts.resolve(job.output(), "rounds"), "current-aggregation.json");
    this.posted = new PostedAttempts(job.output());
    this.preprocessing = job.preprocessing() == null ? null
        : org.fedbeam.pipelines.protocol.JobPreprocessing.load(job.preprocessing(), job.spec(), "job " + job.jobId())
            .toJson();
    this.preprocessingSha = preprocessing == null ? null : Artifacts.sha256Hex(preprocessing);
    // the same pipeline every round (it reads the round from its descriptor): a runner may translate it once
    this.pipeline = () -> {
      Pipeline p = Pipeline.create(options);
      AggregationPipeline.build(p, job.spec(), strategy, aggregationUri, job.evaluation());
      return p;
    };
  }

  /** Runs the aggregation pipelines with {@code roundRunner} from now on. */
  ExchangeRounds using(RoundRunner roundRunner) {
    this.runner = roundRunner;
    return this;
  }

  @Override
  public String mode() {
    return "federated";
  }

  @Override
  public List<String> silos() {
    return job.silos().stream().map(JobSpec.Silo::id).toList();
  }

  @Override
  public RoundLoop.RoundOutcome run(RoundLoop.Round round) throws Exception {
    byte[] globalBytes = Artifacts.read(round.globalModelUri(), "global model");
    List<JobSpec.Silo> asked = job.silos().stream().filter(s -> round.silos().contains(s.id())).toList();
    // never below what the strategy's aggregator needs (Krum: 2f + 3): a shorter round is retried
    int quorum = Math.min(Math.max(job.minSilos(), strategy.minimumUpdates()), asked.size());
    List<Answer> answers = null;
    List<AggregationPipeline.UpdateRef> valid = new ArrayList<>();
    ObjectNode record = Signed.JSON.createObjectNode();
    record.put("round", round.round());
    ArrayNode attempts = record.putArray("attempts");
    // a round cut by a restart goes on in new slots: a slot posted before may hold an answer to its old nonce
    int first = posted.posted(round.round()) + 1;
    if (first > 1) {
      out.printf("  round %d: attempt(s) 1-%d were posted before the restart; this run posts attempt %d on (a silo"
          + " that trained this global model already re-sends its update, it does not train again)%n", round.round(),
          first - 1, first);
    }
    for (int attempt = first; attempt < first + job.maxAttempts(); attempt++) {
      posted.posting(round.round(), attempt);
      answers = attempt(round.round(), attempt, globalBytes, asked, round.config());
      valid.clear();
      ObjectNode a = attempts.addObject();
      a.put("attempt", attempt);
      ObjectNode silos = a.putObject("silos");
      for (Answer ans : answers) {
        ObjectNode s = silos.putObject(ans.silo());
        s.put("status", ans.status());
        if (ans.reason() != null) {
          s.put("reason", ans.reason());
        }
        if (ans.latencySeconds() >= 0) {
          s.put("latency_s", ans.latencySeconds());
        }
        if (ans.update() != null) {
          s.put("train_s", ans.update().trainMillis() / 1000.0); // as the silo reports it (0 if its policy withholds it)
        }
        switch (ans.status()) {
          case "accepted" -> {
            accepted++;
            valid.add(ans.update());
            latencies.computeIfAbsent(ans.silo(), k -> new ArrayList<>()).add(ans.latencySeconds());
          }
          case "refused" -> refused++;
          case "invalid" -> invalid++;
          default -> timedOut++;
        }
        if (!"accepted".equals(ans.status())) {
          out.printf("  round %d attempt %d: %s %s%s%n", round.round(), attempt, ans.silo(), ans.status(),
              ans.reason() == null ? "" : ": " + ans.reason());
        }
      }
      if (valid.size() >= quorum) {
        break;
      }
      out.printf("  round %d attempt %d: %d valid update(s), the quorum is %d%n", round.round(), attempt, valid.size(),
          quorum);
    }
    if (valid.size() < quorum) {
      throw new Orchestrator.JobFailed("job " + job.jobId() + " failed: round " + round.round() + " had " + valid.size()
          + " valid update(s) after " + job.maxAttempts() + " attempt(s)" + (first > 1 ? " (attempts " + first + "-"
          + (first + job.maxAttempts() - 1) + ")" : "") + ", the quorum is " + quorum + " ("
          + describe(answers) + ")");
    }
    List<AggregationPipeline.UpdateRef> weighed = RoundWeights.weigh(job, valid, record);
    new AggregationPipeline.AggregationRound(round.round(), round.globalModelUri(), round.modelUri(), round.roundDir(),
        round.stateInUri(), round.stateOutUri(), weighed).write(aggregationUri);
    runner.run(round.round(), pipeline);
    if (!Artifacts.exists(round.modelUri())) {
      throw new Orchestrator.JobFailed("round " + round.round() + ": the aggregation pipeline wrote no model");
    }
    ArrayNode used = record.putArray("aggregated");
    valid.forEach(v -> used.add(v.silo()));
    Map<String, EvalReport> evaluations = new TreeMap<>();
    for (String name : job.evaluation().keySet()) {
      evaluations.put(name, RoundRecords.readEvaluation(round.roundDir(), name));
    }
    RoundRecords.write(Artifacts.resolve(round.roundDir(), "round.json"), record);
    roundRecords.put(round.round(), record);
    SortedMap<String, SystemMetadata> participants = new TreeMap<>();
    for (AggregationPipeline.UpdateRef u : valid) {
      participants.put(u.silo(), new SystemMetadata(u.samples(), u.trainLoss(), u.trainMillis()));
    }
    SortedMap<String, String> leftOut = new TreeMap<>();
    for (Answer ans : answers) {
      if (!"accepted".equals(ans.status())) {
        leftOut.put(ans.silo(), ans.status() + (ans.reason() == null ? "" : ": " + ans.reason()));
      }
    }
    return new RoundLoop.RoundOutcome(participants, leftOut, evaluations);
  }

  @Override
  public void describeRound(int round, ObjectNode entry) {
    ObjectNode record = roundRecords.get(round);
    if (record != null) {
      entry.set("aggregated", record.get("aggregated"));
      entry.set("attempts", record.get("attempts"));
      entry.set("weights", record.get("weights"));
    }
  }

  @Override
  public void summarize(ObjectNode summary) {
    summary.put("job_id", job.jobId());
    summary.put("updates_accepted", accepted);
    summary.put("updates_refused", refused);
    summary.put("updates_invalid", invalid);
    summary.put("silos_timed_out", timedOut);
    ObjectNode lat = summary.putObject("silo_latency_s_median");
    latencies.forEach((silo, l) -> lat.put(silo, Stats.median(l.stream().mapToDouble(Double::doubleValue).toArray())));
    summary.put("orchestrator_pid", ProcessHandle.current().pid());
  }

  /**
   * Translates the aggregation pipeline and runs it {@code --warmUpRuns} times on a scratch round
   * (the initial model, aggregated alone, stepped and evaluated), while the silos start, so the
   * rounds do not pay for the translation and a cold JVM: on this machine the JIT compiler's work
   * in the first rounds otherwise competes with the silos for the cores. The scratch output is
   * deleted; if it fails, round 1 translates instead.
   */
  @Override
  public void prepare(String initialUri) {
    if (options.getWarmUpRuns() == 0) {
      return;
    }
    long start = System.nanoTime();
    String scratch = Artifacts.resolve(job.output(), "warm-up");
    List<String> written = new ArrayList<>();
    try {
      byte[] initial = Artifacts.read(initialUri, "initial model");
      String copy = Artifacts.resolve(scratch, "initial.fbm");
      Artifacts.writeAtomically(copy, initial);
      written.add(copy);
      String model = Artifacts.resolve(scratch, "model.fbm");
      written.add(model);
      written.add(Artifacts.resolve(scratch, "aggregate.json"));
      job.evaluation().keySet().forEach(name -> written.add(Artifacts.resolve(scratch, "eval-" + name + ".json")));
      String state = Artifacts.resolve(scratch, "state-in.state");
      Artifacts.writeAtomically(state, strategy.initialState(ModelFormat.decode(initial, initialUri)).encode());
      written.add(state);
      String stateOut = Artifacts.resolve(scratch, "state-out.state");
      written.add(stateOut);
      new AggregationPipeline.AggregationRound(1, copy, model, scratch, state, stateOut, List.of(
          new AggregationPipeline.UpdateRef("initial-model", 1, copy, Artifacts.sha256Hex(initial), 1, 0, 0)))
          .write(aggregationUri);
      for (int i = 0; i < options.getWarmUpRuns(); i++) {
        runner.run(0, pipeline);
      }
      out.printf("aggregation pipeline translated and run %d times on a scratch round in %.1f s%n",
          options.getWarmUpRuns(), (System.nanoTime() - start) / 1e9);
    } catch (RuntimeException e) {
      out.println("warm-up failed (" + Errors.messages(e) + "); round 1 will translate the pipeline");
    } finally {
      for (String uri : written) {
        try {
          Artifacts.deleteIfExists(uri);
        } catch (RuntimeException e) {
          // scratch only
        }
      }
      out.flush();
    }
  }

  /** Publishes one attempt's requests and collects the answers. */
  List<Answer> attempt(int round, int attempt, byte[] globalBytes, List<JobSpec.Silo> asked, TrainConfig config)
      throws InterruptedException {
    String modelSha = Artifacts.sha256Hex(globalBytes);
    Parameters global = ModelFormat.decode(globalBytes, "global model of round " + round);
    long deadline = clock.millis() + job.roundTimeoutMillis();
    Map<String, String> nonces = new LinkedHashMap<>();
    Map<String, Long> published = new LinkedHashMap<>();
    for (JobSpec.Silo silo : asked) {
      Exchange exchange = new Exchange(silo.exchange());
      Exchange.Slot slot = new Exchange.Slot(job.jobId(), round, attempt);
      String nonce = Messages.newNonce();
      nonces.put(silo.id(), nonce);
      Messages.RoundRequest request = new Messages.RoundRequest(job.jobId(), round, attempt, nonce, silo.id(),
          SiloPipeline.REF, job.spec(), modelSha, config,
          org.fedbeam.model.Seeds.derive(job.seed(), "local-train", round, job.silos().indexOf(silo)), deadline,
          preprocessingSha);
      // through no link: a link planted in the exchange is moved aside, never written through
      exchange.write(exchange.globalModel(slot), globalBytes);
      if (preprocessing != null) { // its SHA-256 is signed in the request
        exchange.write(TableRequests.preprocessingUri(exchange, slot), preprocessing);
      }
      // the signed request is written last: it tells the silo the model is complete
      exchange.write(exchange.request(slot), Signed.seal(Messages.REQUEST, request.toJson(), identity));
      published.put(silo.id(), clock.millis()); // latencies on the same clock as the deadline and grace
    }
    Map<String, Answer> answers = new LinkedHashMap<>();
    Long quorumAt = null;
    long opened = clock.millis();
    boolean closedByQuorum = false;
    while (true) {
      for (JobSpec.Silo silo : asked) {
        if (answers.containsKey(silo.id())) {
          continue;
        }
        Exchange exchange = new Exchange(silo.exchange());
        Exchange.Slot slot = new Exchange.Slot(job.jobId(), round, attempt);
        if (exchange.hasAnswer(slot)) {
          double latency = (clock.millis() - published.get(silo.id())) / 1e3;
          answers.put(silo.id(), verify(silo, exchange, slot, nonces.get(silo.id()), global, modelSha, latency));
        }
      }
      long validCount = answers.values().stream().filter(a -> "accepted".equals(a.status())).count();
      long now = clock.millis();
      if (answers.size() == asked.size()) {
        break;
      }
      if (validCount >= job.minSilos()) {
        if (quorumAt == null) {
          quorumAt = now;
        } else if (now - quorumAt >= job.graceMillis()) {
          closedByQuorum = true;
          break;
        }
      }
      if (now >= deadline) {
        break;
      }
      sleeper.sleep(job.pollMillis());
    }
    String missing = closedByQuorum
        ? String.format("no answer when the quorum closed the round, %.1f s after the request",
            (clock.millis() - opened) / 1e3)
        : "no answer within the round's " + job.roundTimeoutMillis() / 1000.0 + " s";
    List<Answer> all = new ArrayList<>();
    for (JobSpec.Silo silo : asked) {
      all.add(answers.getOrDefault(silo.id(), new Answer(silo.id(), "timed out", missing, null, -1)));
    }
    return all;
  }

  /** Verifies a silo's answer; anything wrong makes it "invalid", with the reason. */
  Answer verify(JobSpec.Silo silo, Exchange exchange, Exchange.Slot slot, String nonce, Parameters global,
      String modelSha, double latency) {
    String answerUri = exchange.answer(slot);
    try {
      byte[] bytes = exchange.readNoLinks(answerUri, "answer", Signed.MAX_BYTES);
      Signed.Opened opened = open(silo, bytes);
      if (Messages.REFUSAL.equals(opened.type())) {
        Messages.Refusal r = Messages.Refusal.fromJson(opened.body());
        if (!r.jobId().equals(job.jobId()) || r.round() != slot.round() || !r.silo().equals(silo.id())) {
          throw new Rejected("refusal for another job, round or silo");
        }
        if (!r.nonce().equals(nonce)) {
          throw new Rejected("refusal answers another request (nonce)", "the silo's reason: " + r.reason());
        }
        return new Answer(silo.id(), "refused", r.reason(), null, latency);
      }
      Messages.UpdateReport u = Messages.UpdateReport.fromJson(opened.body());
      if (!u.jobId().equals(job.jobId()) || u.round() != slot.round() || !u.silo().equals(silo.id())) {
        throw new Rejected("update for another job, round or silo");
      }
      if (!u.nonce().equals(nonce)) {
        throw new Rejected("update answers another request (nonce)");
      }
      if (!u.modelSha256().equals(modelSha)) {
        throw new Rejected("update was trained from another global model");
      }
      // Messages.UpdateReport checked the fields, their ranges and precision: samples is an integer >= 1
      double samples = u.metadata().get("samples");
      if (silo.declared() && samples > silo.declaredSamples()) {
        throw new Rejected("update claims more samples than " + silo.id() + " declared",
            String.format("%.0f > %d", samples, silo.declaredSamples()));
      }
      if (samples > job.maxSamples()) {
        throw new Rejected("update claims more samples than the job allows",
            String.format("%.0f > max_samples %d", samples, job.maxSamples()));
      }
      byte[] weights = exchange.readNoLinks(exchange.updateWeights(slot), "update weights",
          Exchange.modelFileLimit(job.spec()));
      if (!Artifacts.sha256Hex(weights).equals(u.updateSha256())) {
        throw new Rejected("update weights do not match the signed digest");
      }
      Parameters parameters;
      try {
        parameters = ModelFormat.decode(weights, exchange.updateWeights(slot));
      } catch (ModelFormatException e) {
        throw new Rejected("update weights are corrupt", e.getMessage());
      }
      if (!parameters.spec().equals(job.spec())) {
        throw new Rejected("update has the wrong shape", parameters.spec() + " instead of " + job.spec());
      }
      double sum = 0;
      for (int i = 0; i < parameters.size(); i++) {
        if (!Float.isFinite(parameters.get(i))) {
          throw new Rejected("update has values that are not finite numbers");
        }
        double d = (double) parameters.get(i) - global.get(i);
        sum += d * d;
      }
      if (!(Math.sqrt(sum) <= job.maxUpdateNorm())) {
        throw new Rejected("update is further from the global model than the job allows",
            String.format("norm %.4g > max_update_norm %.4g", Math.sqrt(sum), job.maxUpdateNorm()));
      }
      // a private copy: the exchange belongs to the silo too, so the pipeline reads what was verified
      String copy = Artifacts.resolve(Artifacts.resolve(Artifacts.resolve(job.output(), "updates"),
          String.format("r%04d-a%d", slot.round(), slot.attempt())), silo.id() + ".fbm");
      Artifacts.writeAtomically(copy, weights);
      return new Answer(silo.id(), "accepted", null, new AggregationPipeline.UpdateRef(silo.id(), slot.round(), copy,
          u.updateSha256(), (long) samples, u.metadata().getOrDefault("train_loss", 0.0),
          u.metadata().getOrDefault("train_ms", 0.0).longValue()), latency);
    } catch (Rejected e) {
      return new Answer(silo.id(), "invalid", e.getMessage(), null, latency);
    }
  }

  /**
   * Opens an answer signed by one of {@code silo}'s keys valid now; an answer signed by one of its
   * keys outside that key's validity is refused saying so.
   */
  private Signed.Opened open(JobSpec.Silo silo, byte[] bytes) throws Rejected {
    Instant now = clock.instant();
    Map<String, PublicKey> valid = new LinkedHashMap<>();
    silo.keys().stream().filter(k -> k.validAt(now)).forEach(k -> valid.put(k.keyId(), k.key()));
    try {
      return Signed.open(bytes, Set.of(Messages.UPDATE, Messages.REFUSAL), valid);
    } catch (Rejected e) {
      if (!e.reason().equals("signed by an unknown key")) {
        throw e;
      }
      for (JobSpec.SiloKey k : silo.keys()) {
        if (!k.validAt(now) && e.getMessage().endsWith("key id " + k.keyId())) {
          throw new Rejected("signed by a key of " + silo.id() + " that is not valid now", "key id " + k.keyId()
              + (k.notAfter() != null && now.isAfter(k.notAfter()) ? ", expired at " + k.notAfter()
                  : ", valid from " + k.notBefore()) + "; now is " + now);
        }
      }
      throw new Rejected("not signed by " + silo.id() + "'s key", e.getMessage());
    }
  }

  private static String describe(List<Answer> answers) {
    List<String> parts = new ArrayList<>();
    for (Answer a : answers) {
      parts.add(a.silo() + " " + a.status() + (a.reason() == null ? "" : ": " + a.reason()));
    }
    return String.join("; ", parts);
  }

}
