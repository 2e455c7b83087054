package org.fedbeam.model;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.instanceOf;

import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The vector fold kernel computes exactly what the scalar reference computes. */
class FoldKernelTest {
  private static final int[] LENGTHS = {0, 1, 3, 4, 5, 7, 64, 1001, 16387};
  private static final int MAX_INPUTS = 17;

  @Test
  void testsRunWithTheVectorKernel() {
    // surefire starts the JVM with --add-modules jdk.incubator.vector, as bin/fedbeam does
    assertThat(FoldKernel.best(), instanceOf(VectorFoldKernel.class));
  }

  @Test
  void modelSizedVectorsFoldWithTheScalarKernelAndLargeOnesWithTheVectorKernel() {
    assertThat(FoldKernel.forLength(101_770), instanceOf(ScalarFoldKernel.class));
    assertThat(FoldKernel.forLength(FoldKernel.VECTOR_MIN_LENGTH - 1), instanceOf(ScalarFoldKernel.class));
    assertThat(FoldKernel.forLength(FoldKernel.VECTOR_MIN_LENGTH), instanceOf(VectorFoldKernel.class));
    assertThat(FoldKernel.forLength(10_000_000), instanceOf(VectorFoldKernel.class));
  }

  @Test
  void accumulateIsBitIdenticalToTheScalarReference() {
    SplittableRandom random = new SplittableRandom(11);
    for (int length : LENGTHS) {
      for (int k = 1; k <= MAX_INPUTS; k++) {
        float[][] inputs = new float[k][];
        double[] weights = new double[k];
        for (int j = 0; j < k; j++) {
          inputs[j] = randomFloats(length, random);
          weights[j] = 1 + random.nextInt(100_000);
        }
        double[] start = randomDoubles(length, random);
        int from = length > 2 ? 1 : 0;
        int to = length > 2 ? length - 1 : length;
        double[] scalar = start.clone();
        double[] vector = start.clone();

        new ScalarFoldKernel().accumulate(scalar, 0, inputs, weights, k, from, to);
        new VectorFoldKernel().accumulate(vector, 0, inputs, weights, k, from, to);

        assertThat("length " + length + ", " + k + " inputs", Arrays.equals(vector, scalar), equalTo(true));
      }
    }
  }

  @Test
  void scaleIsBitIdenticalToTheScalarReference() {
    SplittableRandom random = new SplittableRandom(12);
    for (int length : LENGTHS) {
      double[] sum = randomDoubles(length, random);
      float[] scalar = new float[length];
      float[] vector = new float[length];

      new ScalarFoldKernel().scale(sum, 0, 1.0 / 12345, scalar, 0, length);
      new VectorFoldKernel().scale(sum, 0, 1.0 / 12345, vector, 0, length);

      assertThat("length " + length, Arrays.equals(vector, scalar), equalTo(true));
    }
  }

  private static float[] randomFloats(int n, SplittableRandom random) {
    float[] out = new float[n];
    for (int i = 0; i < n; i++) {
      out[i] = (float) (random.nextGaussian() * Math.pow(10, random.nextInt(-6, 6)));
    }
    return out;
  }

  private static double[] randomDoubles(int n, SplittableRandom random) {
    double[] out = new double[n];
    for (int i = 0; i < n; i++) {
      out[i] = random.nextGaussian() * 1e4;
    }
    return out;
  }
}
