package org.fedbeam.pipelines.federated;

import java.io.PrintStream;
import java.security.PublicKey;
import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.fedbeam.pipelines.protocol.Exchange;
import org.fedbeam.pipelines.protocol.JobSpec;
import org.fedbeam.pipelines.protocol.Keys;
import org.fedbeam.pipelines.protocol.Messages;
import org.fedbeam.pipelines.protocol.Rejected;
import org.fedbeam.pipelines.protocol.Signed;
import org.fedbeam.pipelines.protocol.StatsJob;
import org.fedbeam.pipelines.protocol.StatsMessages;
import org.fedbeam.pipelines.rounds.SiloStatsPipeline;
import org.fedbeam.stats.SiloStats;
import org.fedbeam.stats.SiloStatsJson;
import org.fedbeam.stats.StatsQuery;
import org.fedbeam.transforms.Artifacts;

/**
 * One pass of federated statistics over the exchange, for {@link StatsOrchestrator}: posts a signed
 * stats request in each silo's exchange area, waits until every silo answered, or the quorum
 * ({@code min_silos} valid releases) is in and the grace period passed, or the deadline passed (as a
 * training round does, on the given {@link Clock} and {@link ExchangeRounds.Sleeper}), and verifies
 * each answer: signed by one of that silo's keys valid now, for this job, pass, silo and nonce; the
 * release file's SHA-256 the one signed, the file no larger than {@link StatsMessages#MAX_STATS_BYTES},
 * parsed strictly ({@link SiloStatsJson}: a lying silo's file is hostile) and naming that silo and pass.
 * A pass without a quorum is tried again (new attempt, new nonces) up to {@code max_attempts} times.
 */
final class StatsRounds {
  /** One silo's outcome: {@code accepted} with its verified private copy, {@code refused}, {@code invalid} or {@code timed out}. */
  record Answer(String silo, String status, String reason, String copy, SiloStats stats) {}

  private final StatsJob job;
  private final Keys.Identity identity;
  private final String output;
  private final PrintStream out;
  private final Clock clock;
  private final ExchangeRounds.Sleeper sleeper;

  StatsRounds(StatsJob job, Keys.Identity identity, String output, PrintStream out, Clock clock,
      ExchangeRounds.Sleeper sleeper) {
    this.job = job;
    this.identity = identity;
    this.output = output;
    this.out = out;
    this.clock = clock;
    this.sleeper = sleeper;
  }

  /** Runs one pass to a quorum (retrying); the answers of its last attempt. */
  List<Answer> pass(StatsQuery query) throws InterruptedException {
    int pass = StatsMessages.passOf(query.pass());
    int first = firstFreeAttempt(pass);
    List<Answer> answers = List.of();
    for (int attempt = first; attempt < first + job.maxAttempts(); attempt++) {
      answers = attempt(pass, attempt, query);
      long valid = answers.stream().filter(a -> "accepted".equals(a.status())).count();
      for (Answer a : answers) {
        if (!"accepted".equals(a.status())) {
          out.printf("  pass %d attempt %d: %s %s%s%n", pass, attempt, a.silo(), a.status(),
              a.reason() == null ? "" : ": " + a.reason());
        }
      }
      if (valid >= job.minSilos()) {
        return answers;
      }
      out.printf("  pass %d attempt %d: %d valid release(s), the quorum is %d%n", pass, attempt, valid, job.minSilos());
    }
    List<String> parts = new ArrayList<>();
    answers.forEach(a -> parts.add(a.silo() + " " + a.status() + (a.reason() == null ? "" : ": " + a.reason())));
    throw new Orchestrator.JobFailed("statistics job " + job.jobId() + " failed: pass " + pass + " had too few valid"
        + " releases after " + job.maxAttempts() + " attempt(s), the quorum is " + job.minSilos() + " ("
        + String.join("; ", parts) + ")");
  }

  /** The first attempt no request was posted under in any silo's exchange (a rerun never reuses a slot). */
  private int firstFreeAttempt(int pass) {
    int attempt = 1;
    for (JobSpec.Silo silo : job.silos()) {
      Exchange ex = new Exchange(silo.exchange());
      while (Artifacts.exists(ex.request(new Exchange.Slot(job.exchangeJob(), pass, attempt)))) {
        attempt++;
      }
    }
    return attempt;
  }

