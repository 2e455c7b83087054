package org.fedbeam.pipelines.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeMap;
import org.fedbeam.data.table.NumericColumn;
import org.fedbeam.data.table.Table;
import org.fedbeam.data.table.TableColumn;
import org.fedbeam.data.table.TableCsv;
import org.fedbeam.stats.GlobalColumn;
import org.fedbeam.stats.GlobalStats;
import org.fedbeam.stats.StatsQuery;

/** The silos of a statistics simulation, its query, and its check against the pooled data. */
final class StatsSilos {
  private StatsSilos() {}

  /**
   * One CSV split into {@code --silos} tables (a seeded shuffle, an even split), or one table per CSV.
   *
   * @throws IllegalArgumentException naming the silo, the file and the column when silos' columns disagree
   */
  static List<Table> load(StatsOptions o) {
    List<String> files = Arrays.stream(o.getDataset().split(",")).map(String::trim).filter(s -> !s.isEmpty()).toList();
    TableCsv.Options csv = new TableCsv.Options(PrepareCommand.delimiter(o.getDelimiter()), o.getLabelColumn(),
        o.getIdColumn(), names(o.getDropColumns()), names(o.getCategoricalColumns()), TableCsv.Missing.IMPUTE,
        TableCsv.Options.DEFAULT_MISSING, 0.01);
    List<Table> out = new ArrayList<>();
    if (files.size() > 1) {
      for (int i = 0; i < files.size(); i++) {
        String silo = "silo-" + (i + 1);
        Table t = read(files.get(i), csv, silo).withSource(silo);
        if (!out.isEmpty()) {
          sameColumns(out.get(0), files.get(0), t, files.get(i));
        }
        out.add(t);
      }
      return out;
    }
    Table pooled = read(files.get(0), csv, "the pooled data");
    int k = o.getSilos();
    if (k < 1 || k > pooled.rows()) {
      throw new IllegalArgumentException("--silos must be in 1.." + pooled.rows() + " (the rows of " + files.get(0)
          + "), was " + k);
    }
    int[] order = new int[pooled.rows()];
    for (int i = 0; i < order.length; i++) {
      order[i] = i;
    }
    SplittableRandom r = new SplittableRandom(o.getSeed());
    for (int i = order.length - 1; i > 0; i--) {
      int j = r.nextInt(i + 1);
      int t = order[i];
      order[i] = order[j];
      order[j] = t;
    }
    for (int s = 0; s < k; s++) {
      int from = (int) ((long) s * order.length / k);
      int to = (int) ((long) (s + 1) * order.length / k);
      out.add(pooled.select(Arrays.copyOfRange(order, from, to), "silo-" + (s + 1)));
    }
    return out;
  }

  private static Table read(String file, TableCsv.Options csv, String silo) {
    try {
      return TableCsv.read(Path.of(file), csv).table();
    } catch (RuntimeException e) {
      throw new IllegalArgumentException(silo + " (" + file + "): " + e.getMessage(), e);
    }
  }

  private static void sameColumns(Table first, String firstFile, Table t, String file) {
    for (TableColumn c : first.columns()) {
      TableColumn d = t.column(c.name());
      if (d == null) {
        throw new IllegalArgumentException(t.source() + " (" + file + "): column '" + c.name() + "' is missing; "
            + first.source() + " (" + firstFile + ") has it");
      }
      if (!d.type().equals(c.type())) {
        throw new IllegalArgumentException(t.source() + " (" + file + "): column '" + c.name() + "' is " + d.type()
            + " there but " + c.type() + " in " + first.source() + " (" + firstFile + ")");
      }
    }
    for (TableColumn d : t.columns()) {
      if (first.column(d.name()) == null) {
        throw new IllegalArgumentException(first.source() + " (" + firstFile + "): column '" + d.name()
            + "' is missing; " + t.source() + " (" + file + ") has it");
      }
    }
  }

  private static Set<String> names(String list) {
    Set<String> out = new LinkedHashSet<>();
    Arrays.stream(list.split(",")).map(String::trim).filter(s -> !s.isEmpty()).forEach(out::add);
    return out;
  }

  /** The first pass's query from the flags. */
  static StatsQuery query(StatsOptions o) {
    String mech = o.getNoise();
    StatsQuery.Noise noise = switch (mech) {
      case "none" -> StatsQuery.Noise.NONE;
      case "laplace" -> new StatsQuery.Noise("laplace", o.getEpsilon(), 0);
      case "gaussian" -> new StatsQuery.Noise("gaussian", o.getEpsilon(), o.getDelta());
      default -> throw new IllegalArgumentException("--noise must be none, laplace or gaussian, was '" + mech + "'");
    };
    Map<String, StatsQuery.Clip> clips = new TreeMap<>();
    for (String part : names(o.getClip())) {
      String[] f = part.split(":");
      if (f.length != 3) {
        throw new IllegalArgumentException("--clip must be COLUMN:LO:HI,..., was '" + part + "'");
      }
      clips.put(f[0], new StatsQuery.Clip(Double.parseDouble(f[1]), Double.parseDouble(f[2])));
    }
    return new StatsQuery(StatsQuery.Pass.SUMMARY, List.of(), o.getBins(), Map.of(), StatsQuery.DEFAULT_RANKS,
        o.getK(), o.getReleaseMinMax(), 3, noise, clips);
  }

  /** The largest relative difference of a federated mean or variance from the pooled two-pass one. */
  static double pooledMaxRelError(GlobalStats global, List<Table> silos) {
    double worst = 0;
    for (GlobalColumn c : global.globalColumns()) {
      if (c.moments() == null || !"numeric".equals(c.type())) {
        continue;
      }
      List<Double> all = new ArrayList<>();
      for (Table t : silos) {
        for (double v : ((NumericColumn) t.column(c.name())).values()) {
          if (!Double.isNaN(v)) {
            all.add(v);
          }
        }
      }
      double sum = 0;
      for (double v : all) {
        sum += v;
      }
      double mean = sum / all.size();
      double ss = 0;
      for (double v : all) {
        ss += (v - mean) * (v - mean);
      }
      worst = Math.max(worst, rel(c.mean(), mean));
      worst = Math.max(worst, rel(c.variance(), ss / all.size()));
    }
    return worst;
  }

  private static double rel(double federated, double pooled) {
    return Math.abs(federated - pooled) / Math.max(Math.abs(pooled), Double.MIN_NORMAL);
  }

}
