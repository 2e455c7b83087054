package org.fedbeam.pipelines.federated;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.allOf;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.fedbeam.data.table.NumericColumn;
import org.fedbeam.data.table.TableColumn;
import org.fedbeam.pipelines.protocol.Exchange;
import org.fedbeam.pipelines.protocol.JobSpec;
import org.fedbeam.pipelines.protocol.Keys;
import org.fedbeam.pipelines.protocol.Messages;
import org.fedbeam.pipelines.protocol.RefusalReason;
import org.fedbeam.pipelines.protocol.Signed;
import org.fedbeam.pipelines.protocol.StatsJob;
import org.fedbeam.pipelines.protocol.StatsMessages;
import org.fedbeam.stats.StatsQuery;
import org.fedbeam.transforms.Artifacts;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Attacks on federated statistics, each replayed against a real silo agent (or the real orchestrator's
 * verification), asserting the refusal and that nothing left the silo: a curious orchestrator holding a
 * trusted key asks for per-record values; anyone writing to the exchange forges or replays a request;
 * a lying silo sends a hostile stats file.
 */
class StatsAttackTest {
  @TempDir
  Path dir;
  private StatsWorld stats;
  private SiloAgent alpha;

  @BeforeEach
  void setUp() throws Exception {
    stats = new StatsWorld(dir, rows -> rows);
    alpha = stats.world.agent("alpha");
  }

  @AfterEach
  void tearDown() throws Exception {
    stats.world.close();
  }

  private static StatsQuery query(int k, boolean minMax, List<Double> ranks, List<String> columns) {
    return new StatsQuery(StatsQuery.Pass.SUMMARY, columns, 10, Map.of(), ranks, k, minMax, 3, StatsQuery.Noise.NONE,
        Map.of());
  }

  /** Asks {@code q} as the trusted orchestrator; asserts a refusal with {@code reason}, no release, the audit naming {@code field}. */
  private void assertRefused(String job, StatsQuery q, RefusalReason reason, String field) throws Exception {
    stats.publish("alpha", job, 1, q, stats.world.submitter);
    alpha.answerPending();
    Signed.Opened a = stats.answer("alpha", job, StatsMessages.passOf(q.pass()), 1);
    assertThat(job, a.type(), equalTo(Messages.REFUSAL));
    assertThat(job, a.body().get("reason").asText(), equalTo(reason.text()));
    assertThat(job + ": nothing released", stats.statsFileAt("alpha", job, StatsMessages.passOf(q.pass()), 1),
        equalTo(false));
    List<String> audit = stats.world.auditLines("alpha");
    assertThat(audit.get(audit.size() - 1), allOf(containsString(job), containsString(field)));
  }

  @Test
  void aCuriousOrchestratorAsksForPerRecordValuesAndIsRefused() throws Exception {
    assertRefused("k-one", query(1, false, StatsQuery.DEFAULT_RANKS, List.of()), RefusalReason.OUTSIDE_POLICY,
        "min_cell_count");
    assertRefused("min-max", query(10, true, StatsQuery.DEFAULT_RANKS, List.of()), RefusalReason.OUTSIDE_POLICY,
        "release_min_max");
    assertRefused("rank-zero", query(10, false, List.of(0.0), List.of()), RefusalReason.OUTSIDE_POLICY, "rank 0.0");
    assertRefused("rank-one", query(10, false, List.of(1.0), List.of()), RefusalReason.OUTSIDE_POLICY, "rank 1.0");
    assertRefused("rank-near", query(10, false, List.of(0.001), List.of()), RefusalReason.OUTSIDE_POLICY,
        "fewer than k");
    assertRefused("label", query(10, false, StatsQuery.DEFAULT_RANKS, List.of("class")), RefusalReason.OUTSIDE_POLICY,
        "is the label");
    StatsQuery bins = query(10, false, StatsQuery.DEFAULT_RANKS, List.of("duration")).withPass(StatsQuery.Pass.HISTOGRAM,
        Map.of("duration", new StatsQuery.Bins(12, 12.001, 1000)));
    assertRefused("tiny-bins", bins, RefusalReason.OUTSIDE_POLICY, "max_bins");
    assertRefused("no-column", query(10, false, StatsQuery.DEFAULT_RANKS, List.of("ssn")), RefusalReason.OUTSIDE_POLICY,
        "no column 'ssn'");
    assertThat(stats.world.assertEveryRefusalReasonIsFixed(), equalTo(8));
  }

