package org.fedbeam.pipelines.federated;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.apache.beam.sdk.Pipeline;
import org.fedbeam.data.table.Table;
import org.fedbeam.model.privacy.RdpAccountant;
import org.fedbeam.pipelines.protocol.Exchange;
import org.fedbeam.pipelines.protocol.Messages;
import org.fedbeam.pipelines.protocol.RefusalReason;
import org.fedbeam.pipelines.protocol.Rejected;
import org.fedbeam.pipelines.protocol.Signed;
import org.fedbeam.pipelines.protocol.StatsMessages;
import org.fedbeam.pipelines.rounds.SiloStatsPipeline;
import org.fedbeam.pipelines.runners.RoundRunner;
import org.fedbeam.stats.StatsQuery;
import org.fedbeam.stats.StatsQueryJson;
import org.fedbeam.transforms.Artifacts;
import org.fedbeam.transforms.Errors;
import org.fedbeam.transforms.GuardStatsEgress;
import org.fedbeam.transforms.SiloData;

/**
 * Answers one signed stats request of the silo agent in its slot of the exchange: checks it (its place,
 * its silo, the approved stats pipeline that is this build's, the deadline, the retries, then the
 * policy's {@code statistics} section, {@link StatsPolicy}), admits it against the job's record
 * ({@link StatsLedger}: a repeated query gets its cached release; a new one is within the per-job quota
 * and, if noisy, charged to the lifetime privacy ledger BEFORE it runs), runs the {@link
 * SiloStatsPipeline} on the silo's own Flink with the silo's own seed, and publishes what the egress
 * guard passed: the release file, then the signed {@value StatsMessages#STATS} message holding its
 * SHA-256. Otherwise a signed refusal with a fixed {@link RefusalReason}; the detail goes to the audit
 * log only.
 */
final class StatsAnswerer {
  private final LivePolicy live;
  private final Exchange exchange;
  private final Audit audit;
  private final RoundRunner runner;
  private final AgentOptions options;
  private final byte[] secret;
  private final StatsLedger jobs;
  private final PrivacyLedger privacy;
  private final PrintStream out;

  StatsAnswerer(LivePolicy live, Exchange exchange, Audit audit, RoundRunner runner, AgentOptions options, byte[] secret,
      PrintStream out) {
    this.live = live;
    this.exchange = exchange;
    this.audit = audit;
    this.runner = runner;
    this.options = options;
    this.secret = secret;
    this.jobs = new StatsLedger(live.policy().state());
    this.privacy = new PrivacyLedger(live.policy().state());
    this.out = out;
  }

  boolean answeredBefore(Exchange.Slot slot) {
    return jobs.answeredBefore(slot);
  }

  /** Answers one signed stats request: released, re-sent from the cache, or refused; always an audit line. */
  void answer(Signed.Opened opened, Exchange.Slot slot, ObjectNode event) {
    SiloPolicy policy = live.policy();
    StatsMessages.StatsRequest request = null;
    String place = JobLedger.place(slot);
    event.put("type", StatsMessages.STATS_REQUEST);
    event.put("submitter", policy.submitterNames().get(opened.signer()));
    event.put("submitter_key", opened.signer());
    try {
      request = StatsMessages.StatsRequest.fromJson(opened.body());
      check(request, slot, policy);
      ObjectNode state = jobs.read(slot.jobId());
      StatsLedger.checkReplay(state, request.nonce(), place);
      Table table = table(policy);
      policy.statistics().check(request.query(), table);
      String querySha = StatsMessages.querySha256(request.query());
      event.put("query_sha256", querySha);
      ObjectNode release = StatsLedger.release(state, querySha);
      if (release == null) {
        release = admit(request, state, querySha, place, policy);
        event.put("decision", "accepted");
        audit.record(event.deepCopy());
        run(request, slot, table, querySha, policy, release);
        jobs.write(slot.jobId(), state);
      } else {
        event.put("cached_from", release.path("place").asText());
      }
      publish(request, slot, querySha, release, state, event);
    } catch (Rejected e) {
      refuse(slot, request, e, event);
    } catch (RuntimeException e) {
      refuse(slot, request, new Rejected(RefusalReason.SILO_ERROR, Errors.messages(e)), event);
    }
  }

