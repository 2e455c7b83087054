package org.fedbeam.data;

/**
 * Per-feature standardisation {@code (x - mean) / scale}, fitted on one data set and applied to
 * others, so training and test rows are scaled alike. A constant feature gets scale 1.
 */
public record FeatureScaling(float[] mean, float[] scale) {

  public static FeatureScaling fit(Dataset data) {
    int d = data.featureCount();
    double[] sum = new double[d];
    double[] sumSq = new double[d];
    for (int r = 0; r < data.size(); r++) {
      for (int c = 0; c < d; c++) {
        double v = data.feature(r, c);
        sum[c] += v;
        sumSq[c] += v * v;
      }
    }
    float[] mean = new float[d];
    float[] scale = new float[d];
    int n = Math.max(1, data.size());
    for (int c = 0; c < d; c++) {
      double m = sum[c] / n;
      double var = Math.max(0, sumSq[c] / n - m * m);
      mean[c] = (float) m;
      scale[c] = var > 1e-12 ? (float) Math.sqrt(var) : 1f;
    }
    return new FeatureScaling(mean, scale);
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
