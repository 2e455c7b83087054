package org.fedbeam.model;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.closeTo;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.everyItem;
import static org.hamcrest.Matchers.greaterThan;
import static org.hamcrest.Matchers.lessThan;
import static org.hamcrest.Matchers.lessThanOrEqualTo;
import static org.hamcrest.Matchers.not;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.fedbeam.data.Dataset;
import org.fedbeam.model.privacy.RdpAccountant;
import org.junit.jupiter.api.Test;

/**
 * DP-SGD in {@link DenseNetwork}: per-example clipping checked against per-example gradients
 * computed one row at a time, the noise's standard deviation, the Poisson sampling rate and the
 * planned number of steps.
 */
class DenseNetworkDpTest {
  private static final ModelSpec MLP = ModelSpec.of(5, List.of(4, 6), 3);
  private static final Dataset DATA = TestData.gaussian("dp-data", 12, 5, 3, 31L);
  private static final long SEED = 77L;

  @Test
  void fastClippedSumEqualsThePerExampleGradientsClippedOneByOne() {
    DenseNetwork network = new DenseNetwork(MLP);
    Parameters at = TestData.jitter(network.initialize(3L), 0.3, 4L);
    List<float[]> perExample = perExampleGradients(network, at, DATA);
    double[] slowNorms = perExample.stream().mapToDouble(DenseNetworkDpTest::norm).toArray();
    double clip = median(slowNorms); // half the rows are clipped, half are not

    double[] fastNorms = new double[DATA.size()];
    float[] fast = network.clippedGradientSum(at, DATA, clip, fastNorms);

    double[] expected = new double[MLP.parameterCount()];
    int clipped = 0;
    for (int i = 0; i < DATA.size(); i++) {
      assertThat("row " + i + " norm", fastNorms[i], closeTo(slowNorms[i], 1e-4 * slowNorms[i]));
      double factor = Math.min(1, clip / slowNorms[i]);
      clipped += factor < 1 ? 1 : 0;
      double clippedNorm = 0;
      for (int k = 0; k < expected.length; k++) {
        expected[k] += factor * perExample.get(i)[k];
        clippedNorm += Math.pow(factor * perExample.get(i)[k], 2);
      }
      assertThat("row " + i + " clipped norm", Math.sqrt(clippedNorm), lessThanOrEqualTo(clip * (1 + 1e-6)));
    }
    assertThat(clipped, equalTo(DATA.size() / 2));
    for (int k = 0; k < expected.length; k++) {
      assertThat("coordinate " + k, (double) fast[k], closeTo(expected[k], 1e-5 * (1 + Math.abs(expected[k]))));
    }
  }

  @Test
  void oneDpStepWithASmallClipIsTheClippedSumOverTheExpectedBatch() {
    // batch >= rows: q = 1, one step over every row; noise std sigma * C = 1e-9.
    DenseNetwork network = new DenseNetwork(MLP);
    Parameters start = TestData.jitter(network.initialize(3L), 0.3, 5L);
    double clip = 0.05;
    float lr = 0.5f;
    TrainConfig config = new TrainConfig(1, DATA.size(), lr, 0, 0, new DpSgd(clip, 2e-8));

    Parameters trained = network.train(start, DATA, config, SEED).parameters();

    float[] sum = new float[MLP.parameterCount()];
    for (float[] g : perExampleGradients(network, start, DATA)) {
      double factor = Math.min(1, clip / norm(g));
      for (int k = 0; k < sum.length; k++) {
        sum[k] += (float) (factor * g[k]);
      }
    }
    float[] expected = start.toArray();
    for (int k = 0; k < expected.length; k++) {
      expected[k] -= lr * sum[k] / DATA.size();
    }
    assertThat(trained.maxAbsDifference(Parameters.copyOf(MLP, expected)), lessThanOrEqualTo(1e-6));
  }

