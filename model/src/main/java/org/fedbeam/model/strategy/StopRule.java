package org.fedbeam.model.strategy;

import java.util.List;

/**
 * When the round loop stops before its last round. A rule is a pure function of the validation
 * losses so far, so a resumed run decides exactly as the uninterrupted one would have.
 */
public interface StopRule extends java.io.Serializable {
  /**
   * Why the loop stops after the last of {@code validationLosses} (one per finished round, in
   * order; NaN for a round without a validation set), or null to go on.
   */
  String stop(List<Double> validationLosses);

  /** Never stops early: the loop runs its rounds. */
  StopRule NEVER = losses -> null;
}
