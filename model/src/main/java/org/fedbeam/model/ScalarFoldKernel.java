package org.fedbeam.model;

/**
 * The reference fold. Inputs are taken eight, then four, then two, then one at a time; within a group the
 * products are summed as a balanced tree, and each group's total is added to the sum. Any other
 * kernel must reproduce exactly this order of operations.
 */
final class ScalarFoldKernel implements FoldKernel {
  @Override
  public void accumulate(double[] sum, int base, float[][] v, double[] w, int k, int from, int to) {
    int j = 0;
    for (; j + 8 <= k; j += 8) {
      float[] a = v[j];
      float[] b = v[j + 1];
      float[] c = v[j + 2];
      float[] d = v[j + 3];
      float[] e = v[j + 4];
      float[] f = v[j + 5];
      float[] g = v[j + 6];
      float[] h = v[j + 7];
      double wa = w[j];
      double wb = w[j + 1];
      double wc = w[j + 2];
      double wd = w[j + 3];
      double we = w[j + 4];
      double wf = w[j + 5];
      double wg = w[j + 6];
      double wh = w[j + 7];
      for (int i = from; i < to; i++) {
        sum[i - base] += ((wa * a[i] + wb * b[i]) + (wc * c[i] + wd * d[i])) + ((we * e[i] + wf * f[i]) + (wg * g[i] + wh * h[i]));
      }
    }
    for (; j + 4 <= k; j += 4) {
      float[] a = v[j];
      float[] b = v[j + 1];
      float[] c = v[j + 2];
      float[] d = v[j + 3];
      double wa = w[j];
      double wb = w[j + 1];
      double wc = w[j + 2];
      double wd = w[j + 3];
      for (int i = from; i < to; i++) {
        sum[i - base] += (wa * a[i] + wb * b[i]) + (wc * c[i] + wd * d[i]);
      }
    }
    for (; j + 2 <= k; j += 2) {
      float[] a = v[j];
      float[] b = v[j + 1];
      double wa = w[j];
      double wb = w[j + 1];
      for (int i = from; i < to; i++) {
        sum[i - base] += wa * a[i] + wb * b[i];
      }
    }
    for (; j < k; j++) {
      float[] a = v[j];
      double wa = w[j];
      for (int i = from; i < to; i++) {
        sum[i - base] += wa * a[i];
      }
    }
  }

  @Override
  public void scale(double[] sum, int base, double scale, float[] out, int from, int to) {
    for (int i = from; i < to; i++) {
      out[i] = (float) (sum[i - base] * scale);
    }
  }
}
