package org.fedbeam.model;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.allOf;
import static org.hamcrest.Matchers.closeTo;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.greaterThan;
import static org.hamcrest.Matchers.greaterThanOrEqualTo;
import static org.hamcrest.Matchers.lessThanOrEqualTo;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The running weighted sum behind FedAvg: exactness, folding, merging and serialization. */
class WeightedSumTest {
  private static final ModelSpec TINY = ModelSpec.of(1, List.of(), 2); // 1 x 2 weights + 2 biases = 4
  private static final ModelSpec WIDE = ModelSpec.of(300, List.of(16), 4);
  /** 32,084 values: two full fold blocks (16,384 each would be 32,768) do not fit, so there is a partial last block. */
  private static final ModelSpec BLOCKS = ModelSpec.of(2000, List.of(16), 4);
  private static final int INPUTS = 40;
  private static final long SEED = 2024L;

  @Test
  void weightedAverageOfTwoVectorsIsExact() {
    WeightedSum sum = new WeightedSum(TINY);
    sum.add(Parameters.copyOf(TINY, new float[] {1, 2, 3, 4}), 1);
    sum.add(Parameters.copyOf(TINY, new float[] {5, 6, -1, 0}), 3);

    Parameters average = sum.average();

    // (1*1 + 3*5)/4 = 4, (2 + 18)/4 = 5, (3 - 3)/4 = 0, (4 + 0)/4 = 1
    assertThat(average, equalTo(Parameters.copyOf(TINY, new float[] {4, 5, 0, 1})));
    assertThat(sum.totalWeight(), equalTo(4.0));
    assertThat(sum.count(), equalTo(2L));
  }

  @Test
  void moreInputsThanPendingSlotsMatchADoubleReference() {
    List<Parameters> inputs = randomParameters(WIDE, INPUTS, SEED);
    double[] weights = randomWeights(INPUTS, SEED + 1);
    WeightedSum sum = new WeightedSum(WIDE);

    for (int i = 0; i < INPUTS; i++) {
      sum.add(inputs.get(i), weights[i]);
    }
    Parameters average = sum.average();

    assertThat(INPUTS, greaterThan(2 * WeightedSum.PENDING));
    assertThat(maxAbsDifference(average, reference(inputs, weights)), lessThanOrEqualTo(1e-6));
    assertThat(sum.count(), equalTo((long) INPUTS));
    assertThat(sum.totalWeight(), closeTo(Arrays.stream(weights).sum(), 1e-9));
  }

  @Test
  void largeModelsFoldWithTheVectorKernelToTheSameBitsAsSmallModelsWithTheScalarOne() {
    // 1024-1024-2: 1,051,650 values, over the size from which the vector kernel folds
    ModelSpec large = ModelSpec.of(1024, List.of(1024), 2);
    assertThat(large.parameterCount(), greaterThanOrEqualTo(FoldKernel.VECTOR_MIN_LENGTH));
    int k = 5;
    List<Parameters> inputs = randomParameters(large, k, SEED + 7);
    double[] weights = randomWeights(k, SEED + 8);
    WeightedSum sum = new WeightedSum(large);
    for (int i = 0; i < k; i++) {
      sum.add(inputs.get(i), weights[i]);
    }
    Parameters viaVector = sum.average();

    // the same fold on the scalar reference kernel, block by block as WeightedSum does it
    float[][] pending = new float[k][];
    for (int i = 0; i < k; i++) {
      pending[i] = inputs.get(i).values();
    }
    double[] reference = new double[large.parameterCount()];
    float[] expected = new float[reference.length];
    ScalarFoldKernel scalar = new ScalarFoldKernel();
    scalar.accumulate(reference, 0, pending, weights, k, 0, reference.length);
    scalar.scale(reference, 0, 1.0 / Arrays.stream(weights).sum(), expected, 0, reference.length);

    assertThat(viaVector, equalTo(Parameters.copyOf(large, expected)));
  }

  @Test
  void averagingWithoutAFullSumIsBitIdenticalToFoldingIntoOne() {
    assertThat(BLOCKS.parameterCount(), greaterThan(16_384));
    for (int k = 1; k <= WeightedSum.PENDING - 1; k++) {
      List<Parameters> inputs = randomParameters(BLOCKS, k, SEED + k);
      double[] weights = randomWeights(k, SEED + 100 + k);
      WeightedSum windowed = new WeightedSum(BLOCKS);
      WeightedSum full = new WeightedSum(BLOCKS);
      for (int i = 0; i < k; i++) {
        windowed.add(inputs.get(i), weights[i]);
        full.add(inputs.get(i), weights[i]);
      }
      full.fold(); // materialises the full double sum; average() then scales from it

      Parameters a = windowed.average();
      Parameters b = full.average();

      for (int i = 0; i < a.size(); i++) {
        if (Float.floatToRawIntBits(a.get(i)) != Float.floatToRawIntBits(b.get(i))) {
          throw new AssertionError(k + " inputs: value " + i + " is " + a.get(i) + " without a full sum, "
              + b.get(i) + " with one");
        }
      }
      assertThat(maxAbsDifference(a, reference(inputs, weights)), lessThanOrEqualTo(1e-6));
    }
  }

