package org.fedbeam.model.strategy;

import org.fedbeam.model.Parameters;

/**
 * What the orchestrator applies to a round's aggregate before the strategy's server step
 * (unmasking a secure aggregate, central DP noise). Deterministic for a given seed.
 */
public interface AggregateMechanism extends java.io.Serializable {
  /** A stable identifier, recorded in provenance. */
  String id();

  /** The aggregate the server step sees. */
  Parameters apply(int round, Parameters aggregate, long seed);
}
