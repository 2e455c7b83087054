package org.fedbeam.model.strategy;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.closeTo;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import java.util.Map;
import org.fedbeam.model.ModelSpec;
import org.fedbeam.model.Parameters;
import org.junit.jupiter.api.Test;

/**
 * The server steps of FedAvgM, FedAdam, FedYogi and FedAdagrad over three rounds, against
 * hand-computed numbers and a naive double-precision reference of each paper's update written here,
 * with the state carried (and encoded and decoded) between rounds as the round loop does.
 */
class ServerOptimizersTest {
  private static final ModelSpec SPEC = ModelSpec.of(1, List.of(), 2); // 4 parameters
  private static final double[] X0 = {0.5, -1.0, 2.0, 0.0};
  /** The aggregates of rounds 1 to 3. */
  private static final double[][] AGGREGATES = {{0.7, -1.0, 1.5, 0.01}, {0.2, -0.5, 1.8, -0.02}, {0.9, -0.7, 1.1, 0.0}};

  @Test
  void fedAvgMMatchesHandComputedNumbers() {
    Strategy s = new FedAvgM(1.0, 0.5);
    Parameters x = params(1, 2, 3, 4);
    ServerState state = s.initialState(x);

    Strategy.Step one = s.serverStep(1, x, params(2, 2, 1, 4.5), state);
    // d = [1, 0, -2, 0.5]; v = d; x = x + v
    assertThat(one.model(), equalTo(params(2, 2, 1, 4.5)));
    Strategy.Step two = s.serverStep(2, one.model(), params(3, 2, 1, 4.5), one.state());
    // d = [1, 0, 0, 0]; v = 0.5 [1, 0, -2, 0.5] + d = [1.5, 0, -1, 0.25]
    assertThat(two.model(), equalTo(params(3.5, 2, 0, 4.75)));
    assertThat(two.state().vector(FedAvgM.VELOCITY), equalTo(new float[] {1.5f, 0, -1, 0.25f}));
    assertThat(two.state().steps(), equalTo(2L));
  }

  @Test
  void fedAvgMWithoutMomentumAndUnitRateIsFedAvgBitForBit() {
    Strategy s = new FedAvgM(1.0, 0.0);
    Parameters x = params(X0);
    Parameters a = params(AGGREGATES[0]);

    assertThat(s.serverStep(1, x, a, s.initialState(x)).model(), equalTo(a));
  }

  @Test
  void fedAvgMOverThreeRoundsMatchesTheReference() {
    double lr = 0.7;
    double momentum = 0.9;
    double[] x = X0.clone();
    double[] v = new double[4];
    double[][] expected = new double[3][];
    for (int r = 0; r < 3; r++) {
      for (int i = 0; i < 4; i++) {
        v[i] = momentum * v[i] + (AGGREGATES[r][i] - x[i]);
        x[i] += lr * v[i];
      }
      expected[r] = x.clone();
    }

    assertRounds(new FedAvgM(lr, momentum), expected);
  }

  @Test
  void fedAdamOverThreeRoundsMatchesTheReference() {
    assertRounds(new FedAdam(0.05, 0.9, 0.99, 1e-3), reference("adam", 0.05, 0.9, 0.99, 1e-3));
  }

  @Test
  void fedYogiOverThreeRoundsMatchesTheReference() {
    assertRounds(new FedYogi(0.05, 0.8, 0.95, 1e-3), reference("yogi", 0.05, 0.8, 0.95, 1e-3));
  }

  @Test
  void fedAdagradOverThreeRoundsMatchesTheReference() {
    assertRounds(new FedAdagrad(0.05, 1e-3), reference("adagrad", 0.05, 0, 0, 1e-3));
  }

