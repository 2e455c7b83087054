package org.fedbeam.preprocess;

import java.util.List;

/**
 * A fitted numeric column: a missing value becomes {@code impute}, then every value x becomes
 * {@code (x - center) / scale}, computed in double.
 *
 * @param name the raw column
 * @param scaling how {@code center} and {@code scale} were fitted (informative; the arithmetic is the same)
 * @param impute the value a missing x takes (the mean, or the median from the quantile sketch)
 * @param center subtracted (standardize: the mean; minmax: the min; none: 0)
 * @param scale divided by, finite and > 0 (standardize: the population std, 1 if constant;
 *     minmax: max - min, 1 if constant; none: 1)
 */
public record NumericSpec(String name, Preprocessing.Scaling scaling, double impute, double center, double scale)
    implements ColumnSpec {
  public NumericSpec {
    ColumnSpec.checkName("a column's name", name);
    if (scaling == null) {
      throw new IllegalArgumentException("column '" + name + "': a scaling must be named");
    }
    if (!Double.isFinite(impute) || !Double.isFinite(center)) {
      throw new IllegalArgumentException("column '" + name + "': impute and center must be finite, were " + impute
          + " and " + center);
    }
    if (!(scale > 0) || !Double.isFinite(scale)) {
      throw new IllegalArgumentException("column '" + name + "': scale must be finite and > 0, was " + scale);
    }
  }

  @Override
  public String type() {
    return "numeric";
  }

  @Override
  public List<String> inputNames() {
    return List.of(name);
  }

  /** The model input for raw value {@code x} (NaN for missing). */
  public double encode(double x) {
    return ((Double.isNaN(x) ? impute : x) - center) / scale;
  }
}
