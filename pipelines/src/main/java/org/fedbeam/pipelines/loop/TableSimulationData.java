package org.fedbeam.pipelines.loop;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.fedbeam.data.Dataset;
import org.fedbeam.data.Partitioner;
import org.fedbeam.data.table.Table;
import org.fedbeam.data.table.TableCsv;
import org.fedbeam.data.table.TableFacts;
import org.fedbeam.model.Seeds;
import org.fedbeam.preprocess.Preprocessing;
import org.fedbeam.stats.GlobalStats;
import org.fedbeam.stats.StatsComputation;
import org.fedbeam.stats.StatsQuery;

/**
 * A simulation's CSV data, read as a provider's table ({@link TableCsv}: delimiter, ID column, dropped
 * and categorical columns, missing values) and preprocessed as a federation would: the test and
 * validation rows are held out, the training rows split into silos, each silo computes its
 * {@link org.fedbeam.stats.SiloStats} and only their merge ({@link GlobalStats}) fits the
 * {@link Preprocessing} ({@code --preprocessing federated}, the default); {@code --preprocessing pooled}
 * fits it on the pooled training rows instead (the centralized baseline). The fitted preprocessing
 * then turns every silo's share and the validation and test rows into model inputs, and travels in
 * the run's model bundles.
 */
final class TableSimulationData {
  private TableSimulationData() {}

  static SimulationData prepare(TrainOptions o, PrintStream out) {
    Path file = Path.of(o.getDataset());
    TableCsv.Result read = TableCsv.read(file, csvOptions(o));
    Table all = read.table();
    if (read.profile().malformed() > 0) {
      out.println("warning: " + file + ": skipped " + read.profile().malformed() + " malformed rows, first: "
          + String.join("; ", read.profile().malformedLines()));
    }
    out.println("read " + file + ": " + all.rows() + " rows, " + all.columns().size() + " feature columns ("
        + all.categoricalNames().size() + " categorical)");
    long seed = o.getSeed();
    int[][] test = SimulationData.holdOutRows(all.rows(), o.getTestShare(), Seeds.derive(seed, "test-split"),
        file.toString());
    Table pool = all.select(test[0], file + " (pool)");
    int[][] validation = SimulationData.holdOutRows(pool.rows(), o.getValidationShare(),
        Seeds.derive(seed, "validation-split"), file.toString());
    Table train = pool.select(validation[0], file + " (training)");
    List<String> order = sortedLabels(train);
    int[] labels = new int[train.rows()];
    Map<String, Integer> index = new HashMap<>();
    for (int i = 0; i < order.size(); i++) {
      index.put(order.get(i), i);
    }
    for (int r = 0; r < labels.length; r++) {
      labels[r] = index.get(train.label().value(r));
    }
    int[][] parts = Partitioner.split(labels, order.size(), o.getSilos(), Partitioner.Scheme.parse(o.getPartition()),
        o.getAlpha(), Seeds.derive(seed, "partition"));
    List<Table> silos = new ArrayList<>();
    for (int s = 0; s < parts.length; s++) {
      silos.add(train.select(parts[s], SimulationData.siloId(s)));
    }
    boolean federated = switch (o.getPreprocessing()) {
      case "federated" -> true;
      case "pooled" -> false;
      default -> throw new IllegalArgumentException("--preprocessing must be federated or pooled, was '"
          + o.getPreprocessing() + "'");
    };
    TableFacts facts = federated ? merged(silos, o.getMinCategoryCount(), seed) : Preprocessing.pooled(train);
    if (facts instanceof GlobalStats g) {
      for (String c : g.partialColumns()) {
        out.printf("warning: column '%s': some silo released no moments of it (fewer than k values there, or one"
            + " record dominating), so its scaling is fitted from the other silos' values only%n", c);
      }
    }
    Preprocessing pre = Preprocessing.fit(facts, new Preprocessing.Options(scaling(o.getScaling()),
        Preprocessing.Impute.MEAN, o.getMinCategoryCount()));
    List<Dataset> shards = new ArrayList<>();
    for (Table silo : silos) {
      shards.add(applied(pre, silo, out));
    }
    Dataset val = applied(pre, pool.select(validation[1], "validation"), out);
    Dataset tst = applied(pre, all.select(test[1], "test"), out);
    String source = "csv " + file + " (" + pre.classes().size() + " classes " + pre.classes() + ", " + pre.inputs()
        + " inputs from " + pre.columns().size() + " columns, preprocessing "
        + (federated ? "federated: fitted from the silos' merged statistics" : "pooled: fitted on the pooled training rows")
        + ")";
    float[] ones = new float[pre.inputs()];
    Arrays.fill(ones, 1f);
    Bundles.Metadata metadata = new Bundles.Metadata(pre.featureNames(),
        new org.fedbeam.data.FeatureScaling(new float[pre.inputs()], ones), pre.classes(), pre);
    return SimulationData.writeShards(shards, val, tst, o, source, metadata);
  }

