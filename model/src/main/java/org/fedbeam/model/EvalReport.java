package org.fedbeam.model;

/**
 * Classification quality of a model on a labelled data set.
 *
 * @param samples rows evaluated
 * @param accuracy share of rows whose most probable class is the label, in [0, 1]
 * @param logLoss mean negative log-probability of the label (probabilities clipped at 1e-15)
 * @param macroF1 unweighted mean of the per-class F1 scores, over classes that occur in the labels
 *     or the predictions
 * @param confusion {@code confusion[label][predicted]} counts
 */
public record EvalReport(int samples, double accuracy, double logLoss, double macroF1, long[][] confusion) {

  /** Computes the report from row-major class probabilities ({@code labels.length x classes}). */
  public static EvalReport of(float[] probabilities, int[] labels, int classes) {
    if (probabilities.length != (long) labels.length * classes) {
      throw new IllegalArgumentException(
          "expected " + (long) labels.length * classes + " probabilities for " + labels.length + " rows, got "
              + probabilities.length);
    }
    long[][] confusion = new long[classes][classes];
    double logLoss = 0;
    long correct = 0;
    for (int i = 0; i < labels.length; i++) {
      if (labels[i] < 0 || labels[i] >= classes) {
        throw new IllegalArgumentException("row " + i + " has label " + labels[i] + ", expected [0, " + classes + ")");
      }
      int base = i * classes;
      int best = 0;
      for (int c = 1; c < classes; c++) {
        if (probabilities[base + c] > probabilities[base + best]) {
          best = c;
        }
      }
      confusion[labels[i]][best]++;
      if (best == labels[i]) {
        correct++;
      }
      logLoss -= Math.log(Math.max(probabilities[base + labels[i]], 1e-15));
    }
    int n = labels.length;
    return new EvalReport(n, n == 0 ? 0 : (double) correct / n, n == 0 ? 0 : logLoss / n, macroF1(confusion), confusion);
  }

  private static double macroF1(long[][] confusion) {
    int classes = confusion.length;
    double sum = 0;
    int present = 0;
    for (int c = 0; c < classes; c++) {
      long tp = confusion[c][c];
      long actual = 0;
      long predicted = 0;
      for (int k = 0; k < classes; k++) {
        actual += confusion[c][k];
        predicted += confusion[k][c];
      }
      if (actual == 0 && predicted == 0) {
        continue;
      }
      present++;
      sum += 2.0 * tp / (actual + predicted);
    }
    return present == 0 ? 0 : sum / present;
  }
}
