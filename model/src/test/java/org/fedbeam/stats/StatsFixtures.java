package org.fedbeam.stats;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.fedbeam.data.table.CategoricalColumn;
import org.fedbeam.data.table.NumericColumn;
import org.fedbeam.data.table.Table;
import org.fedbeam.data.table.TableColumn;

/** Silo tables built from the seam classes, with fixed seeds. */
final class StatsFixtures {
  static final List<String> COLOURS = List.of("red", "green", "blue");
  static final List<String> CLASSES = List.of("yes", "no");

  private StatsFixtures() {}

  /** A silo of {@code rows} rows: x ~ N(shift, 2), y log-normal with every 10th value missing, colour, label. */
  static Table silo(String name, int rows, double shift, long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    double[] x = new double[rows];
    double[] y = new double[rows];
    int[] colour = new int[rows];
    int[] label = new int[rows];
    for (int i = 0; i < rows; i++) {
      x[i] = shift + 2 * r.nextGaussian();
      y[i] = i % 10 == 0 ? Double.NaN : Math.exp(r.nextGaussian());
      colour[i] = r.nextInt(3);
      label[i] = r.nextInt(2);
    }
    List<TableColumn> cols = new ArrayList<>();
    cols.add(new NumericColumn("x", x));
    cols.add(new NumericColumn("y", y));
    cols.add(new CategoricalColumn("colour", COLOURS, colour));
    return new Table(name, cols, new CategoricalColumn("label", CLASSES, label));
  }

  /** A table of one numeric column {@code values} and a categorical column {@code cats} (dictionary order). */
  static Table of(String name, double[] values, List<String> dictionary, int[] codes) {
    int[] label = new int[values.length];
    return new Table(name, List.of(new NumericColumn("v", values), new CategoricalColumn("c", dictionary, codes)),
        new CategoricalColumn("label", List.of("only"), label));
  }
}
