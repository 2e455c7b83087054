package org.fedbeam.data.table;

/** A numeric column: one double per row, NaN where the value is missing; never infinite. */
public final class NumericColumn implements TableColumn {
  private final String name;
  private final double[] values;
  private final int missing;

  /**
   * @param values one per row, NaN for missing (copied)
   * @throws IllegalArgumentException naming the column and row if a value is infinite
   */
  public NumericColumn(String name, double[] values) {
    this.name = Table.requireName(name);
    this.values = values.clone();
    int m = 0;
    for (int r = 0; r < this.values.length; r++) {
      if (Double.isNaN(this.values[r])) {
        m++;
      } else if (Double.isInfinite(this.values[r])) {
        throw new IllegalArgumentException("column '" + name + "' row " + r + ": " + this.values[r] + " is not finite");
      }
    }
    this.missing = m;
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public int rows() {
    return values.length;
  }

  /** The value of row {@code row}, NaN if missing. */
  public double value(int row) {
    return values[row];
  }

  @Override
  public boolean isMissing(int row) {
    return Double.isNaN(values[row]);
  }

  @Override
  public int missingCount() {
    return missing;
  }

  @Override
  public String type() {
    return "numeric";
  }

  /** A copy of the values, NaN where missing. */
  public double[] values() {
    return values.clone();
  }

  @Override
  public NumericColumn select(int[] rows) {
    double[] out = new double[rows.length];
    for (int i = 0; i < rows.length; i++) {
      out[i] = values[rows[i]];
    }
    return new NumericColumn(name, out);
  }
}