  private static void check(StatsMessages.StatsRequest r, Exchange.Slot slot, SiloPolicy policy) throws Rejected {
    if (!r.jobId().equals(slot.jobId()) || r.pass() != slot.round() || r.attempt() != slot.attempt()) {
      throw new Rejected(RefusalReason.INVALID_REQUEST, "the stats request does not match its place in the exchange:"
          + " body says job " + r.jobId() + " pass " + r.pass() + " attempt " + r.attempt());
    }
    if (!r.silo().equals(policy.silo())) {
      throw new Rejected(RefusalReason.INVALID_REQUEST, "the stats request is addressed to another silo: " + r.silo());
    }
    if (!policy.approvedPipelines().contains(r.pipeline()) || !r.pipeline().equals(SiloStatsPipeline.REF)) {
      throw new Rejected(RefusalReason.NOT_APPROVED, "the stats pipeline is not approved, or not the one this silo"
          + " runs (" + SiloStatsPipeline.REF + "): " + r.pipeline());
    }
    long now = System.currentTimeMillis();
    if (now > r.deadlineMillis()) {
      throw new Rejected(RefusalReason.EXPIRED, "deadline " + java.time.Instant.ofEpochMilli(r.deadlineMillis()));
    }
    if (r.deadlineMillis() - now > policy.maxDeadlineSeconds() * 1000 || r.attempt() > policy.maxAttemptsPerRound()) {
      throw new Rejected(RefusalReason.OUTSIDE_POLICY, "deadline or attempt beyond the policy: attempt " + r.attempt()
          + ", deadline " + java.time.Instant.ofEpochMilli(r.deadlineMillis()));
    }
  }

  private static Table table(SiloPolicy policy) throws Rejected {
    try {
      return SiloData.loadTable(policy.data(), "silo " + policy.silo());
    } catch (IllegalArgumentException e) {
      // e.g. a numeric shard: statistics need a prepared table (fedbeam prepare)
      throw new Rejected(RefusalReason.SILO_ERROR, e.getMessage());
    }
  }

  /** A new query of the job: within the quota, and its noise charged now, before it runs. */
  private ObjectNode admit(StatsMessages.StatsRequest r, ObjectNode state, String querySha, String place,
      SiloPolicy policy) throws Rejected {
    int done = StatsLedger.releases(state);
    if (done >= policy.statistics().maxRequestsPerJob()) {
      throw new Rejected(RefusalReason.QUOTA, "the silo released " + done + " statistics in job " + r.jobId()
          + ", max_stats_requests_per_job " + policy.statistics().maxRequestsPerJob());
    }
    double epsilon = Double.NaN;
    StatsQuery.Noise noise = r.query().noise();
    if (noise.on()) {
      epsilon = privacy.chargeRelease(policy.privacy(), rdpOf(noise), place, noise.mechanism() + " epsilon "
          + noise.epsilon() + (noise.delta() > 0 ? " delta " + noise.delta() : ""));
    }
    ObjectNode release = StatsLedger.startRelease(state, querySha, place, epsilon);
    jobs.write(r.jobId(), state); // charged and recorded before it runs: a crash never gives a free release
    return release;
  }

  /**
   * The R&eacute;nyi DP of one noisy release at the accountant's orders (Mironov 2017): Laplace, a pure
   * epsilon-DP release, is (alpha, min(epsilon, alpha epsilon^2 / 2))-RDP (Bun and Steinke 2016); the
   * classic Gaussian calibration with epsilon_i = epsilon / m and delta_i = delta / m per component is,
   * for every m, at most (alpha, alpha epsilon^2 / (4 ln(1.25 / delta)))-RDP (the m = 1 case, the largest).
   */
  static double[] rdpOf(StatsQuery.Noise noise) {
    double[] orders = RdpAccountant.orders();
    double[] rdp = new double[orders.length];
    double e = noise.epsilon();
    for (int i = 0; i < orders.length; i++) {
      double a = orders[i];
      rdp[i] = "laplace".equals(noise.mechanism()) ? Math.min(e, a * e * e / 2)
          : a * e * e / (4 * Math.log(1.25 / noise.delta()));
    }
    return rdp;
  }

