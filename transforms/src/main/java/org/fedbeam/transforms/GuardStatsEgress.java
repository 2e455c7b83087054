package org.fedbeam.transforms;

import java.io.Serializable;
import java.math.BigDecimal;
import java.math.MathContext;
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
 *   <li>a sketch's items keep at most the allowed significant digits, and its smallest and largest
 *       items are each shared by at least k of the column's records (so no sketch carries an outlier).
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
        if (exact && c.count() != null) {
          suppressedSum(at + "histogram", c.count(), new ArrayList<>(c.histogram()), k);
        }
      }
      if (c.categories() != null) {
        categories(at + "categories", c.categories(), c.count(), k, exact);
      }
      if (c.sketch() != null) {
        sketch(at, c, table.column(c.name()), k, e.significantDigits());
      }
    }
    if (s.labels() != null) {
      categories("labels", s.labels(), s.rows(), k, exact);
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

  private static void sketch(String at, SiloStats.ColumnStats c, TableColumn column, int k, int digits) {
    if (!(column instanceof NumericColumn n)) {
      throw new IllegalArgumentException(at + "a sketch for a column that is not numeric in the table");
    }
    KllDoublesSketch sketch = Sketches.decode(c.sketch(), c.count(), at + "sketch");
    MathContext mc = new MathContext(digits);
    var it = sketch.iterator();
    while (it.next()) {
      double v = it.getQuantile();
      if (round(v, mc) != v) {
        throw new IllegalArgumentException(at + "a sketch item keeps more than " + digits + " significant digits");
      }
    }
    double lo = sketch.getMinItem();
    double hi = sketch.getMaxItem();
    if (round(lo, mc) != lo || round(hi, mc) != hi) {
      throw new IllegalArgumentException(at + "the sketch's extremes keep more than " + digits + " significant digits");
    }
    long atOrBelow = 0;
    long atOrAbove = 0;
    for (int r = 0; r < n.rows(); r++) {
      if (!n.isMissing(r)) {
        double v = round(n.value(r), mc);
        atOrBelow += v <= lo ? 1 : 0;
        atOrAbove += v >= hi ? 1 : 0;
      }
    }
    if (atOrBelow < k || atOrAbove < k) {
      throw new IllegalArgumentException(at + "the sketch's smallest or largest item is shared by fewer than k = " + k
          + " records (" + atOrBelow + ", " + atOrAbove + ")");
    }
  }

  private static double round(double v, MathContext mc) {
    return v == 0 || !Double.isFinite(v) ? v : new BigDecimal(v).round(mc).doubleValue();
  }
}
