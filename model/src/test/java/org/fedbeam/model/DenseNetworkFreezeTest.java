package org.fedbeam.model;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.greaterThan;
import static org.hamcrest.Matchers.lessThan;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import org.fedbeam.data.Dataset;
import org.junit.jupiter.api.Test;

/**
 * Frozen lower layers ({@link Freezing}): checked against a plain-Java reference built from
 * {@link DenseNetwork#lossAndGradient}; frozen layers' bytes unchanged; their gradient products not
 * computed at all; no freezing trains bit for bit as the learner did before freezing existed.
 */
class DenseNetworkFreezeTest {
  private static final ModelSpec MLP = ModelSpec.of(6, List.of(5, 4), 3);
  private static final int ROWS = 40;
  private static final Dataset DATA = TestData.blobs("freeze", ROWS, 6, 3, 314L);
  private static final DenseNetwork NET = new DenseNetwork(MLP);
  private static final Parameters W0 = NET.initialize(11L);
  private static final double LR = 0.1;
  private static final double TOLERANCE = 2e-5;

  @Test
  void noFreezingTrainsBitForBitAsTheLearnerDidBeforeFreezingExisted() throws Exception {
    // SHA-256 of the trained floats, computed with the learner at commit 8e6df96 (before freezing existed)
    ModelSpec spec = ModelSpec.of(6, List.of(5, 4), 3);
    Dataset data = TestData.blobs("pin", 50, 6, 3, 77L);
    DenseNetwork net = new DenseNetwork(spec);
    Parameters w0 = net.initialize(3L);
    TrainConfig[] configs = {new TrainConfig(2, 8, 0.1, 0, 0), new TrainConfig(2, 8, 0.1, 0.9, 0.01),
        new TrainConfig(2, 8, 0.1, 0.5, 0.01).withProximalMu(0.3),
        new TrainConfig(2, 8, 0.1, 0.5, 0.01).withPrivacy(new DpSgd(1.0, 0.8))};
    String[] before = {"8000164ef1d8fe12ae7f156216dfdf8628a3e34dc3de250df4b488cfd1d7edd5",
        "432afdd75b329758b27a35c283cd2e7f63a800f0edf1b156dade2ec03aef65aa",
        "f3499d0fbe3b8fb55586eab15a91d564962639a5739b82106ced674419d2fe45",
        "f4a42821fe8d5a6f72218ced66a43f4f7cb4ef48a207180df881fc2f562df0e7"};
    for (int i = 0; i < configs.length; i++) {
      Parameters plain = net.train(w0, data, configs[i], 9L).parameters();
      Parameters none = net.train(w0, data, configs[i], 9L, Freezing.NONE).parameters();
      Parameters zeroForever = net.train(w0, data, configs[i], 9L, Freezing.always(0)).parameters();

      assertThat("config " + configs[i], sha256(plain), equalTo(before[i]));
      assertThat(none, equalTo(plain));
      assertThat(zeroForever, equalTo(plain));
    }
  }

  @Test
  void frozenLayersComeOutBitForBitWhileTheOthersTrain() {
    TrainConfig config = new TrainConfig(3, 8, LR, 0.9, 0.01).withProximalMu(0.2);
    for (int frozen = 1; frozen < MLP.depth(); frozen++) {
      float[] trained = NET.train(W0, DATA, config, 5L, Freezing.always(frozen)).parameters().toArray();

      int boundary = MLP.weightOffset(frozen);
      assertArrayEquals(Arrays.copyOfRange(W0.toArray(), 0, boundary), Arrays.copyOfRange(trained, 0, boundary),
          "the first " + frozen + " layer(s) must not move");
      assertThat(maxAbsDiff(Arrays.copyOfRange(trained, boundary, trained.length),
          Arrays.copyOfRange(doubles(W0.toArray()), boundary, trained.length)), greaterThan(1e-3));
    }
  }

  @Test
  void frozenThenUnfrozenEqualsTheReferenceStepsWithHeavyBallAndDecay() {
    // full batch (batch = rows), two epochs, layer 0 frozen in the first: step 1 moves layers 1-2 only
    // (no decay, no velocity for layer 0), step 2 moves every layer, layer 0's velocity starting from 0
    double momentum = 0.9;
    double decay = 0.01;
    TrainConfig config = new TrainConfig(2, ROWS, LR, momentum, decay);

    float[] trained = NET.train(W0, DATA, config, 5L, new Freezing(1, 1)).parameters().toArray();

    int boundary = MLP.weightOffset(1);
    double[] w0 = doubles(W0.toArray());
    double[] g0 = doubles(NET.lossAndGradient(W0, DATA).gradient());
    double[] v1 = new double[w0.length];
    double[] w1 = w0.clone();
    for (int i = boundary; i < w0.length; i++) {
      v1[i] = g0[i] + decay * w0[i];
      w1[i] = w0[i] - LR * v1[i];
    }
    double[] g1 = doubles(NET.lossAndGradient(params(w1), DATA).gradient());
    double[] w2 = new double[w0.length];
    double[] w2IfLayer0HadMoved = new double[w0.length];
    for (int i = 0; i < w0.length; i++) {
      w2[i] = w1[i] - LR * (momentum * v1[i] + g1[i] + decay * w1[i]);
      double v1Unfrozen = g0[i] + decay * w0[i];
      w2IfLayer0HadMoved[i] = w0[i] - LR * v1Unfrozen - LR * (momentum * v1Unfrozen + g1[i] + decay * w1[i]);
    }
    assertThat(maxAbsDiff(trained, w2), lessThan(TOLERANCE));
    assertThat(maxAbsDiff(Arrays.copyOfRange(trained, 0, boundary), Arrays.copyOfRange(w2IfLayer0HadMoved, 0, boundary)),
        greaterThan(50 * TOLERANCE));
  }