  private List<Answer> attempt(int pass, int attempt, StatsQuery query) throws InterruptedException {
    long deadline = clock.millis() + job.timeoutMillis();
    Exchange.Slot slot = new Exchange.Slot(job.exchangeJob(), pass, attempt);
    Map<String, String> nonces = new LinkedHashMap<>();
    for (JobSpec.Silo silo : job.silos()) {
      Exchange ex = new Exchange(silo.exchange());
      String nonce = Messages.newNonce();
      nonces.put(silo.id(), nonce);
      StatsMessages.StatsRequest r = new StatsMessages.StatsRequest(job.exchangeJob(), pass, attempt, nonce, silo.id(),
          SiloStatsPipeline.REF, query, deadline);
      ex.write(ex.request(slot), Signed.seal(StatsMessages.STATS_REQUEST, r.toJson(), identity));
    }
    Map<String, Answer> answers = new LinkedHashMap<>();
    Long quorumAt = null;
    while (true) {
      for (JobSpec.Silo silo : job.silos()) {
        Exchange ex = new Exchange(silo.exchange());
        if (!answers.containsKey(silo.id()) && ex.hasAnswer(slot)) {
          answers.put(silo.id(), verify(silo, ex, slot, nonces.get(silo.id()), query));
        }
      }
      long valid = answers.values().stream().filter(a -> "accepted".equals(a.status())).count();
      long now = clock.millis();
      if (answers.size() == job.silos().size() || now >= deadline) {
        break;
      }
      if (valid >= job.minSilos()) {
        quorumAt = quorumAt == null ? now : quorumAt;
        if (now - quorumAt >= job.graceMillis()) {
          break;
        }
      }
      sleeper.sleep(job.pollMillis());
    }
    List<Answer> all = new ArrayList<>();
    for (JobSpec.Silo silo : job.silos()) {
      all.add(answers.getOrDefault(silo.id(), new Answer(silo.id(), "timed out", "no answer in time", null, null)));
    }
    return all;
  }

  /** Verifies a silo's answer; anything wrong makes it {@code invalid}, naming the silo and what was wrong. */
  Answer verify(JobSpec.Silo silo, Exchange ex, Exchange.Slot slot, String nonce, StatsQuery query) {
    try {
      byte[] bytes = ex.readNoLinks(ex.answer(slot), "answer", Signed.MAX_BYTES);
      Signed.Opened opened = open(silo, bytes);
      if (Messages.REFUSAL.equals(opened.type())) {
        Messages.Refusal r = Messages.Refusal.fromJson(opened.body());
        if (!r.jobId().equals(slot.jobId()) || r.round() != slot.round() || !r.silo().equals(silo.id())
            || !r.nonce().equals(nonce)) {
          throw new Rejected("refusal answers another request (job, pass, silo or nonce)");
        }
        return new Answer(silo.id(), "refused", r.reason(), null, null);
      }
      StatsMessages.StatsReport rep = StatsMessages.StatsReport.fromJson(opened.body());
      if (!rep.jobId().equals(slot.jobId()) || rep.pass() != slot.round() || !rep.silo().equals(silo.id())
          || !rep.nonce().equals(nonce)) {
        throw new Rejected("stats answer answers another request (job, pass, silo or nonce)");
      }
      if (!rep.querySha256().equals(StatsMessages.querySha256(query))) {
        throw new Rejected("stats answer answers another query");
      }
      String file = StatsMessages.statsFile(ex, slot);
      byte[] stats = ex.readNoLinks(file, "stats file", StatsMessages.MAX_STATS_BYTES);
      if (!Artifacts.sha256Hex(stats).equals(rep.statsSha256())) {
        throw new Rejected("stats file does not match the signed SHA-256");
      }
      SiloStats s;
      try {
        s = SiloStatsJson.decode(stats, "the stats file of silo " + silo.id());
      } catch (IllegalArgumentException e) {
        throw new Rejected("stats file refused", e.getMessage());
      }
      if (!s.silo().equals(silo.id()) || s.pass() != query.pass() || s.k() < query.k()) {
        throw new Rejected("stats file refused", "it is of silo " + s.silo() + " pass " + s.pass() + " k " + s.k()
            + ", the request was to " + silo.id() + " pass " + query.pass() + " k " + query.k());
      }
      String copy = Artifacts.resolve(Artifacts.resolve(Artifacts.resolve(output, "releases"),
          String.format("p%d-a%d", slot.round(), slot.attempt())), silo.id() + ".json");
      Artifacts.writeAtomically(copy, stats);
      return new Answer(silo.id(), "accepted", null, copy, s);
    } catch (Rejected e) {
      return new Answer(silo.id(), "invalid", e.getMessage(), null, null);
    }
  }

  private Signed.Opened open(JobSpec.Silo silo, byte[] bytes) throws Rejected {
    Map<String, PublicKey> valid = new LinkedHashMap<>();
    silo.keys().stream().filter(k -> k.validAt(clock.instant())).forEach(k -> valid.put(k.keyId(), k.key()));
    try {
      return Signed.open(bytes, Set.of(StatsMessages.STATS, Messages.REFUSAL), valid);
    } catch (Rejected e) {
      throw new Rejected("not signed by a key of " + silo.id() + " valid now", e.getMessage());
    }
  }
}
