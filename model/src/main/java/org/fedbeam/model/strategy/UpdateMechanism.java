package org.fedbeam.model.strategy;

import org.fedbeam.model.Parameters;
import org.fedbeam.model.TrainConfig;

/**
 * What a silo applies around its computation, before the egress guard sees the update: it may
 * change the training config (DP-SGD sets the learner's privacy; the clipping and noise must be per
 * example, so they live in the learner) and transform the trained weights (a simulation's
 * Byzantine attack; secure aggregation's masks). Deterministic for a given seed.
 */
public interface UpdateMechanism extends java.io.Serializable {
  /** A stable identifier, recorded in provenance. */
  String id();

  /** The config the silo trains with. */
  default TrainConfig configure(TrainConfig config) {
    return config;
  }

  /** The update that leaves the silo, from the round's global model and the trained weights. */
  default Parameters apply(Parameters global, Parameters trained, long seed) {
    return trained;
  }
}