  @Test
  void anEmptySumSerialisesAsZerosAndTakesInputsAfterwards() throws IOException {
    WeightedSum empty = new WeightedSum(TINY);
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    empty.writeTo(new DataOutputStream(bytes));
    WeightedSum back = WeightedSum.readFrom(new DataInputStream(new ByteArrayInputStream(bytes.toByteArray())));
    back.add(Parameters.copyOf(TINY, new float[] {2, 4, 6, 8}), 2);

    assertThat(back.average(), equalTo(Parameters.copyOf(TINY, new float[] {2, 4, 6, 8})));
  }

  @Test
  void exactlyPendingInputsAreFoldedOnceAndStillAverageCorrectly() {
    List<Parameters> inputs = randomParameters(WIDE, WeightedSum.PENDING, SEED);
    double[] weights = randomWeights(WeightedSum.PENDING, SEED + 1);
    WeightedSum sum = new WeightedSum(WIDE);

    for (int i = 0; i < inputs.size(); i++) {
      sum.add(inputs.get(i), weights[i]);
    }

    assertThat(maxAbsDifference(sum.average(), reference(inputs, weights)), lessThanOrEqualTo(1e-6));
  }

  @Test
  void mergingTwoPartialSumsEqualsOneSumOverAllInputs() {
    List<Parameters> inputs = randomParameters(WIDE, INPUTS, SEED);
    double[] weights = randomWeights(INPUTS, SEED + 1);
    WeightedSum all = new WeightedSum(WIDE);
    WeightedSum first = new WeightedSum(WIDE);
    WeightedSum second = new WeightedSum(WIDE);
    for (int i = 0; i < INPUTS; i++) {
      all.add(inputs.get(i), weights[i]);
      (i % 3 == 0 ? first : second).add(inputs.get(i), weights[i]);
    }

    second.merge(first);

    assertThat(second.count(), equalTo((long) INPUTS));
    assertThat(second.totalWeight(), closeTo(all.totalWeight(), 1e-9));
    assertThat(second.average().maxAbsDifference(all.average()), lessThanOrEqualTo(1e-6));
  }

  @Test
  void mergeLeavesTheOtherSumsAverageUnchanged() {
    List<Parameters> inputs = randomParameters(TINY, 3, SEED);
    WeightedSum mine = new WeightedSum(TINY);
    WeightedSum other = new WeightedSum(TINY);
    mine.add(inputs.get(0), 1);
    other.add(inputs.get(1), 2);
    other.add(inputs.get(2), 5);
    Parameters before = other.average();

    mine.merge(other);

    assertThat(other.average(), equalTo(before));
    assertThat(other.count(), equalTo(2L));
  }

  @Test
  void theOrderOfInputsDoesNotChangeTheAverageBeyondRounding() {
    List<Parameters> inputs = randomParameters(WIDE, INPUTS, SEED);
    double[] weights = randomWeights(INPUTS, SEED + 1);
    WeightedSum forward = new WeightedSum(WIDE);
    WeightedSum backward = new WeightedSum(WIDE);

    for (int i = 0; i < INPUTS; i++) {
      forward.add(inputs.get(i), weights[i]);
      backward.add(inputs.get(INPUTS - 1 - i), weights[INPUTS - 1 - i]);
    }

    assertThat(forward.average().maxAbsDifference(backward.average()), lessThanOrEqualTo(1e-6));
  }

  @Test
  void writeToAndReadFromPreserveTheAverage() throws IOException {
    List<Parameters> inputs = randomParameters(WIDE, 11, SEED);
    double[] weights = randomWeights(11, SEED + 1);
    WeightedSum sum = new WeightedSum(WIDE);
    for (int i = 0; i < inputs.size(); i++) {
      sum.add(inputs.get(i), weights[i]);
    }
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();

    sum.writeTo(new DataOutputStream(bytes));
    WeightedSum read = WeightedSum.readFrom(new DataInputStream(new ByteArrayInputStream(bytes.toByteArray())));

    assertThat(read.spec(), equalTo(WIDE));
    assertThat(read.count(), equalTo(11L));
    assertThat(read.totalWeight(), equalTo(sum.totalWeight()));
    assertThat(read.average(), equalTo(sum.average()));
  }

