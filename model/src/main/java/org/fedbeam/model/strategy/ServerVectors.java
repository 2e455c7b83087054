package org.fedbeam.model.strategy;

import org.fedbeam.model.Parameters;

/** Checks shared by the server optimizers' steps: matching models, and state vectors of the model's length. */
final class ServerVectors {
  private ServerVectors() {}

  static void requireSameSpec(String strategy, Parameters global, Parameters aggregate) {
    if (!global.spec().equals(aggregate.spec())) {
      throw new IllegalArgumentException("strategy " + strategy + ": the aggregate is of " + aggregate.spec()
          + ", the global model of " + global.spec());
    }
  }

  /**
   * A copy of the state's vector {@code name}; zeros if the state is the one before the first step
   * and has none.
   *
   * @throws IllegalArgumentException if a later state lacks it or its length is not {@code length}
   */
  static float[] vector(String strategy, ServerState state, String name, int length) {
    float[] v = state.vector(name);
    if (v == null) {
      if (state.steps() == 0) {
        return new float[length];
      }
      throw new IllegalArgumentException("strategy " + strategy + ": the server state after " + state.steps()
          + " steps has no vector '" + name + "' (it holds " + state.names() + ")");
    }
    if (v.length != length) {
      throw new IllegalArgumentException("strategy " + strategy + ": the server state's vector '" + name + "' has "
          + v.length + " values, the model has " + length);
    }
    return v;
  }
}