  @Test
  void reAskingANoisyQueryGetsTheCachedReleaseNotFreshNoise() throws Exception {
    Map<String, StatsQuery.Clip> clip = new TreeMap<>();
    for (TableColumn c : stats.pooled.columns()) {
      if (c instanceof NumericColumn) {
        clip.put(c.name(), new StatsQuery.Clip(0, 100));
      }
    }
    StatsQuery noisy = new StatsQuery(StatsQuery.Pass.SUMMARY, List.of(), 10, Map.of(), List.of(), 10, false, 3,
        new StatsQuery.Noise("laplace", 1.0, 0), clip);
    stats.publish("alpha", "avg", 1, noisy, stats.world.submitter);
    alpha.answerPending();
    stats.publish("alpha", "avg", 2, noisy, stats.world.submitter);
    alpha.answerPending();

    assertThat(stats.answer("alpha", "avg", 1, 1).type(), equalTo(StatsMessages.STATS));
    assertThat(stats.answer("alpha", "avg", 1, 2).type(), equalTo(StatsMessages.STATS));
    Exchange ex = new Exchange(stats.world.exchanges.get("alpha"));
    byte[] first = Artifacts.read(StatsMessages.statsFile(ex, new Exchange.Slot("avg", 1, 1)), "first");
    byte[] second = Artifacts.read(StatsMessages.statsFile(ex, new Exchange.Slot("avg", 1, 2)), "second");
    assertThat("the same release, no fresh noise to average", new String(second, StandardCharsets.UTF_8),
        equalTo(new String(first, StandardCharsets.UTF_8)));
    ObjectNode ledger = (ObjectNode) Signed.JSON.readTree(Files.readAllBytes(stats.world.privateDir("alpha")
        .resolve("state/" + PrivacyLedger.FILE)));
    assertThat("charged once", ledger.get("statistics_releases").asInt(), equalTo(1));
    assertThat(ledger.get("epsilon").asDouble() > 0, equalTo(true));
  }

  @Test
  void aForgedOrReplayedStatsRequestGetsNothing() throws Exception {
    Keys.Identity stranger = Keys.create(dir.resolve("stranger"));
    stats.publish("alpha", "forged", 1, query(10, false, StatsQuery.DEFAULT_RANKS, List.of()), stranger);
    alpha.answerPending();
    Exchange ex = new Exchange(stats.world.exchanges.get("alpha"));
    assertThat("no answer to a forged request", ex.hasAnswer(new Exchange.Slot("forged", 1, 1)), equalTo(false));
    assertThat(alpha.movedAside(), equalTo(1L));

    // a genuine request, copied by someone to another slot
    stats.publish("alpha", "genuine", 1, query(10, false, StatsQuery.DEFAULT_RANKS, List.of()), stats.world.submitter);
    byte[] genuine = Artifacts.read(ex.request(new Exchange.Slot("genuine", 1, 1)), "request");
    Artifacts.writeAtomically(ex.request(new Exchange.Slot("genuine", 1, 2)), genuine);
    alpha.answerPending();
    assertThat(stats.answer("alpha", "genuine", 1, 1).type(), equalTo(StatsMessages.STATS));
    Signed.Opened copy = stats.answer("alpha", "genuine", 1, 2);
    assertThat(copy.type(), equalTo(Messages.REFUSAL));
    assertThat(copy.body().get("reason").asText(), equalTo(RefusalReason.INVALID_REQUEST.text()));
    assertThat(stats.statsFileAt("alpha", "genuine", 1, 2), equalTo(false));
  }