  @Test
  void frozenLayersGetNoGradientProductsAtAll() {
    // a NaN sentinel in the frozen layers' gradient: any product written there (even one then discarded) replaces it
    Workspace ws = new Workspace(MLP, ROWS, true);
    W0.copyInto(ws.weights);
    int boundary = MLP.weightOffset(2);
    for (int i = 0; i < MLP.parameterCount(); i++) {
      ws.gradient.put(i, Float.NaN);
    }
    ws.freeze(2);

    ws.forwardBackward(DATA, Permutations.identity(ROWS), ROWS, ws.gradient, 0f);

    float[] gradient = new float[MLP.parameterCount()];
    ws.gradient.get(0, gradient);
    for (int i = 0; i < boundary; i++) {
      assertThat("gradient " + i + " of a frozen layer", Float.isNaN(gradient[i]), equalTo(true));
    }
    float[] reference = NET.lossAndGradient(W0, DATA).gradient();
    assertArrayEquals(Arrays.copyOfRange(reference, boundary, reference.length),
        Arrays.copyOfRange(gradient, boundary, gradient.length), 1e-6f);
  }

  @Test
  void dpSgdWithFrozenLayersTakesTheSameStepsOnTheSameRowsAndLeavesThemUnchanged() {
    TrainConfig config = new TrainConfig(3, 10, LR, 0.5, 0.01, new DpSgd(1.0, 1.1));
    List<String> unfrozenSteps = new ArrayList<>();
    List<String> frozenSteps = new ArrayList<>();

    NET.train(W0, DATA, config, 7L, Freezing.NONE,
        (rows, count) -> unfrozenSteps.add(Arrays.toString(Arrays.copyOf(rows, count))));
    float[] trained = NET.train(W0, DATA, config, 7L, Freezing.always(1),
        (rows, count) -> frozenSteps.add(Arrays.toString(Arrays.copyOf(rows, count)))).parameters().toArray();

    assertThat(frozenSteps, equalTo(unfrozenSteps)); // the accounted plan: same q, same steps, same sampling
    assertThat(frozenSteps.size(), equalTo((int) config.dpPlan(ROWS).steps()));
    int boundary = MLP.weightOffset(1);
    assertArrayEquals(Arrays.copyOfRange(W0.toArray(), 0, boundary), Arrays.copyOfRange(trained, 0, boundary));
  }

  @Test
  void dpSgdClipsTheTrainableLayersGradientOnly() {
    // one full-data DP step (q = 1), noise vanishingly small: the step is the sum of per-row gradients of
    // layers 1-2, each clipped by its own norm over those layers, divided by the rows
    double clip = 0.05;
    TrainConfig config = new TrainConfig(1, ROWS, LR, 0, 0, new DpSgd(clip, 1e-9));

    float[] trained = NET.train(W0, DATA, config, 7L, Freezing.always(1)).parameters().toArray();

    int boundary = MLP.weightOffset(1);
    double[] expected = doubles(W0.toArray());
    for (int r = 0; r < ROWS; r++) {
      Dataset row = DATA.subset("row", new int[] {r});
      float[] g = NET.lossAndGradient(W0, row).gradient();
      double norm = 0;
      for (int i = boundary; i < g.length; i++) {
        norm += (double) g[i] * g[i];
      }
      double factor = Math.min(1, clip / Math.sqrt(norm));
      for (int i = boundary; i < g.length; i++) {
        expected[i] -= LR * g[i] * factor / ROWS;
      }
    }
    assertThat(maxAbsDiff(trained, expected), lessThan(1e-6));
  }

  @Test
  void freezingTheOutputLayerIsRefused() {
    TrainConfig config = new TrainConfig(1, 8, LR, 0, 0);

    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> NET.train(W0, DATA, config, 1L, Freezing.always(3)));

    assertThat(e.getMessage(), containsString("frozen layers must be < the model's depth 3"));
    assertThat(e.getMessage(), containsString("was 3"));
    assertThat(assertThrows(IllegalArgumentException.class, () -> new Freezing(-1, 1)).getMessage(),
        containsString("frozen layers must be >= 0, was -1"));
  }

  static String sha256(Parameters p) throws Exception {
    java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(4 * p.size());
    for (float f : p.toArray()) {
      b.putFloat(f);
    }
    return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b.array()));
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
