package org.fedbeam.model.strategy;

import java.util.LinkedHashMap;
import java.util.Map;
import org.fedbeam.model.Parameters;

/**
 * FedAvg with server momentum (Hsu et al. 2019, "Measuring the Effects of Non-Identical Data
 * Distribution for Federated Visual Classification"; Flower's {@code FedAvgM}). With the round's
 * weighted mean {@code a} and the global model {@code x}, the server step is
 * {@code d = a - x; v = momentum * v + d; x' = x + server_lr * v}, computed in double and stored
 * as float. With {@code server_lr} 1 and momentum 0 it is FedAvg. State: the vector
 * {@code velocity} (zeros before round 1). Holds in memory one running weighted sum and the
 * velocity (2 x parameters).
 *
 * @param serverLr the server learning rate, in (0, 10]
 * @param serverMomentum the server momentum, in [0, 1)
 */
public record FedAvgM(double serverLr, double serverMomentum) implements Strategy {
  private static final long serialVersionUID = 1L;
  /** The registry name. */
  public static final String NAME = "fedavgm";
  /** The name of the state's vector. */
  public static final String VELOCITY = "velocity";
  /** The server learning rate. */
  public static final StrategyParam SERVER_LR = StrategyParam.real("server_lr", 1.0, 0, true, 10, false,
      "server learning rate: the step along the velocity");
  /** The server momentum. */
  public static final StrategyParam SERVER_MOMENTUM = StrategyParam.real("server_momentum", 0.9, 0, false, 1, true,
      "server momentum: the share of last round's velocity kept");

  public FedAvgM {
    SERVER_LR.check(NAME, serverLr);
    SERVER_MOMENTUM.check(NAME, serverMomentum);
  }

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public Map<String, Double> parameters() {
    Map<String, Double> p = new LinkedHashMap<>();
    p.put(SERVER_LR.name(), serverLr);
    p.put(SERVER_MOMENTUM.name(), serverMomentum);
    return p;
  }

  @Override
  public ServerState initialState(Parameters initial) {
    return ServerState.of(Map.of(VELOCITY, new float[initial.size()]), 0);
  }

  @Override
  public Step serverStep(int round, Parameters global, Parameters aggregate, ServerState state) {
    ServerVectors.requireSameSpec(NAME, global, aggregate);
    float[] x = global.toArray();
    float[] a = aggregate.toArray();
    float[] v = ServerVectors.vector(NAME, state, VELOCITY, x.length);
    float[] next = new float[x.length];
    for (int i = 0; i < x.length; i++) {
      double velocity = serverMomentum * v[i] + ((double) a[i] - x[i]);
      next[i] = (float) (x[i] + serverLr * velocity);
      v[i] = (float) velocity;
    }
    return new Step(Parameters.copyOf(global.spec(), next), ServerState.of(Map.of(VELOCITY, v), state.steps() + 1));
  }

  @Override
  public String memory() {
    return "one running weighted sum and the server velocity (2 x parameters)";
  }
}
