package org.fedbeam.pipelines.rounds;

import java.io.Serializable;

/**
 * What the write steps of a round pipeline ({@link RoundPipeline.WriteGlobalModelFn},
 * {@link RoundPipeline.WriteEvaluationFn}) need from the round's descriptor, in the simulation
 * ({@link RoundDescriptor}) and at the orchestrator alike: the model the round started from and the
 * strategy's server state before it (for the server step), and where the new model, the new state
 * and the round's records go.
 */
public interface RoundOutput {
  int round();

  /** The global model the round started from. */
  String globalModelUri();

  /** The strategy's server state before the round. */
  String stateInUri();

  /** Where the strategy's server state after the round goes. */
  String stateOutUri();

  /** Where the round's new global model goes. */
  String modelUri();

  /** Where the round's records go. */
  String roundDir();

  /** Reads a round's descriptor while the pipeline runs (so the pipeline is the same every round). */
  @FunctionalInterface
  interface Reader extends Serializable {
    RoundOutput read(String descriptorUri);
  }
}