  /** Runs the stats pipeline for a new query and records its outcome (the staged file, or the refusal). */
  private void run(StatsMessages.StatsRequest r, Exchange.Slot slot, Table table, String querySha, SiloPolicy policy,
      ObjectNode release) throws Rejected {
    String staging = Artifacts.resolve(Artifacts.resolve(Artifacts.resolve(policy.state(), "jobs"), slot.jobId()),
        "stats-" + querySha.substring(0, 16));
    Artifacts.requireNoLinks(policy.state(), Artifacts.resolve(staging, SiloStatsPipeline.STATS_FILE));
    for (String name : SiloStatsPipeline.STAGED_FILES) {
      Artifacts.deleteIfExists(Artifacts.resolve(staging, name));
    }
    StatsQuery q = r.query();
    StatsPolicy sp = policy.statistics();
    // the silo's own seed for this query: the orchestrator neither chooses nor predicts the noise
    long seed = org.fedbeam.model.Seeds.fromSecret(secret, r.jobId() + "/stats/" + querySha, r.pass());
    String runUri = Artifacts.resolve(policy.state(), "current-stats-run.json");
    new SiloStatsPipeline.StatsRun(new String(StatsQueryJson.encode(q), StandardCharsets.UTF_8), seed,
        new GuardStatsEgress.Expected(policy.silo(), q.pass().name(), q.k(), q.select(table.columnNames()),
            sp.releaseMinMax(), sp.maxColumns(), sp.maxBins(), sp.significantDigits(), policy.data()), staging)
        .write(runUri);
    release.put("staging", staging);
    try {
      runner.run(r.pass(), () -> {
        Pipeline p = Pipeline.create(options);
        SiloStatsPipeline.build(p, runUri);
        return p;
      });
    } catch (RuntimeException e) {
      release.put("refused", RefusalReason.SILO_ERROR.name());
      release.put("detail", "the stats pipeline failed: " + Errors.messages(e));
      return;
    }
    String refusal = Artifacts.resolve(staging, SiloStatsPipeline.REFUSAL_FILE);
    if (Artifacts.exists(refusal)) {
      String why = new String(Artifacts.read(refusal, "stats refusal"), StandardCharsets.UTF_8);
      release.put("refused", (why.startsWith(SiloStatsPipeline.COMPUTATION) ? RefusalReason.OUTSIDE_POLICY
          : RefusalReason.GUARD).name());
      release.put("detail", why);
      return;
    }
    byte[] stats = Artifacts.read(Artifacts.resolve(staging, SiloStatsPipeline.STATS_FILE), "staged statistics");
    release.put("stats_sha256", Artifacts.sha256Hex(stats));
  }

  /** Publishes the release of {@code release} for this request (or its recorded refusal). */
  private void publish(StatsMessages.StatsRequest r, Exchange.Slot slot, String querySha, ObjectNode release,
      ObjectNode state, ObjectNode event) throws Rejected {
    if (release.has("refused")) {
      throw new Rejected(RefusalReason.valueOf(release.get("refused").asText()), release.path("detail").asText());
    }
    byte[] stats = Artifacts.read(Artifacts.resolve(release.get("staging").asText(), SiloStatsPipeline.STATS_FILE),
        "the release staged before");
    String sha = Artifacts.sha256Hex(stats);
    if (!sha.equals(release.path("stats_sha256").asText())) {
      throw new IllegalStateException("the release staged at " + release.path("place").asText() + " has changed since");
    }
    ObjectNode publishing = event.deepCopy();
    publishing.put("decision", "publishing statistics");
    publishing.put("stats_sha256", sha);
    audit.record(publishing);
    exchange.write(StatsMessages.statsFile(exchange, slot), stats);
    StatsMessages.StatsReport report = new StatsMessages.StatsReport(r.jobId(), r.pass(), r.nonce(),
        live.policy().silo(), querySha, sha);
    exchange.write(exchange.answer(slot), Signed.seal(StatsMessages.STATS, report.toJson(), live.identity()));
    StatsLedger.answered(state, r.nonce(), JobLedger.place(slot));
    jobs.write(slot.jobId(), state);
    boolean cached = event.has("cached_from");
    event.put("decision", cached ? "statistics re-sent" : "statistics sent");
    event.put("stats_sha256", sha);
    audit.record(event);
    out.printf("%s: stats pass %d attempt %d of job %s: %s%n", live.policy().silo(), slot.round(), slot.attempt(),
        slot.jobId(), cached ? "the release made at " + event.get("cached_from").asText() + " re-sent, not computed again"
            : "statistics sent");
    out.flush();
  }

  private void refuse(Exchange.Slot slot, StatsMessages.StatsRequest request, Rejected e, ObjectNode event) {
    RefusalReason code = e.code() != null ? e.code() : RefusalReason.INVALID_REQUEST;
    String querySha = request == null ? "" : StatsMessages.querySha256(request.query());
    Messages.Refusal refusal = new Messages.Refusal(slot.jobId(), slot.round(), request == null ? "" : request.nonce(),
        live.policy().silo(), querySha, code.text());
    exchange.delete(StatsMessages.statsFile(exchange, slot));
    exchange.write(exchange.answer(slot), Signed.seal(Messages.REFUSAL, refusal.toJson(), live.identity()));
    if (request != null && request.jobId().equals(slot.jobId()) && request.silo().equals(live.policy().silo())
        && code != RefusalReason.REPLAY && code != RefusalReason.INVALID_REQUEST) {
      try {
        ObjectNode state = jobs.read(slot.jobId());
        StatsLedger.answered(state, request.nonce(), JobLedger.place(slot));
        jobs.write(slot.jobId(), state);
      } catch (RuntimeException ignored) {
        // the job's record cannot be read: the refusal stands, and the next request is refused as well
      }
    }
    event.put("decision", "refused");
    event.put("reason", code.name());
    event.put("detail", e.getMessage());
    audit.record(event);
    out.printf("%s: stats pass %d attempt %d of job %s refused: %s%n", live.policy().silo(), slot.round(),
        slot.attempt(), slot.jobId(), e.getMessage());
    out.flush();
  }
}
