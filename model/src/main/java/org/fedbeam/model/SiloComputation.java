package org.fedbeam.model;

/**
 * What a silo computes on its own data: the seam that training and federated analysis share. Local
 * training is one implementation ({@link LocalTrainingComputation}: from the round's global model, on
 * the silo's numeric rows); federated statistics are another (on the silo's prepared table). Whatever
 * the computation, the silo's policy, its egress guard and the exchange treat its output alike: only
 * what the guard passes leaves the silo.
 *
 * @param <Q> what the computation is asked (the global model and settings; the statistics wanted)
 * @param <D> the silo's data it computes on
 * @param <R> what it yields inside the silo, before the egress guard
 */
public interface SiloComputation<Q, D, R> extends java.io.Serializable {
  /** A stable identifier, recorded in provenance and checked against the silo's policy. */
  String id();

  /** Computes {@code query} on {@code data}, drawing every random choice from {@code seed}. */
  R compute(Q query, D data, long seed);
}
