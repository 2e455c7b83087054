package org.fedbeam.transforms;

import java.io.Serializable;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.apache.beam.sdk.values.TupleTag;
import org.apache.beam.sdk.values.TupleTagList;
import org.apache.datasketches.kll.KllDoublesSketch;
import org.fedbeam.data.table.NumericColumn;
import org.fedbeam.data.table.Table;
import org.fedbeam.data.table.TableColumn;
import org.fedbeam.stats.SiloStats;
import org.fedbeam.stats.SiloStatsJson;
import org.fedbeam.stats.Disclosure;
import org.fedbeam.stats.Sketches;

/**
 * The egress guard of the silo statistics pipeline: the last step before a release is staged,
 * independent of the computation that made it. It reads the release's bytes (its JSON) with the
 * strict {@link SiloStatsJson} (only the known fields, every cell 0 or at least k), then re-checks what
 * would leave against the policy and the silo's own table:
 * <ul>
 *   <li>it names this silo and the pass asked, with k at least the expected one, and exactly the columns asked;
 *   <li>every released count is 0 or at least k; in an exact release, the cells a partition suppressed
 *       (a histogram's, a categorical column's, the labels') sum to 0 or at least k, so no suppressed
 *       cell is the total minus the others;
 *   <li>every named category and label class has a released count of at least k;
 *   <li>no minimum or maximum unless allowed; at most {@code maxColumns} columns and {@code maxBins} bins;
 *   <li>a sketch's items are each the rounded mean of a group of at least k of the column's records
 *       (microaggregated, never a record's value), and at least k records lie at or beyond each extreme
 *       item (so no sketch carries an outlier).
 * </ul>
 * What passes leaves as those very bytes on {@link #ALLOWED}; anything else is a reason on
 * {@link #REFUSED} (counted: {@code fedbeam/statsEgressAllowed}, {@code fedbeam/statsEgressRefused}).
 */
public final class GuardStatsEgress extends PTransform<PCollection<String>, PCollectionTuple> {
  public static final TupleTag<String> ALLOWED = new TupleTag<>() {};
  public static final TupleTag<String> REFUSED = new TupleTag<>() {};

  /**
   * What the guard lets out in one run.
   *
   * @param columns the columns asked, in order
   * @param significantDigits the digits the query's sketch items are rounded to (within the policy's)
   * @param dataUri the silo's table, against which sketches are checked
   */
  public record Expected(String silo, String pass, int k, List<String> columns, boolean releaseMinMax, int maxColumns,
      int maxBins, int significantDigits, String dataUri) implements Serializable {}

  /** Where the guard reads what it expects, at run time (the pipeline is translated once). */
  public interface Expectation extends Serializable {
    Expected current();
  }

  private final Expectation expectation;

  private GuardStatsEgress(Expectation expectation) {
    this.expectation = expectation;
  }

  /** A guard that checks each release against {@code expectation}'s current {@link Expected}. */
  public static GuardStatsEgress of(Expectation expectation) {
    return new GuardStatsEgress(expectation);
  }

  @Override
  public PCollectionTuple expand(PCollection<String> releases) {
    return releases.apply("CheckRelease", ParDo.of(new CheckFn(expectation))
        .withOutputTags(ALLOWED, TupleTagList.of(REFUSED)));
  }

  static final class CheckFn extends DoFn<String, String> {
    private final Expectation expectation;
    private final Counter allowed = Metrics.counter("fedbeam", "statsEgressAllowed");
    private final Counter refused = Metrics.counter("fedbeam", "statsEgressRefused");

    CheckFn(Expectation expectation) {
      this.expectation = expectation;
    }

    @ProcessElement
    public void process(@Element String release, MultiOutputReceiver out) {
      Expected e = expectation.current();
      try {
        byte[] bytes = release.getBytes(StandardCharsets.UTF_8);
        check(SiloStatsJson.decode(bytes, "the release"), e);
        allowed.inc();
        out.get(ALLOWED).output(new String(bytes, StandardCharsets.UTF_8));
      } catch (IllegalArgumentException ex) {
        refused.inc();
        out.get(REFUSED).output("stats egress guard: " + ex.getMessage());
      }
    }
  }

  /**
   * Checks a release against {@code e} and the silo's table.
   *
   * @throws IllegalArgumentException naming what would have leaked
   */
  public static void check(SiloStats s, Expected e) {
    if (!s.silo().equals(e.silo()) || !s.pass().name().equals(e.pass())) {
      throw new IllegalArgumentException("the release is of silo " + s.silo() + " pass " + s.pass() + ", not "
          + e.silo() + " pass " + e.pass());
    }
    if (s.k() < e.k()) {
      throw new IllegalArgumentException("the release applied k = " + s.k() + ", below " + e.k());
    }
    List<String> names = s.columns().stream().map(SiloStats.ColumnStats::name).toList();
    if (!names.equals(e.columns()) || names.size() > e.maxColumns()) {
      throw new IllegalArgumentException("the release has columns " + names + ", the request " + e.columns()
          + " (at most " + e.maxColumns() + ")");
    }
    int k = s.k();
    boolean exact = "none".equals(s.mechanism());
    Table table = SiloData.loadTable(e.dataUri(), "silo " + e.silo());
    for (SiloStats.ColumnStats c : s.columns()) {
      String at = "column '" + c.name() + "': ";
      if (c.min() != null && !e.releaseMinMax()) {
        throw new IllegalArgumentException(at + "a minimum and maximum, which the policy does not release");
      }
      if (c.histogram() != null) {
        if (c.bins().bins() > e.maxBins()) {
          throw new IllegalArgumentException(at + c.bins().bins() + " bins, more than " + e.maxBins());
        }
        if (exact) {
          // the bins partition the column's present count, whatever this pass released of it: the summary
          // pass released it, so the suppressed bins must sum to 0 or at least k against the table's own count
          long present = presentCount(table.column(c.name()), at);
          suppressedSum(at + "histogram", present, new ArrayList<>(c.histogram()), k);
        }
      }
      if (c.categories() != null) {
        categories(at + "categories", c.categories(), c.count(), k, exact);
      }
      if (c.sketch() != null) {
        sketch(at, c, table.column(c.name()), k, e.significantDigits());
      }
      if (c.moments() != null && exact) {
        moments(at, c.moments(), table.column(c.name()), k);
      }
    }
    if (s.labels() != null) {
      categories("labels", s.labels(), s.rows(), k, exact);
    }
  }

