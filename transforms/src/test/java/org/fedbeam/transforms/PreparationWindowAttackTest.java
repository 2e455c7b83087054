package org.fedbeam.transforms;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.allOf;
import static org.hamcrest.Matchers.containsString;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.hamcrest.Matchers.equalTo;

import java.util.List;
import org.fedbeam.data.Dataset;
import org.fedbeam.data.table.CategoricalColumn;
import org.fedbeam.data.table.NumericColumn;
import org.fedbeam.data.table.Table;
import org.fedbeam.preprocess.NumericSpec;
import org.fedbeam.preprocess.Preprocessing;
import org.junit.jupiter.api.Test;

/**
 * An independent review's attack on the preprocessing a curious orchestrator carries to a silo
 * (docs/federated.md, "Prepared tables and the job's preprocessing"): the silo folds a vocabulary value
 * held by fewer than k records so that "no input is 1 for between 1 and k-1 of its records". A numeric
 * column gives the same indicator: a tiny scale around a suspected value saturates every record's input
 * at the clamp bound except the records within one scale-width of the centre, so the unsaturated input
 * marks one record (and its exact offset from the centre, to 1e-3) for training to memorise.
 */
class PreparationWindowAttackTest {
  private static final int K = 10;

  @Test
  void aTinyScaleAroundASuspectedValueDoesNotIsolateOneRecord() {
    double[] x = new double[500];
    int[] codes = new int[500];
    for (int i = 0; i < x.length; i++) {
      x[i] = 20 + (i * 7 % 400) * 0.25; // ages and amounts in [20, 120)
      codes[i] = i % 2;
    }
    x[321] = 777.0; // the record the orchestrator suspects
    Table table = new Table("alpha", List.of(new NumericColumn("x", x)),
        new CategoricalColumn("class", List.of("good", "bad"), codes));
    Preprocessing crafted = new Preprocessing("class", List.of("good", "bad"),
        List.of(new NumericSpec("x", Preprocessing.Scaling.STANDARDIZE, 0, 777.0, 1e-3)));
    TablePreparation.Limits limits = TablePreparation.Limits.defaults();

    // the silo refuses the scaling: it leaves one record inside the window and every other at the clamp
    IllegalArgumentException refused = assertThrows(IllegalArgumentException.class,
        () -> TablePreparation.apply(table, crafted, limits, "alpha", "preprocessing.fbpp"));
    assertThat(refused.getMessage(), allOf(containsString("column 'x'"), containsString("1 of this silo's records"),
        containsString("k = " + K)));

    // alone at a clamp is the same indicator: a centre just below the suspected largest value
    Preprocessing atTheEdge = new Preprocessing("class", List.of("good", "bad"),
        List.of(new NumericSpec("x", Preprocessing.Scaling.STANDARDIZE, 0, 500.0, 1e-3)));
    assertThat(assertThrows(IllegalArgumentException.class,
        () -> TablePreparation.apply(table, atTheEdge, limits, "alpha", "preprocessing.fbpp")).getMessage(),
        containsString("alone at the clamp +"));

    // an honest standardisation clamps nothing and is applied
    double mean = java.util.Arrays.stream(x).average().orElseThrow();
    double sd = Math.sqrt(java.util.Arrays.stream(x).map(v -> (v - mean) * (v - mean)).sum() / x.length);
    Preprocessing honest = new Preprocessing("class", List.of("good", "bad"),
        List.of(new NumericSpec("x", Preprocessing.Scaling.STANDARDIZE, mean, mean, sd)));
    Dataset rows = TablePreparation.apply(table, honest, limits, "alpha", "preprocessing.fbpp").dataset();
    int inside = 0;
    for (int r = 0; r < rows.size(); r++) {
      if (Math.abs(rows.feature(r, 0)) < limits.maxAbsInput()) {
        inside++;
      }
    }
    assertThat(inside, equalTo(x.length));
  }
}
