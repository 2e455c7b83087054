package org.fedbeam.model.privacy;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.allOf;
import static org.hamcrest.Matchers.closeTo;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.greaterThan;
import static org.hamcrest.Matchers.lessThan;
import static org.hamcrest.Matchers.lessThanOrEqualTo;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.stream.IntStream;
import org.fedbeam.model.DpSgd;
import org.fedbeam.model.TrainConfig;
import org.junit.jupiter.api.Test;

/**
 * {@link RdpAccountant} against published values: Opacus's accountant test (pytorch/opacus,
 * {@code opacus/tests/accountants_test.py}), Google's {@code dp_accounting} RDP tests
 * ({@code rdp_privacy_accountant_test.py}) and the TensorFlow Privacy MNIST tutorial's README.
 * Tolerances follow the precision each source publishes its figure to.
 */
class RdpAccountantTest {
  private static final double DELTA = 1e-5;

  @Test
  void opacusRdpAccountantTestValue() {
    // Opacus: sigma 1.5, q 0.04, int(90 / 0.04) steps, delta 1e-5 -> 7.32911117143 (assertAlmostEqual: 7 places).
    // Opacus tracks 1.1..10.9 and 12..63 (a subset of our orders) and converts as we do.
    double eps = new RdpAccountant().add(0.04, 1.5, 2250).epsilon(DELTA);

    assertThat(eps, closeTo(7.32911117143, 1e-7));
  }

  @Test
  void calibratedSigmaIsTheSmallestThatStaysWithinTheTarget() {
    RdpAccountant.Plan plan = new RdpAccountant.Plan(0.04, 2250);

    double sigma = RdpAccountant.calibrateSigma(plan, 1, 8, DELTA);

    assertThat(new RdpAccountant().add(0.04, sigma, 2250).epsilon(DELTA), lessThanOrEqualTo(8.0));
    assertThat(new RdpAccountant().add(0.04, sigma / 1.002, 2250).epsilon(DELTA), greaterThan(8.0));
    // ten calls of the plan need more noise than one
    assertThat(RdpAccountant.calibrateSigma(plan, 10, 8, DELTA), greaterThan(sigma));
  }

  @Test
  void dpAccountingPoissonSampledGaussianRdpAtIntegerOrders() {
    // dp_accounting: q 0.01, sigma 2.5, 50 steps; compared there with rtol 1e-4.
    double[] orders = {5, 50, 100};
    double[] expected = {2.18075656e-03, 2.38460375e-02, 1.67416308e02};

    for (int i = 0; i < orders.length; i++) {
      double rdp = 50 * RdpAccountant.rdpOfOneStep(0.01, 2.5, orders[i]);
      assertThat("order " + orders[i], rdp, closeTo(expected[i], 1e-4 * expected[i]));
    }
  }

  @Test
  void fractionalOrdersMatchNumericalIntegrationAndStayBelowDpAccountingsUpperBound() {
    // dp_accounting sums |binomial coefficients| at fractional orders, an upper bound: 50 steps at q 0.01,
    // sigma 2.5 give 6.70579741e-04 at order 1.5 and 1.08548710e-03 at 2.5. We sum them with their signs (as
    // Opacus), the exact series: checked here against A_alpha integrated numerically (as dp_accounting's own
    // test does with mpmath), to 1e-6 relative.
    double[][] cases = {{0.01, 2.5, 1.5, 6.70579741e-04}, {0.01, 2.5, 2.5, 1.08548710e-03}, {0.04, 1.5, 3.9, 0},
        {1e-4, 1, 1.5, 0}, {0.1, 100, 20.5, 0}, {0.3, 0.8, 7.3, 0}};
    for (double[] c : cases) {
      double ours = RdpAccountant.rdpOfOneStep(c[0], c[1], c[2]);
      double integrated = integratedRdp(c[0], c[1], c[2]);
      assertThat(java.util.Arrays.toString(c), ours, closeTo(integrated, 1e-6 * integrated));
      if (c[3] > 0) {
        assertThat(50 * ours, lessThanOrEqualTo(c[3]));
        assertThat(50 * ours, greaterThan(0.95 * c[3]));
      }
    }
  }

