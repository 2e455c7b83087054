package org.fedbeam.model;

import org.fedbeam.data.Dataset;

/**
 * What a silo computes on its own data in one round, from the round's global model: the seam that
 * training and federated analysis share. Local training is one implementation
 * ({@link LocalTrainingComputation}); a federated statistic is another. Whatever the computation,
 * the silo's policy, its egress guard and the exchange treat its output the same way: only weights
 * and the fixed system metadata leave the silo.
 *
 * @param <R> what the computation yields inside the silo, before the egress guard
 */
public interface SiloComputation<R> extends java.io.Serializable {
  /** A stable identifier, recorded in provenance and checked against the silo's policy. */
  String id();

  /** Computes on {@code data} from {@code global}, drawing every random choice from {@code seed}. */
  R compute(Parameters global, Dataset data, TrainConfig config, long seed);
}