  @Test
  void aSumReadBackCanTakeMoreInputs() throws IOException {
    Parameters a = Parameters.copyOf(TINY, new float[] {2, 2, 2, 2});
    Parameters b = Parameters.copyOf(TINY, new float[] {6, 6, 6, 6});
    WeightedSum sum = new WeightedSum(TINY);
    sum.add(a, 1);
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    sum.writeTo(new DataOutputStream(bytes));
    WeightedSum read = WeightedSum.readFrom(new DataInputStream(new ByteArrayInputStream(bytes.toByteArray())));

    read.add(b, 1);

    assertThat(read.average(), equalTo(Parameters.copyOf(TINY, new float[] {4, 4, 4, 4})));
  }

  @Test
  void readingATruncatedSumFails() throws IOException {
    WeightedSum sum = new WeightedSum(TINY);
    sum.add(Parameters.copyOf(TINY, new float[] {1, 2, 3, 4}), 1);
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    sum.writeTo(new DataOutputStream(bytes));
    byte[] cut = Arrays.copyOf(bytes.toByteArray(), bytes.size() - 5);

    assertThrows(EOFException.class, () -> WeightedSum.readFrom(new DataInputStream(new ByteArrayInputStream(cut))));
  }

  @Test
  void readingAnUnknownKindIsReported() {
    byte[] corrupt = {7, 2, 0, 0, 0, 1, 0, 0, 0, 2};

    IOException e = assertThrows(IOException.class,
        () -> WeightedSum.readFrom(new DataInputStream(new ByteArrayInputStream(corrupt))));

    assertThat(e.getMessage(), allOf(containsString("corrupt"), containsString("kind 7")));
  }

  @Test
  void anUpdateOfAnotherSpecIsRejectedNamingBothSpecs() {
    WeightedSum sum = new WeightedSum(WIDE);
    Parameters other = Parameters.zeros(TINY);

    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> sum.add(other, 1));

    assertThat(e.getMessage(), allOf(containsString(TINY.describe()), containsString(WIDE.describe()),
        containsString(String.valueOf(WIDE.parameterCount()))));
  }

  @Test
  void mergingASumOfAnotherSpecIsRejectedNamingBothSpecs() {
    WeightedSum sum = new WeightedSum(WIDE);

    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> sum.merge(new WeightedSum(TINY)));

    assertThat(e.getMessage(), allOf(containsString(TINY.describe()), containsString(WIDE.describe())));
  }

  @Test
  void aZeroWeightIsRejectedWithTheValue() {
    WeightedSum sum = new WeightedSum(TINY);

    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> sum.add(Parameters.zeros(TINY), 0));

    assertThat(e.getMessage(), allOf(containsString("weight"), containsString("> 0"), containsString("was 0.0")));
  }

  @Test
  void aNegativeWeightIsRejectedWithTheValue() {
    WeightedSum sum = new WeightedSum(TINY);

    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> sum.add(Parameters.zeros(TINY), -2.5));

    assertThat(e.getMessage(), containsString("was -2.5"));
  }

  @Test
  void aNonFiniteWeightIsRejected() {
    WeightedSum sum = new WeightedSum(TINY);

    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> sum.add(Parameters.zeros(TINY), Double.POSITIVE_INFINITY));

    assertThat(e.getMessage(), containsString("was Infinity"));
  }

  @Test
  void averageOfNothingThrows() {
    WeightedSum sum = new WeightedSum(TINY);

    IllegalStateException e = assertThrows(IllegalStateException.class, sum::average);

    assertThat(e.getMessage(), containsString("no updates"));
  }

  static List<Parameters> randomParameters(ModelSpec spec, int n, long seed) {
    SplittableRandom random = new SplittableRandom(seed);
    List<Parameters> out = new ArrayList<>();
    for (int k = 0; k < n; k++) {
      float[] v = new float[spec.parameterCount()];
      for (int i = 0; i < v.length; i++) {
        v[i] = (float) random.nextGaussian();
      }
      out.add(Parameters.copyOf(spec, v));
    }
    return out;
  }

  static double[] randomWeights(int n, long seed) {
    SplittableRandom random = new SplittableRandom(seed);
    double[] w = new double[n];
    for (int i = 0; i < n; i++) {
      w[i] = 1 + random.nextInt(5000);
    }
    return w;
  }

  /** The straightforward weighted mean, accumulated in double. */
  static double[] reference(List<Parameters> inputs, double[] weights) {
    int p = inputs.get(0).size();
    double[] sum = new double[p];
    double total = 0;
    for (int k = 0; k < inputs.size(); k++) {
      total += weights[k];
      for (int i = 0; i < p; i++) {
        sum[i] += weights[k] * inputs.get(k).get(i);
      }
    }
    for (int i = 0; i < p; i++) {
      sum[i] /= total;
    }
    return sum;
  }

  static double maxAbsDifference(Parameters actual, double[] expected) {
    double max = 0;
    for (int i = 0; i < expected.length; i++) {
      max = Math.max(max, Math.abs(actual.get(i) - expected[i]));
    }
    return max;
  }
}
