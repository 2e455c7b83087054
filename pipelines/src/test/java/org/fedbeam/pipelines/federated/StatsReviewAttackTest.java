package org.fedbeam.pipelines.federated;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.greaterThan;
import static org.hamcrest.Matchers.lessThan;
import static org.hamcrest.Matchers.nullValue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.fedbeam.data.table.CategoricalColumn;
import org.fedbeam.data.table.NumericColumn;
import org.fedbeam.data.table.Table;
import org.fedbeam.data.table.TableFormat;
import org.fedbeam.pipelines.protocol.Exchange;
import org.fedbeam.pipelines.protocol.JobSpec;
import org.fedbeam.pipelines.protocol.Messages;
import org.fedbeam.pipelines.protocol.Signed;
import org.fedbeam.pipelines.protocol.StatsJob;
import org.fedbeam.pipelines.protocol.StatsMessages;
import org.fedbeam.pipelines.rounds.StatsMergePipeline;
import org.fedbeam.stats.SiloStats;
import org.fedbeam.stats.SiloStatsJson;
import org.fedbeam.stats.StatsQuery;
import org.fedbeam.transforms.Artifacts;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An independent review's attacks on federated statistics (issue 13), each replayed against a real silo
 * agent answering signed requests from its exchange, or the orchestrator's real verification and merge
 * pipeline. Each asserts what the threat model promises ("nothing that leaves a silo may single out a
 * record"); a failing test is a defect.
 */
class StatsReviewAttackTest {
  private static final int K = 10;
  @TempDir
  Path dir;
  private StatsWorld stats;

  @BeforeEach
  void setUp() throws Exception {
    stats = new StatsWorld(dir, rows -> rows);
  }

  @AfterEach
  void tearDown() throws Exception {
    stats.world.close();
  }

  /** Replaces alpha's prepared table with one column {@code x} holding {@code values} (NaN: missing). */
  private void alphaTable(String column, double[] values) throws Exception {
    int[] codes = new int[values.length];
    for (int i = 0; i < codes.length; i++) {
      codes[i] = i % 2;
    }
    Table t = new Table("alpha", List.of(new NumericColumn(column, values)),
        new CategoricalColumn("class", List.of("good", "bad"), codes));
    Artifacts.writeAtomically(stats.world.privateDir("alpha").resolve("table.fbtb").toString(), TableFormat.encode(t));
  }

  private static StatsQuery summary(String column) {
    return new StatsQuery(StatsQuery.Pass.SUMMARY, List.of(column), 10, Map.of(), List.of(0.5), K, false, 3,
        StatsQuery.Noise.NONE, Map.of());
  }

  /** Asks alpha's real agent {@code q} as the trusted orchestrator; returns what left the silo. */
  private SiloStats ask(SiloAgent alpha, String job, StatsQuery q) throws Exception {
    stats.publish("alpha", job, 1, q, stats.world.submitter);
    alpha.answerPending();
    int pass = StatsMessages.passOf(q.pass());
    assertThat(job + " pass " + pass + " answered with statistics", stats.answer("alpha", job, pass, 1).type(),
        equalTo(StatsMessages.STATS));
    Exchange ex = new Exchange(stats.world.exchanges.get("alpha"));
    byte[] file = Artifacts.read(StatsMessages.statsFile(ex, new Exchange.Slot(job, pass, 1)), "release");
    return SiloStatsJson.decode(file, "alpha's release");
  }

  /**
   * A curious orchestrator with a trusted key asks the ordinary two passes of one job on one grid. Pass 1
   * releases the column's present count (480) and its missing count (20, >= k). Pass 2 suppresses a bin
   * holding one record, and as its complement hides the missing count (the smallest other cell of the
   * partition {missing, bins}), which pass 1 had already released. So the released present count minus
   * the released bins is the suppressed bin: 1 record lies in [500, 1000), singled out.
   */
  @Test
  void aBinSuppressedInPassTwoIsThePassOneCountMinusTheReleasedBins() throws Exception {
    double[] x = new double[500];
    for (int i = 0; i < x.length; i++) {
      x[i] = i < 20 ? Double.NaN : (i * 0.83) % 400;
    }
    x[499] = 777; // the one record the orchestrator wants to isolate
    alphaTable("x", x);
    SiloAgent alpha = stats.world.agent("alpha");

    SiloStats one = ask(alpha, "isolate", summary("x"));
    SiloStats two = ask(alpha, "isolate", summary("x").withPass(StatsQuery.Pass.HISTOGRAM,
        Map.of("x", new StatsQuery.Bins(0, 1000, 2))));

    Long present = one.column("x").count();
    assertThat("pass 1 released the present count", present, equalTo(480L));
    long released = 0;
    for (Long cell : two.column("x").histogram()) {
      released += cell == null ? 0 : cell;
    }
    long recovered = present - released;
    assertThat("the suppressed bins of pass 2, recovered as pass 1's count minus the released bins "
        + two.column("x").histogram() + ", must be 0 or >= k", recovered == 0 || recovered >= K, equalTo(true));
  }

  /**
   * The policy refuses the maximum (rule (e): "the maximum is a record"), and the sketch clamps outliers
   * (rule (f)); but the exact mean and M2 of a column are released. With one outlier among ordinary values,
   * mean + sqrt(M2 (n - 1) / n) is the outlier's value: the richest customer's income, to 0.1%.
   */
  @Test
  void theExactMomentsRevealTheOutlierTheMaximumRuleHides() throws Exception {
    double[] income = new double[500];
    for (int i = 0; i < income.length; i++) {
      income[i] = 1000 + (i * 37L % 4000);
    }
    double max = 987_654.321;
    income[123] = max;
    alphaTable("income", income);
    SiloAgent alpha = stats.world.agent("alpha");

    SiloStats one = ask(alpha, "outlier", summary("income"));
    SiloStats.ColumnStats c = one.column("income");
    assertThat("the maximum itself is refused", c.max(), nullValue());
    assertThat("the sketch holds no outlier", Sketch.maxItem(c.sketch()), lessThan(5000.0));
    // the dominance rule: one record carries most of the column's sum of squared deviations, so the silo
    // withholds the moments (else mean + sqrt(M2 (n - 1) / n) would give the hidden maximum)
    if (c.moments() != null) {
      double n = c.moments().n();
      double estimate = c.moments().mean() + Math.sqrt(c.moments().m2() * (n - 1) / n);
      assertThat("the released moments must not give the hidden maximum " + max + " to within 1% (estimate "
          + estimate + ")", Math.abs(estimate - max) / max, greaterThan(0.01));
    }
    assertThat("the moments of a column one record dominates are withheld", c.moments(), nullValue());
    assertThat("the count is still released", c.count(), equalTo(500L));
  }

  /** The sketch's largest item, read with DataSketches. */
  private static final class Sketch {
    static double maxItem(String base64) {
      return org.fedbeam.stats.Sketches.decode(base64, -1, "sketch").getMaxItem();
    }
  }

  /**
   * A lying silo releases finite but absurd moments (mean 1.7e308), which {@link SiloStatsJson} accepts.
   * The orchestrator's merge then overflows (M2 becomes infinite) and the whole statistics job fails for
   * every party, instead of the lying silo being left out as {@code invalid} like any other bad release.
   */
  @Test
  void aLyingSilosUnmergeableMomentsAreInvalidNotAFailedJob() throws Exception {
    Path jobFile = stats.job("poison", Signed.JSON.createObjectNode().put("k", K));
    StatsJob job = StatsJob.read(jobFile);
    Path out = dir.resolve("out");
    StatsRounds rounds = new StatsRounds(job, stats.world.submitter, out.toString(), System.out, Clock.systemUTC(),
        ExchangeRounds.Sleeper.REAL);
    StatsQuery q = job.query();
    String template = "{\"silo\":\"SILO\",\"pass\":\"SUMMARY\",\"k\":10,\"rows\":500,\"label\":\"class\","
        + "\"labels\":{\"values\":{\"good\":350,\"bad\":150},\"other\":0},\"noise\":{\"mechanism\":\"none\","
        + "\"epsilon\":0,\"delta\":0},\"columns\":[{\"name\":\"duration\",\"type\":\"numeric\",\"count\":500,"
        + "\"missing\":0,\"moments\":{\"n\":500,\"mean\":MEAN,\"m2\":70000.0},\"min\":null,\"max\":null,"
        + "\"bins\":null,\"histogram\":null,\"sketch\":null,\"categories\":null}]}";
    List<String> copies = new ArrayList<>();
    StatsRounds.Answer honest = answer(rounds, job, 1, template.replace("SILO", "beta").replace("MEAN", "21.0"));
    StatsRounds.Answer lying = answer(rounds, job, 0, template.replace("SILO", "alpha").replace("MEAN", "1.7e308"));
    assertThat(honest.status(), equalTo("accepted"));
    copies.add(honest.copy());
    String merge = null;
    if ("accepted".equals(lying.status())) {
      copies.add(lying.copy());
      String runUri = out.resolve("run.json").toString();
      StatsMergePipeline.writeRun(runUri, copies, out.resolve("merged.json").toString());
      Pipeline p = Pipeline.create(PipelineOptionsFactory.fromArgs("--runner=DirectRunner").create());
      StatsMergePipeline.build(p, runUri);
      try {
        p.run().waitUntilFinish();
        merge = "merged";
      } catch (RuntimeException e) {
        merge = "the merge of every silo failed: " + e.getMessage();
      }
    }
    assertThat("the lying silo's release (then: " + merge + ")", lying.status(), equalTo("invalid"));
  }

  private StatsRounds.Answer answer(StatsRounds rounds, StatsJob job, int silo, String file) {
    JobSpec.Silo s = job.silos().get(silo);
    Exchange ex = new Exchange(s.exchange());
    Exchange.Slot slot = new Exchange.Slot(job.exchangeJob(), 1, 1);
    String nonce = Messages.newNonce();
    byte[] bytes = file.getBytes(StandardCharsets.UTF_8);
    Artifacts.writeAtomically(StatsMessages.statsFile(ex, slot), bytes);
    StatsMessages.StatsReport r = new StatsMessages.StatsReport(slot.jobId(), 1, nonce, s.id(),
        StatsMessages.querySha256(job.query()), Artifacts.sha256Hex(bytes));
    Artifacts.writeAtomically(ex.answer(slot), Signed.seal(StatsMessages.STATS, r.toJson(),
        stats.world.siloKeys.get(s.id())));
    return rounds.verify(s, ex, slot, nonce, job.query());
  }
}
