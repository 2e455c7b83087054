package org.fedbeam.pipelines.rounds;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.fedbeam.stats.GlobalColumn;
import org.fedbeam.stats.GlobalStats;
import org.fedbeam.stats.SiloStats;
import org.fedbeam.stats.StatsQuery;
import org.fedbeam.stats.Total;

/**
 * {@code stats.txt}, in both modes: per column, each silo beside the global view; a suppressed cell shows
 * as {@code <k}, a global cell with a suppressed share as {@code >=n}.
 */
public final class StatsReport {
  private final GlobalStats global;
  private final Map<String, SiloStats> silos;
  private final StatsQuery query;

  public StatsReport(GlobalStats global, Map<String, SiloStats> silos, StatsQuery query) {
    this.global = global;
    this.silos = silos;
    this.query = query;
  }

  /** Every count cell that some silo suppressed (null in its release). */
  public long suppressedCells() {
    long n = 0;
    for (SiloStats s : silos.values()) {
      for (SiloStats.ColumnStats c : s.columns()) {
        n += (c.count() == null ? 1 : 0) + (c.missing() == null ? 1 : 0);
        if (c.histogram() != null) {
          n += c.histogram().stream().filter(x -> x == null).count();
        }
        if (c.categories() != null && c.categories().other() == null) {
          n++;
        }
      }
      if (s.labels() != null && s.labels().other() == null) {
        n++;
      }
    }
    return n;
  }

  public String text() {
    StringBuilder b = new StringBuilder();
    List<String> names = new ArrayList<>(silos.keySet());
    b.append(String.format(Locale.ROOT, "federated statistics: %d silos, k = %d, noise %s (epsilon %s)%n",
        silos.size(), global.k(), global.mechanism(), global.epsilon()));
    b.append("a cell shown as <k was suppressed by the silo; a global cell shown as >=N is a lower bound\n\n");
    row(b, "", names, "global");
    row(b, "rows", names.stream().map(s -> cell(silos.get(s).rows())).toList(), total(global.rowsTotal()));
    for (GlobalColumn g : global.globalColumns()) {
      b.append('\n').append(g.name()).append(" (").append(g.type()).append(")\n");
      row(b, "  count", map(names, g.name(), c -> cell(c.count())), total(g.countTotal()));
      row(b, "  missing", map(names, g.name(), c -> cell(c.missing())), total(g.missingTotal()));
      if ("numeric".equals(g.type())) {
        row(b, "  mean", map(names, g.name(), c -> c.moments() == null ? "-" : num(c.moments().mean())), num(g.mean()));
        row(b, "  variance", map(names, g.name(), c -> c.moments() == null ? "-" : num(c.moments().variance())),
            num(g.variance()));
        if (g.minValue() != null) {
          row(b, "  min", map(names, g.name(), c -> c.min() == null ? "-" : num(c.min())), num(g.minValue()));
          row(b, "  max", map(names, g.name(), c -> c.max() == null ? "-" : num(c.max())), num(g.maxValue()));
        }
        for (double r : query.ranks()) {
          row(b, "  quantile " + r, names.stream().map(s -> "").toList(),
              g.quantile(r).isPresent() ? num(g.quantile(r).getAsDouble()) : "-");
        }
        if (g.histogram() != null) {
          for (int i = 0; i < g.histogram().size(); i++) {
            int bin = i;
            String label = i == 0 ? "  < " + num(g.bins().lo()) : i == g.histogram().size() - 1
                ? "  >= " + num(g.bins().hi()) : "  [" + num(g.bins().edge(i)) + ",)";
            row(b, label, map(names, g.name(), c -> c.histogram() == null ? "-" : cell(c.histogram().get(bin))),
                total(g.histogram().get(i)));
          }
        }
      } else {
        g.categoryTotals().forEach((v, t) -> row(b, "  " + v, map(names, g.name(),
            c -> c.categories().values().containsKey(v) ? cell(c.categories().values().get(v)) : "-"), total(t)));
        row(b, "  (other)", map(names, g.name(), c -> cell(c.categories().other())), total(g.other()));
      }
    }
    b.append('\n').append(global.labelName()).append(" (label)\n");
    global.labelCounts().forEach((v, t) -> row(b, "  " + v, names.stream().map(s -> {
      Long n = silos.get(s).labels().values().get(v);
      return n == null ? "-" : cell(n);
    }).toList(), total(t)));
    row(b, "  (other)", names.stream().map(s -> cell(silos.get(s).labels().other())).toList(), total(global.labelOther()));
    return b.toString();
  }

  private List<String> map(List<String> names, String column, java.util.function.Function<SiloStats.ColumnStats,
      String> f) {
    return names.stream().map(s -> f.apply(silos.get(s).column(column))).toList();
  }

  private String cell(Long n) {
    return n == null ? "<" + global.k() : Long.toString(n);
  }

  private static String total(Total t) {
    return t == null ? "-" : t.toString();
  }

  private static String num(double v) {
    return Double.isNaN(v) ? "-" : String.format(Locale.ROOT, "%.6g", v);
  }

  private static void row(StringBuilder b, String label, List<String> cells, String global) {
    b.append(String.format(Locale.ROOT, "%-22s", label));
    for (String c : cells) {
      b.append(String.format(Locale.ROOT, " %14s", c));
    }
    b.append(String.format(Locale.ROOT, " | %14s%n", global));
  }

}