  @Test
  void fedAdamsFirstStepMatchesTheClosedForm() {
    // m = (1 - b1) d, v = (1 - b2) d^2: x' = x + eta (1 - b1) d / (sqrt(1 - b2) |d| + tau)
    Strategy s = new FedAdam(0.1, 0.9, 0.99, 1e-9);
    Parameters x = params(0, 0, 0, 0);

    Strategy.Step step = s.serverStep(1, x, params(0.5, -0.25, 0, 1), s.initialState(x));

    // with d = 0.5: 0.1 * 0.05 / (0.1 * 0.5 + 1e-9)
    assertThat((double) step.model().get(0), closeTo(0.1 * 0.05 / (0.05 + 1e-9), 1e-7));
    assertThat((double) step.model().get(1), closeTo(-0.1 * 0.025 / (0.025 + 1e-9), 1e-7));
    assertThat((double) step.model().get(2), closeTo(0, 0));
    assertThat((double) step.model().get(3), closeTo(0.1 * 0.1 / (0.1 + 1e-9), 1e-7));
  }

  @Test
  void aStateWithoutItsVectorsIsReadAsZerosOnlyBeforeTheFirstStep() {
    Strategy s = new FedAdam(0.1, 0.9, 0.99, 1e-3);
    Parameters x = params(X0);
    Parameters a = params(AGGREGATES[0]);

    assertThat(s.serverStep(1, x, a, ServerState.EMPTY).model(), equalTo(s.serverStep(1, x, a, s.initialState(x)).model()));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> s.serverStep(2, x, a, ServerState.of(Map.of("v", new float[4]), 1)));
    assertThat(e.getMessage(), containsString("strategy fedadam: the server state after 1 steps has no vector 'm'"));
  }

  @Test
  void aStateVectorOfAnotherLengthIsRefused() {
    Strategy s = new FedAvgM(1, 0.9);
    ServerState wrong = ServerState.of(Map.of(FedAvgM.VELOCITY, new float[3]), 4);

    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> s.serverStep(5, params(X0), params(AGGREGATES[0]), wrong));

    assertThat(e.getMessage(), equalTo("strategy fedavgm: the server state's vector 'velocity' has 3 values, the model has 4"));
  }

  @Test
  void anAggregateOfAnotherModelIsRefused() {
    Parameters other = Parameters.zeros(ModelSpec.of(2, List.of(), 2));

    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> new FedYogi(0.1, 0.9, 0.99, 1e-3).serverStep(1, params(X0), other, ServerState.EMPTY));

    assertThat(e.getMessage(), containsString("strategy fedyogi: the aggregate is of logreg 2-2"));
  }

  /** Reddi et al. 2021, Algorithm 2, as Flower implements it: in double, state kept in double. */
  private static double[][] reference(String rule, double eta, double beta1, double beta2, double tau) {
    double[] x = X0.clone();
    double[] m = new double[4];
    double[] v = new double[4];
    double[][] out = new double[3][];
    for (int r = 0; r < 3; r++) {
      for (int i = 0; i < 4; i++) {
        double d = AGGREGATES[r][i] - x[i];
        m[i] = rule.equals("adagrad") ? d : beta1 * m[i] + (1 - beta1) * d;
        switch (rule) {
          case "adam" -> v[i] = beta2 * v[i] + (1 - beta2) * d * d;
          case "yogi" -> v[i] = v[i] - (1 - beta2) * d * d * Math.signum(v[i] - d * d);
          default -> v[i] = v[i] + d * d;
        }
        x[i] = x[i] + eta * m[i] / (Math.sqrt(v[i]) + tau);
      }
      out[r] = x.clone();
    }
    return out;
  }

  /** Runs three rounds, persisting the state through its binary form between rounds. */
  private static void assertRounds(Strategy s, double[][] expected) {
    Parameters x = params(X0);
    ServerState state = s.initialState(x);
    for (int r = 0; r < 3; r++) {
      Strategy.Step step = s.serverStep(r + 1, x, params(AGGREGATES[r]), state);
      for (int i = 0; i < 4; i++) {
        // float storage of x, m and v between rounds: relative error ~1e-7 of each step
        assertThat("round " + (r + 1) + " coordinate " + i, (double) step.model().get(i), closeTo(expected[r][i], 2e-6));
      }
      state = ServerState.decode(step.state().encode(), "round " + (r + 1));
      assertThat(state, equalTo(step.state()));
      assertThat(state.steps(), equalTo(r + 1L));
      x = step.model();
    }
  }

  private static Parameters params(double... values) {
    float[] f = new float[values.length];
    for (int i = 0; i < f.length; i++) {
      f[i] = (float) values[i];
    }
    return Parameters.copyOf(SPEC, f);
  }
}