  /**
   * log(A_alpha) / (alpha - 1) with A_alpha = E_{z ~ N(0, sigma^2)}[(1 - q + q e^{(2z - 1)/(2 sigma^2)})^alpha],
   * by Simpson's rule on A_alpha - 1 (no cancellation), over sigma * [-30, 30] shifted by alpha.
   */
  private static double integratedRdp(double q, double sigma, double alpha) {
    double lo = -30 * sigma;
    double hi = 30 * sigma + alpha;
    int n = 400_000;
    double h = (hi - lo) / n;
    double sum = 0;
    for (int i = 0; i <= n; i++) {
      double z = lo + i * h;
      double weight = i == 0 || i == n ? 1 : i % 2 == 1 ? 4 : 2;
      double pdf = Math.exp(-z * z / (2 * sigma * sigma)) / (sigma * Math.sqrt(2 * Math.PI));
      sum += weight * pdf * Math.expm1(alpha * Math.log1p(q * Math.expm1((2 * z - 1) / (2 * sigma * sigma))));
    }
    return Math.log1p(sum * h / 3) / (alpha - 1);
  }

  @Test
  void dpAccountingPureDpConversion() {
    // dp_accounting: constant RDP 1.1 at orders 2..32, delta 1e-5 -> epsilon 1.32783806176 (7 places).
    double[] orders = IntStream.rangeClosed(2, 32).asDoubleStream().toArray();
    double[] rdp = new double[orders.length];
    java.util.Arrays.fill(rdp, 1.1);

    assertThat(RdpAccountant.epsilon(orders, rdp, DELTA), closeTo(1.32783806176, 1e-7));
  }

  @Test
  void dpAccountingGaussianCalibratedToEpsilonOne() {
    // dp_accounting: the Gaussian mechanism (q = 1) with sigma 4.530877117 is (1, 1e-6)-DP over orders 1.001..99.999.
    double[] orders = IntStream.range(1001, 100000).mapToDouble(i -> 0.001 * i).toArray();
    double[] rdp = new double[orders.length];
    for (int i = 0; i < orders.length; i++) {
      rdp[i] = RdpAccountant.rdpOfOneStep(1, 4.530877117, orders[i]);
      assertThat(rdp[i], closeTo(orders[i] / (2 * 4.530877117 * 4.530877117), 1e-15));
    }

    assertThat(RdpAccountant.epsilon(orders, rdp, 1e-6), closeTo(1.0, 1e-7));
  }

  @Test
  void tensorFlowPrivacyMnistTutorial() {
    // TF Privacy tutorials/README, first row of its table: q = 256/60000, noise multiplier 1.12, 60 epochs
    // (60 * 60000 // 256 steps), delta 1e-5: "Privacy eps 2.92", computed with the classic conversion of
    // the time over orders 1.1..10.9 and 12..63 (printed to 2 decimals: +-0.005).
    RdpAccountant accountant = new RdpAccountant().add(256.0 / 60000, 1.12, 60 * 60000 / 256);

    double classic = RdpAccountant.classicEpsilon(RdpAccountant.orders(), accountant.rdp(), DELTA);
    double improved = accountant.epsilon(DELTA);

    assertThat(classic, closeTo(2.92, 0.005));
    assertThat(improved, lessThan(classic));
    assertThat(improved, closeTo(2.52, 0.01)); // the improved conversion: about 3, as the brief expects
  }

  @Test
  void fractionalSeriesAgreesWithTheExactIntegerExpansionNextToAnIntegerOrder() {
    // RDP is continuous in the order: the two-series method just off an integer order must meet the exact sum.
    for (double q : new double[] {0.001, 0.02, 0.3}) {
      for (double sigma : new double[] {0.7, 1.1, 4}) {
        for (int alpha : new int[] {2, 5, 17}) {
          double exact = RdpAccountant.rdpOfOneStep(q, sigma, alpha);
          double near = RdpAccountant.rdpOfOneStep(q, sigma, alpha + 1e-7);
          assertThat("q " + q + " sigma " + sigma + " order " + alpha, near, closeTo(exact, 1e-5 * exact + 1e-15));
        }
      }
    }
  }

  @Test
  void spendComposesByAddingAndSurvivesPersistence() {
    RdpAccountant twice = new RdpAccountant().add(0.01, 1.0, 300).add(0.01, 1.0, 700);
    RdpAccountant once = new RdpAccountant().add(0.01, 1.0, 1000);
    RdpAccountant restored = RdpAccountant.fromRdp(twice.rdp());

    for (int i = 0; i < once.rdp().length; i++) {
      assertThat(twice.rdp()[i], closeTo(once.rdp()[i], 1e-12 * once.rdp()[i]));
    }
    assertThat(restored.epsilon(DELTA), equalTo(twice.epsilon(DELTA)));
    assertThat(restored.add(0.01, 1.0, 10).epsilon(DELTA), greaterThan(twice.epsilon(DELTA)));
    assertThat(new RdpAccountant().epsilon(DELTA), equalTo(0.0));
    assertThat(new RdpAccountant().add(0, 1.0, 1000).epsilon(DELTA), equalTo(0.0));
  }

