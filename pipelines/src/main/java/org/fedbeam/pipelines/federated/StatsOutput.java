package org.fedbeam.pipelines.federated;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.fedbeam.pipelines.protocol.Signed;
import org.fedbeam.stats.GlobalColumn;
import org.fedbeam.stats.GlobalStats;
import org.fedbeam.stats.GlobalStatsJson;
import org.fedbeam.stats.SiloStats;
import org.fedbeam.stats.SiloStatsJson;
import org.fedbeam.stats.Total;
import org.fedbeam.transforms.Artifacts;

/**
 * What {@code fedbeam stats --job} writes: {@code stats.json} (the merged statistics, each silo's
 * releases, what was suppressed and spent) and {@code stats.txt} (a table per column: the global view,
 * then each silo beside it; a suppressed cell is {@code *}, a total with a suppressed share {@code >=n}).
 */
final class StatsOutput {
  private StatsOutput() {}

  /** Suppressed (null) cells in a silo's release: counts, histogram cells, categories' other and missing, labels. */
  static int suppressed(SiloStats s) {
    int n = 0;
    for (SiloStats.ColumnStats c : s.columns()) {
      n += (c.count() == null ? 1 : 0) + (c.missing() == null ? 1 : 0);
      if (c.histogram() != null) {
        n += (int) c.histogram().stream().filter(x -> x == null).count();
      }
      if (c.categories() != null) {
        n += c.categories().other() == null ? 1 : 0;
      }
    }
    if (s.labels() != null) {
      n += s.labels().other() == null ? 1 : 0;
    }
    return n;
  }

  /** Writes stats.json and stats.txt in {@code dir}; returns the summary line's object. */
  static ObjectNode write(String dir, String jobId, GlobalStats global, Map<String, List<SiloStats>> releases) {
    ObjectNode doc = Signed.JSON.createObjectNode();
    doc.put("job_id", jobId);
    doc.set("global", GlobalStatsJson.tree(global));
    ObjectNode silos = doc.putObject("silos");
    int suppressed = 0;
    for (Map.Entry<String, List<SiloStats>> e : releases.entrySet()) {
      ArrayNode passes = silos.putArray(e.getKey());
      for (SiloStats s : e.getValue()) {
        suppressed += suppressed(s);
        try {
          passes.add(Signed.JSON.readTree(SiloStatsJson.encode(s)));
        } catch (java.io.IOException ex) {
          throw new IllegalStateException(ex);
        }
      }
    }
    ObjectNode summary = Signed.JSON.createObjectNode();
    summary.put("columns", global.globalColumns().size());
    summary.put("silos", global.silos().size());
    summary.put("suppressed_cells", suppressed);
    summary.put("epsilon_spent", global.epsilon());
    doc.set("summary", summary);
    Artifacts.writeAtomically(Artifacts.resolve(dir, "stats.json"), bytes(doc));
    Artifacts.writeAtomically(Artifacts.resolve(dir, "stats.txt"), text(global, releases).getBytes(StandardCharsets.UTF_8));
    return summary;
  }

  private static byte[] bytes(ObjectNode n) {
    try {
      return Signed.JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(n);
    } catch (java.io.IOException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The readable table: per column, the global row then one row per silo. */
  static String text(GlobalStats global, Map<String, List<SiloStats>> releases) {
    StringBuilder sb = new StringBuilder();
    sb.append(String.format(Locale.ROOT, "federated statistics of %d silos (%s); k = %d; noise %s, epsilon %.4g%n",
        global.silos().size(), String.join(", ", global.silos()), global.k(), global.mechanism(), global.epsilon()));
    sb.append("a suppressed cell is *; a total with a suppressed share is >=n\n");
    for (GlobalColumn c : global.globalColumns()) {
      sb.append(String.format(Locale.ROOT, "%n%s (%s)%n", c.name(), c.type()));
      sb.append(String.format(Locale.ROOT, "  %-16s %10s %10s %14s %14s  %s%n", "", "count", "missing", "mean",
          "variance", "histogram / categories"));
      sb.append(String.format(Locale.ROOT, "  %-16s %10s %10s %14s %14s  %s%n", "global", total(c.countTotal()),
          total(c.missingTotal()), number(c.moments() == null ? null : c.mean()),
          number(c.moments() == null ? null : c.variance()), globalCells(c)));
      for (Map.Entry<String, List<SiloStats>> e : releases.entrySet()) {
        SiloStats.ColumnStats s = e.getValue().get(0).column(c.name());
        if (s == null) {
          continue;
        }
        SiloStats.ColumnStats h = e.getValue().size() > 1 ? e.getValue().get(1).column(c.name()) : null;
        sb.append(String.format(Locale.ROOT, "  %-16s %10s %10s %14s %14s  %s%n", e.getKey(), cell(s.count()),
            cell(s.missing()), number(s.moments() == null || s.moments().n() == 0 ? null : s.moments().mean()),
            number(s.moments() == null || s.moments().n() == 0 ? null : s.moments().variance()), siloCells(s, h)));
      }
    }
    SiloStats first = releases.values().iterator().next().get(0);
    sb.append(String.format(Locale.ROOT, "%nlabel %s%n  %-16s %s%n", global.labelName(), "global",
        global.labelCounts() == null ? "" : global.labelCounts().toString().replace("=", ": ")));
    for (Map.Entry<String, List<SiloStats>> e : releases.entrySet()) {
      SiloStats.Categories l = e.getValue().get(0).labels();
      sb.append(String.format(Locale.ROOT, "  %-16s %s other %s%n", e.getKey(), l == null ? "" : l.values(),
          l == null ? "" : cell(l.other())));
    }
    return first == null ? "" : sb.toString();
  }

  private static String globalCells(GlobalColumn c) {
    if (c.histogram() != null) {
      return c.histogram().stream().map(StatsOutput::total).toList().toString();
    }
    return c.categoryTotals() == null ? "" : c.categoryTotals().toString() + " other " + total(c.other());
  }

  private static String siloCells(SiloStats.ColumnStats s, SiloStats.ColumnStats h) {
    if (h != null && h.histogram() != null) {
      return h.histogram().stream().map(StatsOutput::cell).toList().toString();
    }
    return s.categories() == null ? "" : s.categories().values() + " other " + cell(s.categories().other());
  }

  private static String total(Total t) {
    return t == null ? "*" : t.lowerBound() ? ">=" + t.value() : Long.toString(t.value());
  }

  private static String cell(Long n) {
    return n == null ? "*" : Long.toString(n);
  }

  private static String number(Double v) {
    return v == null ? "*" : String.format(Locale.ROOT, "%.6g", v);
  }
}
