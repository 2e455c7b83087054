package org.fedbeam.pipelines.federated;

import com.fasterxml.jackson.databind.JsonNode;
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
import java.util.TreeMap;
import org.apache.beam.sdk.Pipeline;
import org.fedbeam.model.DenseNetwork;
import org.fedbeam.model.EvalReport;
import org.fedbeam.model.ModelFormat;
import org.fedbeam.model.ModelFormatException;
import org.fedbeam.model.Parameters;
import org.fedbeam.model.Stats;
import org.fedbeam.pipelines.protocol.Exchange;
import org.fedbeam.pipelines.protocol.JobSpec;
import org.fedbeam.pipelines.protocol.Keys;
import org.fedbeam.pipelines.protocol.Messages;
import org.fedbeam.pipelines.protocol.Rejected;
import org.fedbeam.pipelines.protocol.Signed;
import org.fedbeam.pipelines.rounds.AggregationPipeline;
import org.fedbeam.pipelines.rounds.RoundRecords;
import org.fedbeam.pipelines.rounds.SiloPipeline;
import org.fedbeam.pipelines.runners.Runners;
import org.fedbeam.transforms.Artifacts;
import org.fedbeam.transforms.Errors;

/**
 * The orchestrator of the federated mode ({@code fedbeam orchestrate --job JOB.json}). Per round:
 * it publishes the global model and a signed round request in each silo's exchange area; waits
 * until every silo has answered, or {@code min_silos} valid updates are in and the grace period
 * has passed, or the round's deadline passes; verifies each answer (the silo's own signature, the
 * job, round, nonce and model digest of the request, the weights' SHA-256, shape and finite
 * values); copies the valid updates into its own storage; and runs the {@link AggregationPipeline}
 * on its own Flink. Silos that timed out, refused or sent invalid answers are recorded per round.
 * A round without a quorum is retried (a new attempt, new nonces) up to {@code max_attempts}
 * times; then the job fails, saying why.
 *
 * <p>It trusts no silo's word alone: an answer must be signed by one of the silo's keys that is
 * valid at the time it is verified (so a silo rotating its key is accepted with either key during
 * the overlap, and not with the old one after its {@code not_after}); an update may claim no more
 * samples than its silo declared, and each update's share of the round is capped
 * ({@link RoundWeights}).
 */
public final class Orchestrator {
  private final JobSpec job;
  private final Keys.Identity identity;
  private final OrchestrateOptions options;
  private final PrintStream out;
  private final Clock clock;

  /** The outcome of one silo in one attempt. */
  record Answer(String silo, String status, String reason, AggregationPipeline.UpdateRef update, double latencySeconds) {}

  Orchestrator(JobSpec job, OrchestrateOptions options, PrintStream out) {
    this(job, options, out, Clock.systemUTC());
  }

  /** {@code clock} decides which of a silo's keys are valid when its answer is verified. */
  Orchestrator(JobSpec job, OrchestrateOptions options, PrintStream out, Clock clock) {
    if (options.getWarmUpRuns() < 0) {
      throw new IllegalArgumentException("--warmUpRuns must be 0 or more; was " + options.getWarmUpRuns());
    }
    this.job = job;
    this.identity = Keys.load(job.submitterKey());
    this.options = options;
    // how its jobs are listed in the Flink web UI and REST API
    options.setJobName("fedbeam-aggregate-" + job.jobId());
    this.out = out;
    this.clock = clock;
  }

  /** Runs the job the options name; returns the run summary (also in OUTPUT/run-summary.json). */
  public static ObjectNode run(OrchestrateOptions options, PrintStream out) throws Exception {
    JobSpec job = JobSpec.read(java.nio.file.Path.of(options.getJob()));
    return new Orchestrator(job, options, out).run();
  }

