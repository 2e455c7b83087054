package org.fedbeam.pipelines.rounds;

import java.io.Serializable;

/**
 * Where a round's new global model and records go: what the write steps of a round pipeline
 * ({@link RoundPipeline.WriteGlobalModelFn}, {@link RoundPipeline.WriteEvaluationFn}) need from the
 * round's descriptor, in the simulation ({@link RoundDescriptor}) and at the orchestrator alike.
 */
public interface RoundOutput {
  int round();

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
