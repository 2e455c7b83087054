package org.fedbeam.preprocess;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.lessThanOrEqualTo;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.fedbeam.data.table.Table;
import org.fedbeam.data.table.TableCsv;
import org.fedbeam.model.Permutations;
import org.fedbeam.stats.GlobalStats;
import org.fedbeam.stats.StatsComputation;
import org.fedbeam.stats.StatsQuery;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * "Federated standardisation gives the same scaled data as pooled standardisation, to 1e-9": the real
 * wine table (scikit-learn's, from Debian's python3-sklearn; 178 rows, 13 numeric columns), with a
 * categorical column and missing cells added, read by TableCsv, shuffled and split into 3 silos. Each
 * silo computes its SiloStats; their GlobalStats merge fits one preprocessing, the pooled table's
 * two-pass facts another. Fitted centers and scales agree to 1e-9 relative, vocabularies and classes
 * exactly, and every scaled value (in double, before the float cast) to 1e-9.
 */
class FederatedExactnessTest {
  private static final Path WINE = Path.of("/usr/lib/python3/dist-packages/sklearn/datasets/data/wine_data.csv");

  @Test
  void federatedFittingScalesTheSiloTablesAsPooledFittingDoes(@TempDir Path dir) throws IOException {
    Table pooled = TableCsv.read(wineWithCategoricalsAndGaps(dir), new TableCsv.Options(';', "cultivar", "id",
        java.util.Set.of(), java.util.Set.of(), TableCsv.Missing.IMPUTE, TableCsv.Options.DEFAULT_MISSING, 0)).table();
    int[] order = Permutations.identity(pooled.rows());
    Permutations.shuffle(order, new java.util.SplittableRandom(13));
    List<Table> silos = new ArrayList<>();
    int[] cuts = {0, 40, 101, pooled.rows()};
    for (int s = 0; s < 3; s++) {
      silos.add(pooled.select(java.util.Arrays.copyOfRange(order, cuts[s], cuts[s + 1]), "silo-" + s));
    }
    GlobalStats merged = GlobalStats.empty();
    for (Table silo : silos) {
      merged = merged.merge(GlobalStats.of(StatsComputation.INSTANCE.compute(StatsQuery.summary(1), silo, 7)));
    }

    Preprocessing federated = Preprocessing.fit(merged, Preprocessing.Options.defaults());
    Preprocessing central = Preprocessing.fit(Preprocessing.pooled(pooled), Preprocessing.Options.defaults());

    assertThat(federated.featureNames(), equalTo(central.featureNames()));
    assertThat(federated.classes(), equalTo(central.classes()));
    assertThat(federated.inputs(), equalTo(13 + 4));
    double worstFit = 0;
    for (int c = 0; c < federated.columns().size(); c++) {
      if (federated.columns().get(c) instanceof NumericSpec f) {
        NumericSpec p = (NumericSpec) central.columns().get(c);
        worstFit = Math.max(worstFit, relative(f.center(), p.center()));
        worstFit = Math.max(worstFit, relative(f.scale(), p.scale()));
        worstFit = Math.max(worstFit, relative(f.impute(), p.impute()));
      } else {
        assertThat(federated.columns().get(c), equalTo(central.columns().get(c)));
      }
    }
    assertThat("largest relative difference of a fitted center/scale", worstFit, lessThanOrEqualTo(1e-9));
    double worstValue = 0;
    for (Table silo : silos) {
      double[] a = federated.encode(silo);
      double[] b = central.encode(silo);
      for (int i = 0; i < a.length; i++) {
        worstValue = Math.max(worstValue, Math.abs(a[i] - b[i]) / Math.max(1, Math.abs(b[i])));
      }
    }
    System.out.printf("federated vs pooled: fit max rel diff %.3g, scaled value max diff %.3g%n", worstFit, worstValue);
    assertThat("largest difference of a scaled value", worstValue, lessThanOrEqualTo(1e-9));
  }

  private static double relative(double a, double b) {
    return Math.abs(a - b) / Math.max(Math.abs(a), Math.abs(b));
  }

  /** The wine CSV with a header, a text ID, ';' cells, a categorical 'colour' (3 values) and some gaps. */
  private static Path wineWithCategoricalsAndGaps(Path dir) throws IOException {
    List<String> lines = Files.readAllLines(WINE, StandardCharsets.UTF_8);
    List<String> out = new ArrayList<>();
    StringBuilder head = new StringBuilder("id");
    for (int c = 0; c < 13; c++) {
      head.append(";f").append(c);
    }
    out.add(head.append(";colour;cultivar").toString());
    String[] colours = {"red", "white", "rose"};
    for (int r = 1; r < lines.size(); r++) {
      String[] cells = lines.get(r).split(",");
      StringBuilder row = new StringBuilder("wine-" + r);
      for (int c = 0; c < 13; c++) {
        row.append(';').append(r % 17 == c ? "NA" : cells[c]);
      }
      row.append(';').append(r % 11 == 0 ? "" : colours[r % 3]);
      out.add(row.append(';').append(cells[13]).toString());
    }
    return Files.write(dir.resolve("wine.csv"), out);
  }
}
