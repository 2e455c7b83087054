package org.fedbeam.model;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.greaterThan;
import static org.hamcrest.Matchers.lessThan;

import java.util.List;
import org.fedbeam.data.Dataset;
import org.junit.jupiter.api.Test;

/**
 * FedProx's proximal term in the learner (Li et al. 2020): each step's direction gains
 * {@code mu * (w - w_start)}, checked against a plain-Java reference built from
 * {@link DenseNetwork#lossAndGradient}, on the plain, heavy-ball and DP-SGD paths.
 */
class DenseNetworkProximalTest {
  private static final ModelSpec MLP = ModelSpec.of(6, List.of(5), 3);
  private static final int ROWS = 40;
  private static final Dataset DATA = TestData.blobs("prox", ROWS, 6, 3, 314L);
  private static final DenseNetwork NET = new DenseNetwork(MLP);
  private static final Parameters W0 = NET.initialize(11L);
  private static final double LR = 0.1;
  private static final double MU = 0.5;
  private static final double TOLERANCE = 2e-5;

  @Test
  void twoFullBatchStepsEqualGradientStepsWithTheProximalGradientAdded() {
    // full batch (batch = rows), two epochs: two steps whatever the shuffle
    TrainConfig config = new TrainConfig(2, ROWS, LR, 0, 0).withProximalMu(MU);

    float[] trained = NET.train(W0, DATA, config, 5L).parameters().toArray();

    double[] w0 = doubles(W0.toArray());
    double[] g0 = doubles(NET.lossAndGradient(W0, DATA).gradient());
    double[] w1 = new double[w0.length];
    for (int i = 0; i < w0.length; i++) {
      w1[i] = w0[i] - LR * g0[i]; // the proximal term is 0 at the start
    }
    double[] g1 = doubles(NET.lossAndGradient(params(w1), DATA).gradient());
    double[] w2 = new double[w0.length];
    double[] w2WithoutProx = new double[w0.length];
    for (int i = 0; i < w0.length; i++) {
      w2[i] = w1[i] - LR * (g1[i] + MU * (w1[i] - w0[i]));
      w2WithoutProx[i] = w1[i] - LR * g1[i];
    }
    assertThat(maxAbsDiff(trained, w2), lessThan(TOLERANCE));
    // the proximal term is far above the tolerance, so a learner that ignored mu would fail
    assertThat(maxAbsDiff(trained, w2WithoutProx), greaterThan(50 * TOLERANCE));
  }

  @Test
  void heavyBallAndWeightDecayCarryTheProximalGradientInTheVelocity() {
    double momentum = 0.9;
    double decay = 0.01;
    TrainConfig config = new TrainConfig(2, ROWS, LR, momentum, decay).withProximalMu(MU);

    float[] trained = NET.train(W0, DATA, config, 5L).parameters().toArray();

    double[] w0 = doubles(W0.toArray());
    double[] g0 = doubles(NET.lossAndGradient(W0, DATA).gradient());
    double[] v1 = new double[w0.length];
    double[] w1 = new double[w0.length];
    for (int i = 0; i < w0.length; i++) {
      v1[i] = g0[i] + decay * w0[i];
      w1[i] = w0[i] - LR * v1[i];
    }
    double[] g1 = doubles(NET.lossAndGradient(params(w1), DATA).gradient());
    double[] w2 = new double[w0.length];
    for (int i = 0; i < w0.length; i++) {
      double v2 = momentum * v1[i] + g1[i] + decay * w1[i] + MU * (w1[i] - w0[i]);
      w2[i] = w1[i] - LR * v2;
    }
    assertThat(maxAbsDiff(trained, w2), lessThan(TOLERANCE));
  }

  @Test
  void dpSgdStepsCarryTheProximalGradientToo() {
    // rows 40, batch 27: q = 0.675 and one step per epoch, so one and two epochs share the first step
    DpSgd dp = new DpSgd(1.0, 0.8);
    TrainConfig oneStep = new TrainConfig(1, 27, LR, 0, 0, dp);
    TrainConfig twoSteps = new TrainConfig(2, 27, LR, 0, 0, dp);

    float[] w1 = NET.train(W0, DATA, oneStep, 9L).parameters().toArray();
    float[] plain = NET.train(W0, DATA, twoSteps, 9L).parameters().toArray();
    double mu = 5.0;
    float[] prox = NET.train(W0, DATA, twoSteps.withProximalMu(mu), 9L).parameters().toArray();

    // same sampling, same noise, same first step: the second steps differ by exactly lr * mu * (w1 - w0)
    float[] w0 = W0.toArray();
    double worst = 0;
    double largest = 0;
    for (int i = 0; i < w0.length; i++) {
      double expected = -LR * mu * ((double) w1[i] - w0[i]);
      worst = Math.max(worst, Math.abs(((double) prox[i] - plain[i]) - expected));
      largest = Math.max(largest, Math.abs(expected));
    }
    assertThat(worst, lessThan(1e-6));
    assertThat(largest, greaterThan(1e-3));
  }

  @Test
  void theProximalTermKeepsTrainedWeightsCloserToTheStart() {
    Dataset data = TestData.blobs("prox-drift", 600, 6, 3, 2718L);
    TrainConfig plain = new TrainConfig(5, 16, 0.1, 0, 0);

    double drift = NET.train(W0, data, plain, 3L).parameters().maxAbsDifference(W0);
    double proxDrift = NET.train(W0, data, plain.withProximalMu(1.0), 3L).parameters().maxAbsDifference(W0);

    assertThat(proxDrift, lessThan(0.8 * drift));
  }

  @Test
  void muZeroTrainsBitForBitAsAConfigWithoutIt() {
    TrainConfig[] configs = {new TrainConfig(3, 8, 0.1, 0.9, 1e-3), new TrainConfig(2, 8, 0.1, 0.5, 0, new DpSgd(1, 1.1))};
    for (TrainConfig config : configs) {
      Parameters without = NET.train(W0, DATA, config, 21L).parameters();
      Parameters withZero = NET.train(W0, DATA, config.withProximalMu(0), 21L).parameters();

      assertThat(withZero, equalTo(without));
    }
  }

  private static Parameters params(double[] values) {
    float[] f = new float[values.length];
    for (int i = 0; i < f.length; i++) {
      f[i] = (float) values[i];
    }
    return Parameters.copyOf(MLP, f);
  }

  private static double[] doubles(float[] values) {
    double[] d = new double[values.length];
    for (int i = 0; i < d.length; i++) {
      d[i] = values[i];
    }
    return d;
  }

  private static double maxAbsDiff(float[] a, double[] b) {
    double max = 0;
    for (int i = 0; i < a.length; i++) {
      max = Math.max(max, Math.abs(a[i] - b[i]));
    }
    return max;
  }
}
