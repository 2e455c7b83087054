package org.fedbeam.stats;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.fedbeam.data.table.ColumnFacts;
import org.fedbeam.data.table.TableFacts;

/**
 * Federated statistics merged over silos: the {@link TableFacts} a preprocessing is fitted from.
 * {@link #of} takes one silo's release, {@link #merge} two groups of silos' (associative and, up to
 * rounding and the sketches' randomness, commutative), {@link #empty} is the identity. Its size is
 * O(columns x bins + sketches), whatever the number of silos, beyond the silos' names.
 *
 * @param silos the silos merged, in merge order
 * @param pass the pass they answered
 * @param k the largest k a silo applied
 * @param rowsTotal the silos' rows in all (null in the HISTOGRAM pass)
 * @param labelName the label column's name
 * @param labelCounts the label's named classes, summed (null in the HISTOGRAM pass)
 * @param labelOther the label's folded classes, summed (null in the HISTOGRAM pass)
 * @param globalColumns the columns, in the first silo's order
 * @param mechanism the noise mechanism the silos used
 * @param epsilon the largest epsilon a silo's release cost (each silo charges its own budget)
 * @param delta the largest delta
 */
public record GlobalStats(
    List<String> silos,
    StatsQuery.Pass pass,
    int k,
    Total rowsTotal,
    String labelName,
    Map<String, Total> labelCounts,
    Total labelOther,
    List<GlobalColumn> globalColumns,
    String mechanism,
    double epsilon,
    double delta) implements TableFacts, java.io.Serializable {

  /** Copies the lists and maps. */
  public GlobalStats {
    silos = List.copyOf(silos);
    globalColumns = List.copyOf(globalColumns);
    labelCounts = labelCounts == null ? null : Collections.unmodifiableMap(new LinkedHashMap<>(labelCounts));
  }

  /** No silo yet: the identity of {@link #merge}. */
  public static GlobalStats empty() {
    return new GlobalStats(List.of(), StatsQuery.Pass.SUMMARY, 1, null, "-", null, null, List.of(), "none", 0, 0);
  }

  /** Whether no silo has been merged. */
  public boolean isEmpty() {
    return silos.isEmpty();
  }

  /** One silo's release. */
  public static GlobalStats of(SiloStats s) {
    Map<String, Total> labels = null;
    Total other = null;
    if (s.labels() != null) {
      labels = new LinkedHashMap<>();
      for (Map.Entry<String, Long> e : s.labels().values().entrySet()) {
        labels.put(e.getKey(), new Total(e.getValue(), false));
      }
      other = Total.of(s.labels().other());
    }
    return new GlobalStats(List.of(s.silo()), s.pass(), s.k(), s.rows() == null ? null : new Total(s.rows(), false),
        s.labelName(), labels, other, s.columns().stream().map(GlobalColumn::of).toList(), s.mechanism(), s.epsilon(),
        s.delta());
  }

  /**
   * Both groups of silos merged.
   *
   * @throws IllegalArgumentException naming the silos and the column that disagree (a column missing in
   *     one, of another type, other histogram edges, another label, pass or noise mechanism)
   */
  public GlobalStats merge(GlobalStats o) {
    if (o.isEmpty()) {
      return this;
    }
    if (isEmpty()) {
      return o;
    }
    String mine = String.join(", ", silos);
    String theirs = String.join(", ", o.silos);
    if (pass != o.pass || !labelName.equals(o.labelName) || !mechanism.equals(o.mechanism)) {
      throw new IllegalArgumentException("silo " + theirs + " answered pass " + o.pass + " with label '" + o.labelName
          + "' and noise " + o.mechanism + ", silo " + mine + " pass " + pass + " with label '" + labelName
          + "' and noise " + mechanism);
    }
    List<GlobalColumn> cols = new ArrayList<>();
    for (GlobalColumn c : globalColumns) {
      GlobalColumn d = o.column(c.name());
      if (d == null) {
        throw new IllegalArgumentException("column '" + c.name() + "' is in silo " + mine + " but missing in silo "
            + theirs);
      }
      cols.add(c.merge(d, mine, theirs));
    }
    for (GlobalColumn d : o.globalColumns) {
      if (column(d.name()) == null) {
        throw new IllegalArgumentException("column '" + d.name() + "' is in silo " + theirs + " but missing in silo "
            + mine);
      }
    }
    Map<String, Total> labels = null;
    Total other = null;
    if (labelCounts != null && o.labelCounts != null) {
      GlobalColumn a = labelColumn();
      GlobalColumn b = o.labelColumn();
      GlobalColumn merged = a.merge(b, mine, theirs);
      labels = new LinkedHashMap<>(merged.categoryTotals());
      other = merged.other();
    }
    List<String> names = new ArrayList<>(silos);
    names.addAll(o.silos);
    return new GlobalStats(names, pass, Math.max(k, o.k),
        rowsTotal == null || o.rowsTotal == null ? null : rowsTotal.plus(o.rowsTotal),
        labelName, labels, other, cols, mechanism, Math.max(epsilon, o.epsilon), Math.max(delta, o.delta));
  }

  private GlobalColumn labelColumn() {
    return new GlobalColumn(labelName, "categorical", new Total(0, false), new Total(0, false), null, false, null,
        null, null, null, null, labelCounts, labelOther);
  }

  /** The column named {@code name}, or null. */
  public GlobalColumn column(String name) {
    return globalColumns.stream().filter(c -> c.name().equals(name)).findFirst().orElse(null);
  }

  /**
   * The summary pass with the histograms of {@code histograms} (the HISTOGRAM pass over the same
   * silos) put into its columns.
   */
  public GlobalStats withHistograms(GlobalStats histograms) {
    List<GlobalColumn> cols = new ArrayList<>();
    for (GlobalColumn c : globalColumns) {
      GlobalColumn h = histograms.column(c.name());
      cols.add(h == null || h.histogram() == null ? c : new GlobalColumn(c.name(), c.type(), c.countTotal(),
          c.missingTotal(), c.moments(), c.partial() || h.partial(), c.minValue(), c.maxValue(), h.bins(), h.histogram(), c.sketch(),
          c.categoryTotals(), c.other()));
    }
    return new GlobalStats(silos, pass, k, rowsTotal, labelName, labelCounts, labelOther, cols, mechanism,
        epsilon + histograms.epsilon, delta + histograms.delta);
  }

  @Override
  public long rows() {
    return rowsTotal == null ? 0 : rowsTotal.value();
  }

  @Override
  public List<ColumnFacts> columns() {
    return List.copyOf(globalColumns);
  }

  @Override
  public Map<String, Long> labels() {
    Map<String, Long> out = new LinkedHashMap<>();
    if (labelCounts != null) {
      labelCounts.forEach((v, t) -> out.put(v, t.value()));
    }
    return out;
  }

  /**
   * The numeric columns whose moments some silo withheld (fewer than k values there, or one record
   * dominating): their merged mean and variance are the other silos', not the whole federation's, so a
   * preprocessing fitted from them is not the pooled one. Callers warn with these names.
   */
  public java.util.List<String> partialColumns() {
    return globalColumns().stream().filter(c -> c.partial() && "numeric".equals(c.type())).map(GlobalColumn::name)
        .toList();
  }
}
