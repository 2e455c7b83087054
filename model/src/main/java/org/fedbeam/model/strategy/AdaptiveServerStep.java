package org.fedbeam.model.strategy;

import java.util.LinkedHashMap;
import java.util.Map;
import org.fedbeam.model.Parameters;

/**
 * The server step of the adaptive federated optimizers (Reddi et al. 2021, "Adaptive Federated
 * Optimization", Algorithm 2, as Flower's {@code FedAdam}, {@code FedYogi} and {@code FedAdagrad}
 * implement it, without bias correction): with {@code d = aggregate - x},
 * <pre>
 *   m = beta1 * m + (1 - beta1) * d            (FedAdagrad: m = d)
 *   v = beta2 * v + (1 - beta2) * d^2           FedAdam
 *   v = v - (1 - beta2) * d^2 * sign(v - d^2)   FedYogi
 *   v = v + d^2                                 FedAdagrad
 *   x' = x + eta * m / (sqrt(v) + tau)
 * </pre>
 * m and v start at zero (as Flower's). Each coordinate is computed in double; m, v and x' are
 * stored as float.
 */
final class AdaptiveServerStep {
  /** The rule for the second moment. */
  enum Rule {
    ADAM, YOGI, ADAGRAD
  }

  static final String M = "m";
  static final String V = "v";

  private AdaptiveServerStep() {}

  /** The step of {@code strategy}; {@code beta1} is ignored (m = d) and no m is kept for ADAGRAD. */
  static Strategy.Step step(String strategy, Rule rule, double eta, double beta1, double beta2, double tau,
      Parameters global, Parameters aggregate, ServerState state) {
    ServerVectors.requireSameSpec(strategy, global, aggregate);
    float[] x = global.toArray();
    float[] a = aggregate.toArray();
    boolean momentum = rule != Rule.ADAGRAD;
    float[] m = momentum ? ServerVectors.vector(strategy, state, M, x.length) : null;
    float[] v = ServerVectors.vector(strategy, state, V, x.length);
    float[] next = new float[x.length];
    for (int i = 0; i < x.length; i++) {
      double d = (double) a[i] - x[i];
      double d2 = d * d;
      double mi = momentum ? beta1 * m[i] + (1 - beta1) * d : d;
      double vi = switch (rule) {
        case ADAM -> beta2 * v[i] + (1 - beta2) * d2;
        case YOGI -> v[i] - (1 - beta2) * d2 * Math.signum(v[i] - d2);
        case ADAGRAD -> v[i] + d2;
      };
      next[i] = (float) (x[i] + eta * mi / (Math.sqrt(vi) + tau));
      if (momentum) {
        m[i] = (float) mi;
      }
      v[i] = (float) vi;
    }
    Map<String, float[]> vectors = new LinkedHashMap<>();
    if (momentum) {
      vectors.put(M, m);
    }
    vectors.put(V, v);
    return new Strategy.Step(Parameters.copyOf(global.spec(), next), ServerState.of(vectors, state.steps() + 1));
  }

  /** The state before the first step: zeros. */
  static ServerState initial(Rule rule, int length) {
    Map<String, float[]> vectors = new LinkedHashMap<>();
    if (rule != Rule.ADAGRAD) {
      vectors.put(M, new float[length]);
    }
    vectors.put(V, new float[length]);
    return ServerState.of(vectors, 0);
  }

  static final StrategyParam SERVER_LR = StrategyParam.real("server_lr", 0.1, 0, true, 10, false,
      "server learning rate eta");
  static final StrategyParam BETA1 = StrategyParam.real("beta1", 0.9, 0, false, 1, true,
      "decay of the first moment m (server momentum)");
  static final StrategyParam BETA2 = StrategyParam.real("beta2", 0.99, 0, false, 1, true,
      "decay of the second moment v");
  static final StrategyParam TAU = StrategyParam.real("tau", 1e-3, 0, true, 1, false,
      "adaptivity: added to sqrt(v) in the step's denominator");
}