  @Test
  void aLyingSilosStatsFileIsRefusedNamingTheSilo() throws Exception {
    Path jobFile = stats.job("lies", Signed.JSON.createObjectNode().put("k", 10));
    StatsJob job = StatsJob.read(jobFile);
    StatsRounds rounds = new StatsRounds(job, stats.world.submitter, dir.resolve("out").toString(), System.out,
        Clock.systemUTC(), ExchangeRounds.Sleeper.REAL);
    JobSpec.Silo silo = job.silos().get(0);
    Exchange ex = new Exchange(silo.exchange());
    Exchange.Slot slot = new Exchange.Slot(job.exchangeJob(), 1, 1);
    StatsQuery q = job.query();
    String nonce = Messages.newNonce();
    String honest = "{\"silo\":\"alpha\",\"pass\":\"SUMMARY\",\"k\":10,\"rows\":500,\"label\":\"class\","
        + "\"labels\":{\"values\":{\"good\":350,\"bad\":150},\"other\":0},\"noise\":{\"mechanism\":\"none\","
        + "\"epsilon\":0,\"delta\":0},\"columns\":[{\"name\":\"duration\",\"type\":\"numeric\",\"count\":500,"
        + "\"missing\":0,\"moments\":null,\"min\":null,\"max\":null,\"bins\":null,\"histogram\":null,\"sketch\":null,"
        + "\"categories\":null}]}";
    assertThat(lie(rounds, silo, ex, slot, nonce, q, honest, null).status(), equalTo("accepted"));

    StatsRounds.Answer wrongSha = lie(rounds, silo, ex, slot, nonce, q, honest, "0".repeat(64));
    assertThat(wrongSha.reason(), containsString("does not match the signed SHA-256"));
    StatsRounds.Answer extra = lie(rounds, silo, ex, slot, nonce, q, honest.replace("\"k\":10,",
        "\"k\":10,\"raw_rows\":[1,2],"), null);
    assertThat(extra.reason(), allOf(containsString("silo alpha"), containsString("raw_rows")));
    StatsRounds.Answer negative = lie(rounds, silo, ex, slot, nonce, q, honest.replace("\"count\":500", "\"count\":-3"),
        null);
    assertThat(negative.reason(), allOf(containsString("silo alpha"), containsString("count")));
    StatsRounds.Answer small = lie(rounds, silo, ex, slot, nonce, q, honest.replace("\"count\":500", "\"count\":3"),
        null);
    assertThat(small.reason(), containsString(">= k"));
    StatsRounds.Answer huge = lie(rounds, silo, ex, slot, nonce, q, " ".repeat(9 << 20) + honest, null);
    assertThat(huge.reason(), containsString("larger than any valid one"));
    for (StatsRounds.Answer a : List.of(wrongSha, extra, negative, small, huge)) {
      assertThat(a.silo(), equalTo("alpha"));
      assertThat(a.status(), equalTo("invalid"));
      assertThat(a.copy() == null, equalTo(true));
    }
  }

  /** Writes a stats file and alpha's signed answer claiming {@code sha} (null: the file's own). */
  private StatsRounds.Answer lie(StatsRounds rounds, JobSpec.Silo silo, Exchange ex, Exchange.Slot slot, String nonce,
      StatsQuery q, String file, String sha) {
    byte[] bytes = file.getBytes(StandardCharsets.UTF_8);
    Artifacts.writeAtomically(StatsMessages.statsFile(ex, slot), bytes);
    StatsMessages.StatsReport r = new StatsMessages.StatsReport(slot.jobId(), 1, nonce, "alpha",
        StatsMessages.querySha256(q), sha == null ? Artifacts.sha256Hex(bytes) : sha);
    Artifacts.writeAtomically(ex.answer(slot), Signed.seal(StatsMessages.STATS, r.toJson(),
        stats.world.siloKeys.get("alpha")));
    return rounds.verify(silo, ex, slot, nonce, q);
  }
}