  @Test
  void withAClipNothingReachesAndTinyNoiseADpStepIsThePlainStepOverTheSampledRows() {
    // 60 rows, batch 50: q = 5/6, round(60/50) = 1 step; clip 1e6 clips nothing; noise std 1e6 * 1e-13 = 1e-7.
    Dataset data = TestData.blobs("blobs60", 60, 5, 3, 8L);
    DenseNetwork network = new DenseNetwork(MLP);
    Parameters start = TestData.jitter(network.initialize(3L), 0.3, 6L);
    float lr = 0.2f;
    TrainConfig config = new TrainConfig(1, 50, lr, 0, 0, new DpSgd(1e6, 1e-13));
    List<int[]> steps = new ArrayList<>();

    Parameters trained = network.train(start, data, config, SEED, (rows, count) -> steps.add(Arrays.copyOf(rows, count)))
        .parameters();

    assertThat(steps.size(), equalTo(1));
    int[] sampled = steps.get(0);
    assertThat(sampled.length, greaterThan(30));
    assertThat(sampled.length, lessThan(60));
    float[] mean = network.lossAndGradient(start, subset(data, sampled)).gradient();
    float[] expected = start.toArray();
    for (int k = 0; k < expected.length; k++) {
      // the plain step over the sampled rows, its mean rescaled from the drawn to the expected batch size
      expected[k] -= lr * mean[k] * sampled.length / 50f;
    }
    assertThat(trained.maxAbsDifference(Parameters.copyOf(MLP, expected)), lessThanOrEqualTo(2e-6));
  }

  @Test
  void noiseOnEveryCoordinateHasStandardDeviationSigmaTimesClip() {
    // One step over all rows (q = 1) of a 40-100-10 network (5210 parameters), lr 1: the noise is
    // rows * (start - trained) - clipped sum. Its standard deviation must be sigma * C = 1.0 within 5%
    // (the standard error of a standard deviation over 5210 draws is 1%), its mean 0 within 5 standard
    // errors, and 68.3% +- 3% of it within one standard deviation (a Gaussian, not e.g. a uniform).
    ModelSpec spec = ModelSpec.of(40, List.of(100), 10);
    Dataset data = TestData.gaussian("noise-data", 20, 40, 10, 9L);
    DenseNetwork network = new DenseNetwork(spec);
    Parameters start = network.initialize(1L);
    double clip = 0.5;
    TrainConfig config = new TrainConfig(1, data.size(), 1.0, 0, 0, new DpSgd(clip, 2.0));

    Parameters trained = network.train(start, data, config, SEED).parameters();

    float[] clippedSum = network.clippedGradientSum(start, data, clip, null);
    int n = spec.parameterCount();
    double sum = 0;
    double squares = 0;
    int withinOne = 0;
    for (int k = 0; k < n; k++) {
      double noise = ((double) start.get(k) - trained.get(k)) * data.size() - clippedSum[k];
      sum += noise;
      squares += noise * noise;
      withinOne += Math.abs(noise) < 1.0 ? 1 : 0;
    }
    double mean = sum / n;
    double std = Math.sqrt(squares / n - mean * mean);
    assertThat(std, closeTo(1.0, 0.05));
    assertThat(mean, closeTo(0, 5 / Math.sqrt(n)));
    assertThat((double) withinOne / n, closeTo(0.6827, 0.03));
  }

