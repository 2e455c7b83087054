package org.fedbeam.data;

/**
 * Per-feature standardisation {@code (x - mean) / scale}, fitted on one data set and applied to
 * others, so training and test rows are scaled alike. A constant feature gets scale 1.
 */
public record FeatureScaling(float[] mean, float[] scale) {

  public static FeatureScaling fit(Dataset data) {
    int d = data.featureCount();
    int n = Math.max(1, data.size());
    double[] mean = new double[d];
    for (int r = 0; r < data.size(); r++) {
      for (int c = 0; c < d; c++) {
        mean[c] += data.feature(r, c);
      }
    }
    for (int c = 0; c < d; c++) {
      mean[c] /= n;
    }
    // second pass over the centred values: no cancellation, unlike E[x^2] - E[x]^2
    double[] squares = new double[d];
    for (int r = 0; r < data.size(); r++) {
      for (int c = 0; c < d; c++) {
        double centred = data.feature(r, c) - mean[c];
        squares[c] += centred * centred;
      }
    }
    float[] m = new float[d];
    float[] scale = new float[d];
    for (int c = 0; c < d; c++) {
      double std = Math.sqrt(squares[c] / n);
      m[c] = (float) mean[c];
      // a feature whose spread is float rounding noise relative to its size is constant
      scale[c] = std > 1e-6 * Math.max(1.0, Math.abs(mean[c])) ? (float) std : 1f;
    }
    return new FeatureScaling(m, scale);
  }

  public Dataset apply(Dataset data) {
    int d = data.featureCount();
    if (d != mean.length) {
      throw new IllegalArgumentException(data.name() + " has " + d + " features, scaling was fitted on " + mean.length);
    }
    float[] out = new float[data.size() * d];
    int[] labels = new int[data.size()];
    for (int r = 0; r < data.size(); r++) {
      for (int c = 0; c < d; c++) {
        out[r * d + c] = (data.feature(r, c) - mean[c]) / scale[c];
      }
      labels[r] = data.label(r);
    }
    return Dataset.adopt(data.name(), out, labels, d, data.classes());
  }
}