  /** The silos' statistics as the federation merges them: each silo's own, then one merge. */
  static GlobalStats merged(List<Table> silos, int k, long seed) {
    GlobalStats merged = GlobalStats.empty();
    for (Table silo : silos) {
      if (silo.rows() == 0) {
        continue; // a silo without rows is left out of the run; it has nothing to release
      }
      merged = merged.merge(GlobalStats.of(StatsComputation.INSTANCE.compute(StatsQuery.summary(k), silo,
          Seeds.derive(seed, "stats-" + silo.source()))));
    }
    return merged;
  }

  private static Dataset applied(Preprocessing pre, Table table, PrintStream out) {
    Preprocessing.Applied a = pre.transform(table);
    if (a.droppedRows() > 0) {
      out.println("warning: " + table.source() + ": dropped " + a.droppedRows() + " rows whose label is not among the"
          + " released classes " + pre.classes());
    }
    return a.dataset();
  }

  private static List<String> sortedLabels(Table t) {
    return org.fedbeam.data.CsvReader.classOrder(t.label().compact().dictionary());
  }

  private static Preprocessing.Scaling scaling(String s) {
    try {
      return Preprocessing.Scaling.valueOf(s.toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("--scaling must be standardize, minmax or none, was '" + s + "'");
    }
  }

  static TableCsv.Options csvOptions(TrainOptions o) {
    return csvOptions(o, o.getLabelColumn(), o.getMaxBadRowShare());
  }

  /**
   * How {@code o}'s flags read a CSV export; {@code label} null reads rows without a label
   * ({@link org.fedbeam.data.table.TableCsvRows}).
   */
  static TableCsv.Options csvOptions(TableReadOptions o, String label, double maxBadRowShare) {
    String d = o.getDelimiter();
    if (!"tab".equals(d) && (d == null || d.length() != 1)) {
      throw new IllegalArgumentException("--delimiter must be one character or 'tab', was '" + d + "'");
    }
    TableCsv.Missing missing = switch (o.getMissing()) {
      case "drop" -> TableCsv.Missing.DROP;
      case "impute" -> TableCsv.Missing.IMPUTE;
      default -> throw new IllegalArgumentException("--missing must be drop or impute, was '" + o.getMissing() + "'");
    };
    String id = o.getIdColumn() == null || o.getIdColumn().isBlank() ? null : o.getIdColumn();
    Set<String> markers = o.getMissingValues() == null ? TableCsv.Options.DEFAULT_MISSING : names(o.getMissingValues());
    return new TableCsv.Options("tab".equals(d) ? '\t' : d.charAt(0), label, id, names(o.getDropColumns()),
        names(o.getCategoricalColumns()), missing, markers, maxBadRowShare);
  }

  private static Set<String> names(String list) {
    return list == null || list.isBlank() ? Set.of()
        : Set.copyOf(Arrays.stream(list.split(",")).map(String::trim).filter(s -> !s.isEmpty()).toList());
  }
}