  @Test
  void poissonSamplingDrawsEachRowWithProbabilityQForExactlyThePlannedSteps() {
    // 1000 rows, batch 100: q = 0.1, 10 steps per epoch, 20 epochs = 200 steps. Batch sizes are
    // Binomial(1000, 0.1): mean 100 (standard error over 200 steps 0.67), variance 90.
    Dataset data = TestData.gaussian("poisson", 1000, 5, 3, 10L);
    DenseNetwork network = new DenseNetwork(MLP);
    TrainConfig config = new TrainConfig(20, 100, 0.05, 0.5, 0.001, new DpSgd(1.0, 1.0));
    List<Integer> sizes = new ArrayList<>();
    int[] inclusions = new int[data.size()];

    TrainResult result = network.train(network.initialize(1L), data, config, SEED, (rows, count) -> {
      sizes.add(count);
      for (int i = 0; i < count; i++) {
        inclusions[rows[i]]++;
      }
    });

    assertThat((long) sizes.size(), equalTo(config.dpPlan(data.size()).steps()));
    double mean = sizes.stream().mapToInt(Integer::intValue).average().orElseThrow();
    double variance = sizes.stream().mapToDouble(s -> (s - mean) * (s - mean)).sum() / (sizes.size() - 1);
    assertThat(mean, closeTo(100, 3));
    assertThat(variance, closeTo(90, 40));
    assertThat(result.samplesSeen(), equalTo((long) sizes.stream().mapToInt(Integer::intValue).sum()));
    // every row is drawn about 200 * 0.1 = 20 times (Binomial(200, 0.1): 5..45 is beyond 3.5 standard deviations)
    assertThat(Arrays.stream(inclusions).min().orElseThrow(), greaterThan(4));
    assertThat(Arrays.stream(inclusions).max().orElseThrow(), lessThan(45));
    assertThat(result.parameters().firstNonFinite(), equalTo(-1));
  }

  @Test
  void dpTrainingIsReproducibleForASeedAndDiffersForAnother() {
    DenseNetwork network = new DenseNetwork(MLP);
    Parameters start = network.initialize(1L);
    TrainConfig config = new TrainConfig(2, 4, 0.1, 0.9, 0, new DpSgd(1.0, 1.0));

    TrainResult first = network.train(start, DATA, config, SEED);

    assertThat(network.train(start, DATA, config, SEED).parameters(), equalTo(first.parameters()));
    assertThat(network.train(start, DATA, config, SEED + 1).parameters(), not(equalTo(first.parameters())));
  }

  @Test
  void withoutDpNoStepEverSeesAPartialBatch() {
    // rows = batch * 5 + 1: the last row of each shuffled order sits the epoch out.
    Dataset data = TestData.gaussian("81-rows", 16 * 5 + 1, 5, 3, 11L);
    DenseNetwork network = new DenseNetwork(MLP);
    List<Integer> sizes = new ArrayList<>();

    TrainResult result = network.train(network.initialize(1L), data, new TrainConfig(3, 16, 0.1, 0.9, 0), SEED,
        (rows, count) -> sizes.add(count));

    assertThat(sizes.size(), equalTo(3 * 5));
    assertThat(sizes, everyItem(equalTo(16)));
    assertThat(result.samplesSeen(), equalTo(3L * 5 * 16));
  }

  @Test
  void withoutDpFewerRowsThanTheBatchTrainOneStepOverAllRowsPerEpoch() {
    List<Integer> sizes = new ArrayList<>();

    new DenseNetwork(MLP).train(new DenseNetwork(MLP).initialize(1L), DATA, new TrainConfig(2, 64, 0.1, 0, 0), SEED,
        (rows, count) -> sizes.add(count));

    assertThat(sizes, equalTo(List.of(DATA.size(), DATA.size())));
  }

  static List<float[]> perExampleGradients(DenseNetwork network, Parameters at, Dataset data) {
    List<float[]> gradients = new ArrayList<>();
    for (int i = 0; i < data.size(); i++) {
      gradients.add(network.lossAndGradient(at, subset(data, new int[] {i})).gradient());
    }
    return gradients;
  }

  static Dataset subset(Dataset data, int[] rows) {
    int f = data.featureCount();
    float[] x = new float[rows.length * f];
    int[] y = new int[rows.length];
    for (int i = 0; i < rows.length; i++) {
      for (int c = 0; c < f; c++) {
        x[i * f + c] = data.feature(rows[i], c);
      }
      y[i] = data.label(rows[i]);
    }
    return new Dataset(data.name() + "-subset", x, y, f, data.classes());
  }

  static double norm(float[] v) {
    double s = 0;
    for (float x : v) {
      s += (double) x * x;
    }
    return Math.sqrt(s);
  }

  private static double median(double[] values) {
    double[] v = values.clone();
    Arrays.sort(v);
    return (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
  }
}