  ObjectNode run() throws Exception {
    long started = System.nanoTime();
    String output = job.output();
    DenseNetwork network = new DenseNetwork(job.spec());
    Parameters global = network.initialize(job.seed());
    String modelUri = model(0);
    Artifacts.writeAtomically(modelUri, ModelFormat.encode(global));
    out.printf("orchestrator (pid %d, key %s): job %s, %d silos, quorum %d, model %s%n", ProcessHandle.current().pid(),
        identity.keyId(), job.jobId(), job.silos().size(), job.minSilos(), job.spec().describe());
    for (JobSpec.Silo silo : job.silos()) {
      if (!silo.declared()) {
        out.printf("  silo %s declared no sample count: its updates get at most an equal share of a round%n", silo.id());
      }
    }
    int accepted = 0;
    int refused = 0;
    int invalid = 0;
    int timedOut = 0;
    int completed = 0;
    ArrayNode roundsJson = Signed.JSON.createArrayNode();
    Map<String, List<Double>> latencies = new TreeMap<>();
    List<Double> roundWalls = new ArrayList<>();
    EvalReport lastTest = null;
    double best = Double.POSITIVE_INFINITY;
    int stale = 0;
    try (Runners.Session session = Runners.prepare(options, output, options.getWebUiPort(), out)) {
      if (session.webUi() != null) {
        out.println("orchestrator Flink web UI " + session.webUi());
      }
      // the same pipeline every round (it reads the round from its descriptor): translated once on an embedded cluster
      org.fedbeam.pipelines.runners.RoundRunner rounds = session.roundRunner();
      String aggregationUri = Artifacts.resolve(Artifacts.resolve(output, "rounds"), "current-aggregation.json");
      warmUp(rounds, aggregationUri, modelUri);
      for (int round = 1; round <= job.rounds(); round++) {
        long roundStart = System.nanoTime();
        byte[] globalBytes = Artifacts.read(modelUri, "global model");
        List<Answer> answers = null;
        List<AggregationPipeline.UpdateRef> valid = new ArrayList<>();
        ObjectNode roundJson = roundsJson.addObject();
        roundJson.put("round", round);
        ArrayNode attempts = roundJson.putArray("attempts");
        for (int attempt = 1; attempt <= job.maxAttempts(); attempt++) {
          answers = attempt(round, attempt, globalBytes);
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
              out.printf("  round %d attempt %d: %s %s%s%n", round, attempt, ans.silo(), ans.status(),
                  ans.reason() == null ? "" : ": " + ans.reason());
            }
          }
          if (valid.size() >= job.minSilos()) {
            break;
          }
          out.printf("  round %d attempt %d: %d valid update(s), the quorum is %d%n", round, attempt, valid.size(),
              job.minSilos());
        }
        if (valid.size() < job.minSilos()) {
          throw new JobFailed("job " + job.jobId() + " failed: round " + round + " had " + valid.size()
              + " valid update(s) after " + job.maxAttempts() + " attempt(s), the quorum is " + job.minSilos() + " ("
              + describe(answers) + ")");
        }
        String roundDir = Artifacts.resolve(Artifacts.resolve(output, "rounds"), String.format("round-%04d", round));
        String next = model(round);
        List<AggregationPipeline.UpdateRef> weighed = RoundWeights.weigh(job, valid, roundJson);
        new AggregationPipeline.AggregationRound(round, next, roundDir, weighed).write(aggregationUri);
        rounds.run(round, () -> {
          Pipeline p = Pipeline.create(options);
          AggregationPipeline.build(p, job.spec(), aggregationUri, job.evaluation());
          return p;
        });
        if (!Artifacts.exists(next)) {
          throw new JobFailed("round " + round + ": the aggregation pipeline wrote no model");
        }
        modelUri = next;
        completed = round;
        double wall = (System.nanoTime() - roundStart) / 1e9;
        roundWalls.add(wall);
        roundJson.put("wall_s", wall);
        ArrayNode used = roundJson.putArray("aggregated");
        valid.forEach(v -> used.add(v.silo()));
        StringBuilder line = new StringBuilder(String.format("round %d/%d  wall %.2fs  updates %d/%d", round,
            job.rounds(), wall, valid.size(), job.silos().size()));
        for (String name : job.evaluation().keySet()) {
          JsonNode e = RoundRecords.readJson(Artifacts.resolve(roundDir, "eval-" + name + ".json"), name + " evaluation");
          roundJson.set(name, e);
          line.append(String.format("  %s acc %.4f loss %.4f", name, e.path("accuracy").asDouble(),
              e.path("log_loss").asDouble()));
        }
        out.println(line);
        out.flush();
        RoundRecords.write(Artifacts.resolve(roundDir, "round.json"), roundJson);
        JsonNode validation = roundJson.get("validation");
        if (validation != null) {
          double loss = validation.path("log_loss").asDouble();
          if (loss < best - job.tolerance()) {
            best = loss;
            stale = 0;
          } else if (++stale >= job.patience()) {
            out.printf("converged: validation loss improved by less than %g for %d rounds%n", job.tolerance(),
                job.patience());
            break;
          }
        }
      }
    }
    ObjectNode summary = Signed.JSON.createObjectNode();
    summary.put("mode", "federated");
    summary.put("job_id", job.jobId());
    summary.put("rounds_completed", completed);
    summary.put("silos", job.silos().size());
    summary.put("updates_accepted", accepted);
    summary.put("updates_refused", refused);
    summary.put("updates_invalid", invalid);
    summary.put("silos_timed_out", timedOut);
    JsonNode lastRound = roundsJson.isEmpty() ? null : roundsJson.get(roundsJson.size() - 1);
    if (lastRound != null && lastRound.has("test")) {
      summary.put("fl_accuracy", lastRound.get("test").path("accuracy").asDouble());
    } else {
      summary.putNull("fl_accuracy");
    }
    summary.put("final_model", modelUri);
    summary.put("final_model_sha256", Artifacts.sha256Hex(Artifacts.read(modelUri, "final model")));
    summary.put("round_wall_s_median", Stats.median(roundWalls.stream().mapToDouble(Double::doubleValue).toArray()));
    ObjectNode lat = summary.putObject("silo_latency_s_median");
    latencies.forEach((silo, l) -> lat.put(silo, Stats.median(l.stream().mapToDouble(Double::doubleValue).toArray())));
    summary.put("orchestrator_pid", ProcessHandle.current().pid());
    summary.put("total_s", (System.nanoTime() - started) / 1e9);
    summary.set("rounds", roundsJson);
    RoundRecords.write(Artifacts.resolve(output, "run-summary.json"), summary);
    return summary;
  }

  /**
   * Translates the aggregation pipeline and runs it {@code --warmUpRuns} times on a scratch round
   * (the initial model, averaged with itself alone, and evaluated), while the silos start, so the
   * rounds do not pay for the translation and a cold JVM: on this machine the JIT compiler's work
   * in the first rounds otherwise competes with the silos for the cores. The scratch output is
   * deleted; if it fails, round 1 translates instead.
   */
  private void warmUp(org.fedbeam.pipelines.runners.RoundRunner rounds, String aggregationUri, String initialUri) {
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
      new AggregationPipeline.AggregationRound(1, model, scratch, List.of(new AggregationPipeline.UpdateRef("initial-model",
          1, copy, Artifacts.sha256Hex(initial), 1, 0, 0))).write(aggregationUri);
      for (int i = 0; i < options.getWarmUpRuns(); i++) {
        rounds.run(0, () -> {
          Pipeline p = Pipeline.create(options);
          AggregationPipeline.build(p, job.spec(), aggregationUri, job.evaluation());
          return p;
        });
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
  List<Answer> attempt(int round, int attempt, byte[] globalBytes) throws InterruptedException {
    String modelSha = Artifacts.sha256Hex(globalBytes);
    Parameters global = ModelFormat.decode(globalBytes, "global model of round " + round);
    long deadline = System.currentTimeMillis() + job.roundTimeoutMillis();
    Map<String, String> nonces = new LinkedHashMap<>();
    Map<String, Long> published = new LinkedHashMap<>();
    for (JobSpec.Silo silo : job.silos()) {
      Exchange exchange = new Exchange(silo.exchange());
      Exchange.Slot slot = new Exchange.Slot(job.jobId(), round, attempt);
      String nonce = Messages.newNonce();
      nonces.put(silo.id(), nonce);
      Messages.RoundRequest request = new Messages.RoundRequest(job.jobId(), round, attempt, nonce, silo.id(),
          SiloPipeline.REF, job.spec(), modelSha, job.config(),
          org.fedbeam.model.Seeds.derive(job.seed(), "local-train", round, job.silos().indexOf(silo)), deadline);
      // through no link: a link planted in the exchange is moved aside, never written through
      exchange.write(exchange.globalModel(slot), globalBytes);
      // the signed request is written last: it tells the silo the model is complete
      exchange.write(exchange.request(slot), Signed.seal(Messages.REQUEST, request.toJson(), identity));
      published.put(silo.id(), System.nanoTime());
    }
    Map<String, Answer> answers = new LinkedHashMap<>();
    Long quorumAt = null;
    long opened = System.nanoTime();
    boolean closedByQuorum = false;
    while (true) {
      for (JobSpec.Silo silo : job.silos()) {
        if (answers.containsKey(silo.id())) {
          continue;
        }
        Exchange exchange = new Exchange(silo.exchange());
        Exchange.Slot slot = new Exchange.Slot(job.jobId(), round, attempt);
        if (exchange.hasAnswer(slot)) {
          double latency = (System.nanoTime() - published.get(silo.id())) / 1e9;
          answers.put(silo.id(), verify(silo, exchange, slot, nonces.get(silo.id()), global, modelSha, latency));
        }
      }
      long validCount = answers.values().stream().filter(a -> "accepted".equals(a.status())).count();
      long now = System.currentTimeMillis();
      if (answers.size() == job.silos().size()) {
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
      Thread.sleep(job.pollMillis());
    }
    String missing = closedByQuorum
        ? String.format("no answer when the quorum closed the round, %.1f s after the request",
            (System.nanoTime() - opened) / 1e9)
        : "no answer within the round's " + job.roundTimeoutMillis() / 1000.0 + " s";
    List<Answer> all = new ArrayList<>();
    for (JobSpec.Silo silo : job.silos()) {
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

  private String model(int round) {
    return Artifacts.resolve(Artifacts.resolve(job.output(), "models"), String.format("round-%04d.fbm", round));
  }

  private static String describe(List<Answer> answers) {
    List<String> parts = new ArrayList<>();
    for (Answer a : answers) {
      parts.add(a.silo() + " " + a.status() + (a.reason() == null ? "" : ": " + a.reason()));
    }
    return String.join("; ", parts);
  }

  /** The job cannot go on; the message says why. */
  public static final class JobFailed extends RuntimeException {
    JobFailed(String message) {
      super(message);
    }
  }
}
