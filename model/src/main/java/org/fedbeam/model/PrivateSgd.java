package org.fedbeam.model;

import java.util.SplittableRandom;
import org.fedbeam.data.Dataset;
import org.fedbeam.model.privacy.RdpAccountant;

/**
 * DP-SGD (Abadi et al. 2016, "Deep Learning with Differential Privacy") for {@link DenseNetwork}:
 * exactly the steps of {@link TrainConfig#dpPlan}, so the spend a silo accounts for before it
 * trains is the spend of the training. Each step:
 * <ol>
 *   <li>Poisson sampling: every row joins the step's batch independently with probability q (the
 *       batch size varies; it may be empty, and the step is still taken);</li>
 *   <li>every sampled row's gradient is clipped to L2 norm C and the clipped gradients are summed
 *       ({@link Workspace#addClippedGradientSum}; batches larger than the workspace are summed in
 *       chunks);</li>
 *   <li>N(0, (sigma C)^2) noise is added to every coordinate of the sum, which is divided by the
 *       EXPECTED batch size q * rows (not the drawn one, whose size would otherwise leak);</li>
 *   <li>the usual momentum, weight decay and learning-rate step.</li>
 * </ol>
 * Sampling and noise draw from two streams derived from the seed given to train (in the federated
 * mode, the silo's secret-derived seed, which the orchestrator cannot predict).
 */
final class PrivateSgd {
  private PrivateSgd() {}

  static TrainResult train(ModelSpec spec, Parameters start, Dataset data, TrainConfig config, long seed,
      Freezing freezing, DenseNetwork.StepObserver observer) {
    DpSgd dp = config.privacy();
    int rows = data.size();
    RdpAccountant.Plan plan = config.dpPlan(rows);
    double q = plan.q();
    int expected = (int) Math.ceil(q * rows);
    int capacity = Math.min(rows, expected + 4 * (int) Math.ceil(Math.sqrt(expected)) + 8);
    Workspace ws = new Workspace(spec, capacity, true);
    ws.start(start, config);
    SplittableRandom sampling = new SplittableRandom(Seeds.derive(seed, "dp-sgd-sample"));
    SplittableRandom noise = new SplittableRandom(Seeds.derive(seed, "dp-sgd-noise"));
    double noiseStd = dp.noiseMultiplier() * dp.clip();
    int[] sampled = new int[rows];
    int[] chunk = new int[capacity];
    double lossSum = 0;
    long seen = 0;
    long perEpoch = plan.steps() / config.epochs();
    for (long step = 0; step < plan.steps(); step++) {
      ws.freeze(freezing.layersAt((int) Math.min(Integer.MAX_VALUE, step / perEpoch)));
      int count = 0;
      for (int r = 0; r < rows; r++) {
        if (sampling.nextDouble() < q) {
          sampled[count++] = r;
        }
      }
      if (observer != null) {
        observer.step(sampled, count);
      }
      ws.clearGradient();
      for (int from = 0; from < count; from += capacity) {
        int n = Math.min(capacity, count - from);
        System.arraycopy(sampled, from, chunk, 0, n);
        lossSum += ws.addClippedGradientSum(data, chunk, n, dp.clip(), null);
      }
      ws.privateStep(config, noiseStd, q * rows, noise);
      seen += count;
    }
    float[] trained = new float[spec.parameterCount()];
    ws.weights.get(0, trained);
    return new TrainResult(Parameters.adopt(spec, trained), seen == 0 ? 0 : lossSum / seen, seen);
  }
}
