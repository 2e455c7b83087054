package org.fedbeam.stats;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.fedbeam.data.table.CategoricalColumn;
import org.fedbeam.data.table.NumericColumn;
import org.fedbeam.data.table.Table;
import org.fedbeam.data.table.TableColumn;
import org.fedbeam.model.SiloComputation;

/**
 * Federated statistics inside a silo: one pass of a {@link StatsQuery} on the silo's prepared {@link
 * Table}, with the {@link Disclosure} rules (and the {@link DpNoise}, if asked) applied before the
 * {@link SiloStats} is returned, so nothing that leaves breaks them. The silo's name is the table's
 * {@link Table#source()}. Without noise, the release is exact; with noise, the counts, clipped sums and
 * sums of squares are noisy, and no sketch, minimum or maximum is released.
 */
public final class StatsComputation implements SiloComputation<StatsQuery, Table, SiloStats> {
  private static final long serialVersionUID = 1L;
  /** The one instance: it holds nothing. */
  public static final StatsComputation INSTANCE = new StatsComputation();

  private StatsComputation() {}

  @Override
  public String id() {
    return "stats";
  }

  /**
   * @throws IllegalArgumentException naming the silo and the column: a column asked for but absent, a
   *     column with no value at all, fewer rows than k, noise without clipping bounds
   */
  @Override
  public SiloStats compute(StatsQuery query, Table table, long seed) {
    String silo = table.source();
    int k = query.k();
    if (table.rows() < k) {
      throw new IllegalArgumentException("silo " + silo + ": it has " + table.rows() + " rows, fewer than k = " + k
          + "; it releases no statistics");
    }
    List<TableColumn> columns = new ArrayList<>();
    for (String name : query.select(table.columnNames())) {
      TableColumn c = table.column(name);
      if (c == null) {
        throw new IllegalArgumentException("silo " + silo + ": no column '" + name + "' (it has " + table.columnNames()
            + ")");
      }
      if (c.missingCount() == c.rows()) {
        throw new IllegalArgumentException("silo " + silo + ": column '" + name + "' has no value in its " + c.rows()
            + " rows");
      }
      if (query.noise().on() && c instanceof NumericColumn && !query.clipping().containsKey(name)) {
        throw new IllegalArgumentException("silo " + silo + ": noise needs clipping bounds for numeric column '" + name
            + "'");
      }
      columns.add(c);
    }
    boolean summary = query.pass() == StatsQuery.Pass.SUMMARY;
    DpNoise noise = query.noise().on()
        ? new DpNoise(query.noise(), components(query, columns), new SplittableRandom(seed))
        : null;
    List<SiloStats.ColumnStats> out = new ArrayList<>();
    for (TableColumn c : columns) {
      if (c instanceof NumericColumn n) {
        out.add(summary ? NumericStats.summary(n, query, noise) : NumericStats.histogram(n, query, noise));
      } else if (summary) {
        out.add(categorical((CategoricalColumn) c, k, noise));
      } else {
        out.add(new SiloStats.ColumnStats(c.name(), c.type(), null, null, null, null, null, null, null, null, null));
      }
    }
    Long rows = null;
    SiloStats.Categories labels = null;
    if (summary) {
      rows = noise == null ? table.rows() : Math.max(k, noise.count(table.rows()));
      labels = Disclosure.fold(counts(table.label(), noise), 0, k);
    }
    StatsQuery.Noise n = query.noise();
    return new SiloStats(silo, query.pass(), k, rows, out, table.label().name(), labels, n.mechanism(), n.epsilon(),
        n.delta());
  }

  /** How many components a noisy release of this pass has (each gets epsilon / components). */
  static int components(StatsQuery query, List<TableColumn> columns) {
    int m = 0;
    for (TableColumn c : columns) {
      if (query.pass() == StatsQuery.Pass.SUMMARY) {
        m += c instanceof NumericColumn ? 3 : 1; // present/missing, sum, sum of squares; or the categories
      } else if (c instanceof NumericColumn && query.histograms().containsKey(c.name())) {
        m += 1;
      }
    }
    return query.pass() == StatsQuery.Pass.SUMMARY ? m + 2 : Math.max(1, m); // + the rows and the labels
  }

  private static SiloStats.ColumnStats categorical(CategoricalColumn c, int k, DpNoise noise) {
    long missing = noise == null ? c.missingCount() : noise.count(c.missingCount());
    Map<String, Long> counts = counts(c, noise);
    SiloStats.Categories cats = Disclosure.fold(counts, missing, k);
    Long count = null;
    if (cats.missing() != null) {
      count = counts.values().stream().mapToLong(Long::longValue).sum();
      if (count > 0 && count < k) {
        count = null;
      }
    }
    if (count == null && cats.missing() != null) {
      cats = new SiloStats.Categories(cats.values(), cats.other(), null);
    }
    return new SiloStats.ColumnStats(c.name(), c.type(), count, cats.missing(), null, null, null, null, null, null, cats);
  }

  /** Each value's count (noisy with noise), in dictionary order; values counting 0 left out. */
  private static Map<String, Long> counts(CategoricalColumn c, DpNoise noise) {
    long[] n = new long[c.dictionary().size()];
    for (int r = 0; r < c.rows(); r++) {
      if (!c.isMissing(r)) {
        n[c.code(r)]++;
      }
    }
    Map<String, Long> out = new LinkedHashMap<>();
    for (int i = 0; i < n.length; i++) {
      long v = noise == null ? n[i] : noise.count(n[i]);
      if (v > 0) {
        out.put(c.dictionary().get(i), v);
      }
    }
    return out;
  }

  private Object readResolve() {
    return INSTANCE;
  }
}
