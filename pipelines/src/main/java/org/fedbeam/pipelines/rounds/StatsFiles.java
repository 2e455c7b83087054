package org.fedbeam.pipelines.rounds;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.fedbeam.stats.GlobalColumn;
import org.fedbeam.stats.GlobalStats;
import org.fedbeam.stats.GlobalStatsJson;
import org.fedbeam.stats.SiloStats;
import org.fedbeam.stats.SiloStatsJson;
import org.fedbeam.stats.StatsQuery;
import org.fedbeam.transforms.Artifacts;

/**
 * What {@code fedbeam stats} writes, in the simulation and in the deployment alike: {@code stats.json}
 * (the merged statistics, the quantiles read from them, each silo's release and the summary) and
 * {@code stats.txt} ({@link StatsReport}), each written atomically.
 */
public final class StatsFiles {
  private StatsFiles() {}

  /**
   * A silo's summary release with its histogram release's bins added (one release per silo for the
   * report); the epsilon and delta spent are the two passes' sum.
   */
  public static SiloStats withHistograms(SiloStats s, SiloStats h) {
    List<SiloStats.ColumnStats> cols = new ArrayList<>();
    for (SiloStats.ColumnStats c : s.columns()) {
      SiloStats.ColumnStats d = h == null ? null : h.column(c.name());
      cols.add(d == null || d.histogram() == null ? c : new SiloStats.ColumnStats(c.name(), c.type(), c.count(),
          c.missing(), c.moments(), c.min(), c.max(), d.bins(), d.histogram(), c.sketch(), c.categories()));
    }
    return new SiloStats(s.silo(), s.pass(), s.k(), s.rows(), cols, s.labelName(), s.labels(), s.mechanism(),
        s.epsilon() + (h == null ? 0 : h.epsilon()), s.delta() + (h == null ? 0 : h.delta()));
  }

  /** Each silo's summary release with its histogram release's bins, by silo. */
  public static Map<String, SiloStats> combine(Map<String, SiloStats> summary, Map<String, SiloStats> histograms) {
    Map<String, SiloStats> out = new LinkedHashMap<>();
    summary.forEach((name, s) -> out.put(name, withHistograms(s, histograms.get(name))));
    return out;
  }

  /**
   * Writes {@code stats.json} and {@code stats.txt} in {@code dir} and returns the summary: {@code
   * columns}, {@code silos}, {@code suppressed_cells}, {@code epsilon_spent}, then what {@code more} adds.
   *
   * @param jobId the deployment's job, or null in the simulation
   * @param silos each silo's release (its passes combined, {@link #combine})
   */
  public static ObjectNode write(String dir, String jobId, GlobalStats global, Map<String, SiloStats> silos,
      StatsQuery query, Consumer<ObjectNode> more) {
    StatsReport report = new StatsReport(global, silos, query);
    ObjectNode summary = RoundRecords.JSON.createObjectNode();
    summary.put("columns", global.globalColumns().size());
    summary.put("silos", silos.size());
    summary.put("suppressed_cells", report.suppressedCells());
    summary.put("epsilon_spent", global.epsilon());
    more.accept(summary);
    ObjectNode doc = RoundRecords.JSON.createObjectNode();
    if (jobId != null) {
      doc.put("job_id", jobId);
    }
    doc.set("global", GlobalStatsJson.tree(global));
    ObjectNode quantiles = doc.putObject("quantiles"); // from the merged sketch (or, with noise, the histogram)
    for (GlobalColumn c : global.globalColumns()) {
      if ("numeric".equals(c.type())) {
        ObjectNode q = quantiles.putObject(c.name());
        for (double r : query.ranks()) {
          c.quantile(r).ifPresent(v -> q.put(Double.toString(r), v));
        }
      }
    }
    ArrayNode per = doc.putArray("silos");
    try {
      for (SiloStats s : silos.values()) {
        per.add(RoundRecords.JSON.readTree(SiloStatsJson.encode(s)));
      }
      doc.set("summary", summary);
      Artifacts.writeAtomically(Artifacts.resolve(dir, "stats.json"),
          RoundRecords.JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(doc));
    } catch (IOException e) {
      throw new IllegalStateException("cannot write the statistics: " + e.getMessage(), e);
    }
    Artifacts.writeAtomically(Artifacts.resolve(dir, "stats.txt"), report.text().getBytes(StandardCharsets.UTF_8));
    return summary;
  }
}
