package org.fedbeam.model;

import java.util.SplittableRandom;
import org.fedbeam.data.Dataset;

/** Small seeded synthetic data sets for the learner tests. */
final class TestData {
  private TestData() {}

  /** Standard-normal features and uniformly random labels (no structure to learn). */
  static Dataset gaussian(String name, int rows, int features, int classes, long seed) {
    SplittableRandom random = new SplittableRandom(seed);
    float[] x = new float[rows * features];
    int[] y = new int[rows];
    for (int r = 0; r < rows; r++) {
      for (int c = 0; c < features; c++) {
        x[r * features + c] = (float) random.nextGaussian();
      }
      y[r] = random.nextInt(classes);
    }
    return new Dataset(name, x, y, features, classes);
  }

  /**
   * Nearly separable blobs: rows take labels 0, 1, 2, ... in turn; class {@code k} is centred at 3
   * in feature {@code k} and 0 elsewhere, with standard deviation 0.5 around the centre, so the
   * classes barely overlap. Needs {@code features >= classes}.
   */
  static Dataset blobs(String name, int rows, int features, int classes, long seed) {
    SplittableRandom random = new SplittableRandom(seed);
    float[] x = new float[rows * features];
    int[] y = new int[rows];
    for (int r = 0; r < rows; r++) {
      int label = r % classes;
      y[r] = label;
      for (int c = 0; c < features; c++) {
        double centre = c == label % features ? 3.0 : 0.0;
        x[r * features + c] = (float) (centre + 0.5 * random.nextGaussian());
      }
    }
    return new Dataset(name, x, y, features, classes);
  }

  /** {@code parameters} plus independent N(0, sigma^2) noise on every value, biases included. */
  static Parameters jitter(Parameters parameters, double sigma, long seed) {
    SplittableRandom random = new SplittableRandom(seed);
    float[] values = parameters.toArray();
    for (int i = 0; i < values.length; i++) {
      values[i] += (float) (sigma * random.nextGaussian());
    }
    return Parameters.copyOf(parameters.spec(), values);
  }
}