  private static long presentCount(TableColumn column, String at) {
    if (column == null) {
      throw new IllegalArgumentException(at + "a histogram for a column the table does not have");
    }
    return column.rows() - column.missingCount();
  }

  /**
   * Exact moments must be the column's own (n, mean and M2 of its present values; no bits to spare for a
   * covert channel), of at least k values, none of which carries more than Disclosure.MAX_DOMINANCE of M2 (the dominance rule:
   * else mean + sqrt(M2) would give that record's value away).
   */
  private static void moments(String at, org.fedbeam.stats.Moments m, TableColumn column, int k) {
    if (!(column instanceof NumericColumn n)) {
      throw new IllegalArgumentException(at + "moments for a column that is not numeric in the table");
    }
    double[] present = java.util.Arrays.stream(n.values()).filter(v -> !Double.isNaN(v)).toArray();
    org.fedbeam.stats.Moments own = org.fedbeam.stats.Moments.of(present);
    double tolerance = 1e-9;
    if (m.n() != own.n() || present.length < k
        || Math.abs(m.mean() - own.mean()) > tolerance * Math.max(1, Math.abs(own.mean()))
        || Math.abs(m.m2() - own.m2()) > tolerance * Math.max(1, own.m2())) {
      throw new IllegalArgumentException(at + "the moments are not the column's own");
    }
    double worst = 0;
    for (double v : present) {
      worst = Math.max(worst, (v - own.mean()) * (v - own.mean()));
    }
    if (own.m2() > 0 && worst > Disclosure.MAX_DOMINANCE * own.m2()) {
      throw new IllegalArgumentException(at + "one record carries more than " + Disclosure.MAX_DOMINANCE
          + " of the column's sum of squared deviations: its moments would give its value away");
    }
  }

  private static void categories(String at, SiloStats.Categories c, Long total, int k, boolean exact) {
    for (Map.Entry<String, Long> v : c.values().entrySet()) {
      if (v.getValue() < k) {
        throw new IllegalArgumentException(at + ": a named value counts " + v.getValue() + ", below k = " + k);
      }
    }
    if (exact && total != null) {
      List<Long> cells = new ArrayList<>(c.values().values());
      cells.add(c.other());
      suppressedSum(at, total, cells, k);
    }
  }

  /** The suppressed (null) cells of a partition whose total is released sum to 0 or at least k. */
  private static void suppressedSum(String at, long total, List<Long> cells, int k) {
    long released = 0;
    for (Long n : cells) {
      if (n != null) {
        if (n > 0 && n < k) {
          throw new IllegalArgumentException(at + ": a released count " + n + " is below k = " + k);
        }
        released += n;
      }
    }
    long suppressed = total - released;
    if (suppressed < 0 || (suppressed > 0 && suppressed < k)) {
      throw new IllegalArgumentException(at + ": the suppressed cells sum to " + suppressed
          + ", which the total minus the released cells would reveal (must be 0 or >= k = " + k + ")");
    }
  }

  /**
   * A sketch may hold only microaggregated values of the silo's own column (each the rounded mean of a
   * group of k to 2k - 1 of its sorted values, {@link Disclosure#microaggregate}), never a record's value;
   * and at least k of the column's records must lie at or beyond each of its extreme items.
   */
  private static void sketch(String at, SiloStats.ColumnStats c, TableColumn column, int k, int digits) {
    if (!(column instanceof NumericColumn n)) {
      throw new IllegalArgumentException(at + "a sketch for a column that is not numeric in the table");
    }
    KllDoublesSketch sketch = Sketches.decode(c.sketch(), c.count(), at + "sketch");
    double[] present = java.util.Arrays.stream(n.values()).filter(v -> !Double.isNaN(v)).toArray();
    if (present.length < k) {
      throw new IllegalArgumentException(at + "a sketch for a column with fewer than k = " + k + " values");
    }
    java.util.Set<Double> allowed = Disclosure.microaggregateValues(present, k, digits);
    var it = sketch.iterator();
    while (it.next()) {
      if (!allowed.contains(it.getQuantile())) {
        throw new IllegalArgumentException(at + "a sketch item is not the mean of a group of at least k = " + k
            + " of the column's records");
      }
    }
    double lo = sketch.getMinItem();
    double hi = sketch.getMaxItem();
    if (!allowed.contains(lo) || !allowed.contains(hi)) {
      throw new IllegalArgumentException(at + "the sketch's extremes are not means of groups of at least k = " + k
          + " records");
    }
    long atOrBelow = java.util.Arrays.stream(present).filter(v -> v <= lo).count();
    long atOrAbove = java.util.Arrays.stream(present).filter(v -> v >= hi).count();
    if (atOrBelow < k || atOrAbove < k) {
      throw new IllegalArgumentException(at + "fewer than k = " + k + " records lie at or beyond the sketch's smallest"
          + " or largest item (" + atOrBelow + ", " + atOrAbove + ")");
    }
  }
}
