package org.fedbeam.tools;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Function;
import org.fedbeam.pipelines.rounds.RoundRecords;

/**
 * The report of {@link TabularBench}: per (data set, model, split), the median and the min-max over
 * seeds of the test accuracy of (a) federated preprocessing + federated training, (b) pooled
 * preprocessing + federated training and (c) pooled preprocessing + centralized training, the test
 * set's majority-class share, and in how many seeds (a) and (b) had bit-identical inputs and models.
 * Printed, and written as {@code tabular.md}, {@code tabular.csv} (the table) and
 * {@code tabular-runs.csv} (one line per seed).
 */
final class TabularTable {
  private TabularTable() {}

  static ObjectNode report(List<TabularBench.Cell> cells, Map<String, String> flags, String output, double seconds,
      PrintStream out) throws IOException {
    Map<String, List<TabularBench.Cell>> groups = new LinkedHashMap<>();
    for (TabularBench.Cell c : cells) {
      groups.computeIfAbsent(c.dataset() + "|" + c.model() + "|" + c.split(), k -> new ArrayList<>()).add(c);
    }
    List<String> md = new ArrayList<>();
    md.add("| data set | model | split | (a) fed. prep + FL | (b) pooled prep + FL | (c) pooled prep + central"
        + " | majority class | (a)=(b) inputs / models bit-identical | max fit rel. diff |");
    md.add("|---|---|---|---|---|---|---|---|---|");
    List<String> csv = new ArrayList<>();
    csv.add("dataset,model,split,seeds,a_median,a_min,a_max,b_median,b_min,b_max,c_median,c_min,c_max,majority,"
        + "same_inputs,same_models,max_fit_rel_diff");
    ObjectNode json = RoundRecords.JSON.createObjectNode();
    ArrayNode rows = json.putArray("rows");
    for (List<TabularBench.Cell> g : groups.values()) {
      TabularBench.Cell first = g.get(0);
      double[] a = stats(g, TabularBench.Cell::federated);
      double[] b = stats(g, TabularBench.Cell::pooled);
      double[] c = stats(g, TabularBench.Cell::centralized);
      double majority = stats(g, TabularBench.Cell::majority)[0];
      long sameInputs = g.stream().filter(TabularBench.Cell::sameInputs).count();
      long sameModels = g.stream().filter(TabularBench.Cell::sameModel).count();
      double fit = g.stream().mapToDouble(TabularBench.Cell::fitRelDiff).max().orElse(Double.NaN);
      md.add(String.format("| %s | %s | %s | %s | %s | %s | %.3f | %d/%d / %d/%d | %.1e |", first.dataset(),
          first.model(), first.split(), cell(a), cell(b), cell(c), majority, sameInputs, g.size(), sameModels, g.size(),
          fit));
      csv.add(String.format("%s,%s,%s,%d,%s,%s,%s,%.4f,%d,%d,%.3e", first.dataset(), first.model(), first.split(),
          g.size(), csvCell(a), csvCell(b), csvCell(c), majority, sameInputs, sameModels, fit));
      ObjectNode row = rows.addObject();
      row.put("dataset", first.dataset()).put("model", first.model()).put("split", first.split());
      put(row, "a", a);
      put(row, "b", b);
      put(row, "c", c);
      row.put("majority", majority).put("same_inputs", sameInputs).put("same_models", sameModels)
          .put("seeds", g.size()).put("max_fit_rel_diff", fit);
    }
    List<String> runs = new ArrayList<>();
    runs.add("dataset,model,split,seed,a,b,c,majority,same_inputs,same_model,model_max_abs_diff,fit_rel_diff");
    for (TabularBench.Cell c : cells) {
      runs.add(String.format("%s,%s,%s,%d,%.4f,%.4f,%s,%.4f,%b,%b,%.3e,%.3e", c.dataset(), c.model(), c.split(),
          c.seed(), c.federated(), c.pooled(), c.centralized() == null ? "" : String.format("%.4f", c.centralized()),
          c.majority(), c.sameInputs(), c.sameModel(), c.modelMaxAbsDiff(), c.fitRelDiff()));
    }
    String settings = String.format("%s silos, %s rounds x 1 local epoch, FedAvg, SGD lr %s momentum 0.9 batch %s,"
        + " seeds %s from %s, Dirichlet alpha %s; test accuracy median [min-max]; %.0f s", flags.get("silos"),
        flags.get("rounds"), flags.get("lr"), flags.get("batch-size"), flags.get("seeds"), flags.get("seed"),
        flags.get("alpha"), seconds);
    md.add("");
    md.add(settings);
    out.println();
    md.forEach(out::println);
    Files.write(Path.of(output, "tabular.md"), md, StandardCharsets.UTF_8);
    Files.write(Path.of(output, "tabular.csv"), csv, StandardCharsets.UTF_8);
    Files.write(Path.of(output, "tabular-runs.csv"), runs, StandardCharsets.UTF_8);
    json.put("seconds", seconds);
    out.println("TABULAR " + RoundRecords.oneLine(json));
    return json;
  }

  /** [median, min, max] of the non-null values, NaNs when there are none. */
  static double[] stats(List<TabularBench.Cell> g, Function<TabularBench.Cell, Double> f) {
    double[] v = g.stream().map(f).filter(Objects::nonNull).mapToDouble(Double::doubleValue).sorted().toArray();
    if (v.length == 0) {
      return new double[] {Double.NaN, Double.NaN, Double.NaN};
    }
    double median = v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
    return new double[] {median, v[0], v[v.length - 1]};
  }

  private static String cell(double[] s) {
    return Double.isNaN(s[0]) ? "-" : String.format("%.3f [%.3f-%.3f]", s[0], s[1], s[2]);
  }

  private static String csvCell(double[] s) {
    return Double.isNaN(s[0]) ? ",," : String.format("%.4f,%.4f,%.4f", s[0], s[1], s[2]);
  }

  private static void put(ObjectNode row, String key, double[] s) {
    if (Double.isNaN(s[0])) {
      row.putNull(key + "_median");
      return;
    }
    row.put(key + "_median", s[0]).put(key + "_min", s[1]).put(key + "_max", s[2]);
  }
}
