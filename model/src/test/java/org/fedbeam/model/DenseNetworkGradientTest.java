package org.fedbeam.model;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.closeTo;
import static org.hamcrest.Matchers.empty;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.greaterThanOrEqualTo;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.fedbeam.data.Dataset;
import org.junit.jupiter.api.Test;

/**
 * Finite-difference check of {@link DenseNetwork#lossAndGradient} for both model kinds, on every
 * parameter (weights and biases of every layer).
 *
 * <p>Parameters are float32, so the loss is only accurate to ~1e-7 relative; central differences
 * with a step of 5e-3 keep that rounding noise (~1e-5 on the derivative) and the O(eps^2)
 * truncation error well below the tolerance. The derivative is divided by the step actually taken
 * after rounding the perturbed parameters to float.
 */
class DenseNetworkGradientTest {
  private static final ModelSpec LOGREG = ModelSpec.of(5, List.of(), 3);
  private static final ModelSpec MLP = ModelSpec.of(5, List.of(4, 6), 3);
  private static final int ROWS = 8;
  private static final long DATA_SEED = 20240611L;
  private static final long INIT_SEED = 17L;
  private static final long JITTER_SEED = 23L;
  private static final float EPS = 5e-3f;
  private static final double RELATIVE_TOLERANCE = 2e-2;
  private static final double SCALE_FLOOR = 1e-3;

  private static final Dataset DATA = TestData.gaussian("fd-data", ROWS, 5, 3, DATA_SEED);

  @Test
  void logregGradientMatchesCentralDifferences() {
    Parameters at = startingPoint(LOGREG);

    Check check = check(new DenseNetwork(LOGREG), at);

    assertThat(check.mismatches, empty());
    assertThat(check.checked, greaterThanOrEqualTo(LOGREG.parameterCount()));
  }

  @Test
  void mlpGradientMatchesCentralDifferences() {
    Parameters at = startingPoint(MLP);

    Check check = check(new DenseNetwork(MLP), at);

    assertThat(check.mismatches, empty());
    // Only coordinates whose +-eps step would move a hidden unit across the ReLU kink are skipped.
    assertThat(check.checked, greaterThanOrEqualTo(MLP.parameterCount() * 9 / 10));
  }

  @Test
  void mlpGradientOfEveryBiasMatchesCentralDifferences() {
    Parameters at = startingPoint(MLP);
    DenseNetwork network = new DenseNetwork(MLP);
    float[] gradient = network.lossAndGradient(at, DATA).gradient();

    List<String> mismatches = new ArrayList<>();
    int checked = 0;
    for (int l = 0; l < MLP.depth(); l++) {
      for (int j = 0; j < MLP.layers().get(l + 1); j++) {
        int i = MLP.biasOffset(l) + j;
        Double fd = centralDifference(network, at, i);
        if (fd != null) {
          checked++;
          if (!agrees(fd, gradient[i])) {
            mismatches.add("bias " + l + "/" + j + ": fd " + fd + ", gradient " + gradient[i]);
          }
        }
      }
    }

    assertThat(mismatches, empty());
    assertThat(checked, greaterThanOrEqualTo(4 + 6 + 3 - 1));
  }

  @Test
  void lossMatchesReferenceCrossEntropy() {
    Parameters at = startingPoint(MLP);

    double loss = new DenseNetwork(MLP).lossAndGradient(at, DATA).loss();

    assertThat(loss, closeTo(ReferenceNetwork.meanLoss(at, DATA), 1e-5));
  }

  @Test
  void comparisonRejectsAGradientWithTheWrongSign() {
    // The tolerance must be tight enough to catch a sign error: negate the analytic gradient and
    // the check must flag (almost) every coordinate.
    Parameters at = startingPoint(MLP);
    DenseNetwork network = new DenseNetwork(MLP);
    float[] gradient = network.lossAndGradient(at, DATA).gradient();

    int flagged = 0;
    int nonZero = 0;
    for (int i = 0; i < gradient.length; i++) {
      Double fd = centralDifference(network, at, i);
      if (fd != null && Math.abs(fd) > 1e-4) {
        nonZero++;
        if (!agrees(fd, -gradient[i])) {
          flagged++;
        }
      }
    }

    assertThat(nonZero, greaterThanOrEqualTo(MLP.parameterCount() / 2));
    assertThat(flagged, equalTo(nonZero));
  }

  @Test
  void comparisonRejectsAGradientMissingTheWeightDecayLikeTerm() {
    // A gradient off by a small additive term (0.05 * w, as a forgotten or spurious L2 term would
    // be) must also fail for most weights.
    Parameters at = startingPoint(LOGREG);
    DenseNetwork network = new DenseNetwork(LOGREG);
    float[] gradient = network.lossAndGradient(at, DATA).gradient();

    int flagged = 0;
    int weights = LOGREG.inputs() * LOGREG.classes();
    for (int i = 0; i < weights; i++) {
      Double fd = centralDifference(network, at, i);
      if (fd != null && !agrees(fd, gradient[i] + 0.05f * at.get(i))) {
        flagged++;
      }
    }

    assertThat(flagged, greaterThanOrEqualTo(weights * 3 / 4));
  }

  /** Initialized weights with noise on every value, so biases are non-zero too. */
  private static Parameters startingPoint(ModelSpec spec) {
    return TestData.jitter(new DenseNetwork(spec).initialize(INIT_SEED), 0.3, JITTER_SEED);
  }

  private record Check(List<String> mismatches, int checked) {}

  private static Check check(DenseNetwork network, Parameters at) {
    float[] gradient = network.lossAndGradient(at, DATA).gradient();
    List<String> mismatches = new ArrayList<>();
    int checked = 0;
    for (int i = 0; i < gradient.length; i++) {
      Double fd = centralDifference(network, at, i);
      if (fd == null) {
        continue;
      }
      checked++;
      if (!agrees(fd, gradient[i])) {
        mismatches.add("parameter " + i + ": fd " + fd + ", gradient " + gradient[i]);
      }
    }
    return new Check(mismatches, checked);
  }

  /** |fd - g| <= tol * max(floor, |fd| + |g|). */
  private static boolean agrees(double fd, double g) {
    return Math.abs(fd - g) <= RELATIVE_TOLERANCE * Math.max(SCALE_FLOOR, Math.abs(fd) + Math.abs(g));
  }

  /**
   * The central difference of the loss in coordinate {@code i}, or null when the +-eps step moves a
   * hidden pre-activation across 0: the loss is not differentiable across the ReLU kink, so the
   * difference quotient would mix two different slopes there.
   */
  private static Double centralDifference(DenseNetwork network, Parameters at, int i) {
    float[] plus = at.toArray();
    float[] minus = at.toArray();
    plus[i] += EPS;
    minus[i] -= EPS;
    Parameters p = Parameters.copyOf(at.spec(), plus);
    Parameters m = Parameters.copyOf(at.spec(), minus);
    boolean[] signs = ReferenceNetwork.hiddenSigns(at, DATA);
    if (!Arrays.equals(signs, ReferenceNetwork.hiddenSigns(p, DATA))
        || !Arrays.equals(signs, ReferenceNetwork.hiddenSigns(m, DATA))) {
      return null;
    }
    double step = (double) plus[i] - minus[i];
    return (network.lossAndGradient(p, DATA).loss() - network.lossAndGradient(m, DATA).loss()) / step;
  }
}