  @Test
  void moreNoiseOrFewerStepsSpendsLess() {
    double base = new RdpAccountant().add(0.02, 1.0, 500).epsilon(DELTA);

    assertThat(new RdpAccountant().add(0.02, 2.0, 500).epsilon(DELTA), lessThan(base));
    assertThat(new RdpAccountant().add(0.02, 1.0, 100).epsilon(DELTA), lessThan(base));
    assertThat(new RdpAccountant().add(0.01, 1.0, 500).epsilon(DELTA), lessThan(base));
  }

  @Test
  void ordersAreFixedAndAllAboveOne() {
    double[] orders = RdpAccountant.orders();

    assertThat(orders.length, equalTo(157));
    assertThat(orders[0], equalTo(1.1));
    assertThat(orders[9], equalTo(2.0));
    assertThat(orders[orders.length - 1], equalTo(256.0));
    orders[0] = 99; // a copy: the accountant's own list is untouched
    assertThat(RdpAccountant.orders()[0], equalTo(1.1));
  }

  @Test
  void epsilonOfOneTrainingCallUsesThePlan() {
    TrainConfig config = new TrainConfig(2, 100, 0.1, 0, 0, new DpSgd(1.0, 1.2));
    RdpAccountant.Plan plan = config.dpPlan(1000);

    assertThat(plan, equalTo(new RdpAccountant.Plan(0.1, 20)));
    assertThat(new RdpAccountant().add(plan.q(), config.privacy().noiseMultiplier(), plan.steps()).epsilon(DELTA),
        equalTo(new RdpAccountant().add(0.1, 1.2, 20).epsilon(DELTA)));
  }

  @Test
  void logErfcMatchesKnownValuesIntoTheFarTail() {
    // erfc values (Abramowitz and Stegun table 7.1 / standard references), and far tails where erfc underflows.
    assertThat(LogMath.logErfc(0), closeTo(0, 1e-15));
    assertThat(LogMath.logErfc(0.5), closeTo(Math.log(0.4795001221869535), 1e-12));
    assertThat(LogMath.logErfc(1), closeTo(Math.log(0.15729920705028513), 1e-12));
    assertThat(LogMath.logErfc(2), closeTo(Math.log(0.004677734981047266), 1e-11));
    assertThat(LogMath.logErfc(Math.nextDown(3.0)), closeTo(LogMath.logErfc(3.0), 1e-10)); // the two methods meet
    assertThat(LogMath.logErfc(3), closeTo(Math.log(2.209049699858544e-05), 1e-10));
    assertThat(LogMath.logErfc(5), closeTo(Math.log(1.5374597944280349e-12), 1e-10));
    assertThat(LogMath.logErfc(-1), closeTo(Math.log(1.8427007929497148), 1e-12));
    // asymptotically log erfc(x) = -x^2 - log(x sqrt(pi)) - 1/(2x^2) + 5/(8x^4) + O(x^-6)
    double x = 40;
    double asymptotic = -x * x - Math.log(x * Math.sqrt(Math.PI)) - 1 / (2 * x * x) + 5 / (8 * Math.pow(x, 4));
    assertThat(LogMath.logErfc(x), closeTo(asymptotic, 1e-9));
  }

  @Test
  void badInputIsRefusedNamingTheValue() {
    RdpAccountant accountant = new RdpAccountant();

    assertThat(assertThrows(IllegalArgumentException.class, () -> accountant.add(1.5, 1, 1)).getMessage(),
        containsString("q must be in [0, 1], was 1.5"));
    assertThat(assertThrows(IllegalArgumentException.class, () -> accountant.add(0.1, 0, 1)).getMessage(),
        containsString("sigma must be a finite number > 0, was 0.0"));
    assertThat(assertThrows(IllegalArgumentException.class, () -> accountant.add(0.1, 1, -1)).getMessage(),
        containsString("steps must be >= 0, was -1"));
    assertThat(assertThrows(IllegalArgumentException.class, () -> accountant.epsilon(0)).getMessage(),
        containsString("delta must be in (0, 1), was 0.0"));
    assertThat(assertThrows(IllegalArgumentException.class, () -> RdpAccountant.fromRdp(new double[3])).getMessage(),
        containsString("one value per order (157), had 3"));
    double[] negative = new double[157];
    negative[4] = -1;
    assertThat(assertThrows(IllegalArgumentException.class, () -> RdpAccountant.fromRdp(negative)).getMessage(),
        containsString("order 1.5 must be >= 0, was -1.0"));
    assertThat(assertThrows(IllegalArgumentException.class,
        () -> RdpAccountant.calibrateSigma(new RdpAccountant.Plan(0.5, 10), 1, 0, DELTA)).getMessage(),
        containsString("target epsilon must be a finite number > 0, was 0.0"));
  }
}
