package org.fedbeam.model;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.equalTo;

import java.util.List;
import org.fedbeam.data.Dataset;
import org.junit.jupiter.api.Test;

/**
 * A curious orchestrator chooses the global model. With one weight near the float range
 * ({@code Float.MAX_VALUE / t} from feature 0 to class 0), a row's logit overflows to infinity
 * exactly when its feature 0 is above {@code t}; softmax then gives NaN, and NaN passes unclipped
 * (a NaN norm is not "> C") into the sum, which no noise hides. Before the fix the trained model was
 * NaN, and the egress guard refused it, exactly when some sampled row had feature 0 above t: one
 * noiseless bit per training, whatever sigma (with sigma 50 a training costs about 0.1 of an
 * epsilon-8 budget, so a binary search finds a row's value to many bits). DP-SGD now drops a row
 * whose gradient is not finite (its contribution is zero, within the clip bound), so the answer
 * is finite both ways.
 */
class DpNonFiniteRowTest {
  private static final ModelSpec LOGREG = new ModelSpec(ModelKind.LOGREG, List.of(8, 3));

  @Test
  void aRowWhoseGradientIsNotFiniteIsDroppedNotSpreadOverTheUpdate() {
    Dataset data = TestData.gaussian("probe", 120, 8, 3, 11);
    double max = Double.NEGATIVE_INFINITY;
    for (int r = 0; r < data.size(); r++) {
      max = Math.max(max, data.feature(r, 0));
    }
    DenseNetwork net = new DenseNetwork(LOGREG);
    TrainConfig config = new TrainConfig(1, 120, 0.1, 0, 0, new DpSgd(1.0, 50.0)); // q = 1: every row, one step
    for (double t : new double[] {max * 1.01, max * 0.99}) {
      float[] w = new float[LOGREG.parameterCount()];
      w[LOGREG.weightOffset(0)] = (float) (Float.MAX_VALUE / t); // feature 0 -> class 0
      float[] out = net.train(Parameters.copyOf(LOGREG, w), data, config, 7).parameters().toArray();
      assertThat("threshold " + t + " (largest feature 0: " + max + "): first non-finite value",
          Parameters.copyOf(LOGREG, out).firstNonFinite(), equalTo(-1));
    }
  }
}
