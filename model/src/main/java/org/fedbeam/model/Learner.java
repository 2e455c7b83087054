package org.fedbeam.model;

import org.fedbeam.data.Dataset;

/**
 * What trains and evaluates one kind of model: the seam a new model kind (a CNN, a tree ensemble)
 * implements. A learner is made by its {@link ModelKind} for one {@link ModelSpec}, holds no mutable
 * state and may be shared between threads. Training is deterministic for a given start, data, config
 * and seed on one machine (native BLAS kernels differ between CPUs).
 */
public interface Learner {
  /** The model this learner trains. */
  ModelSpec spec();

  /** Fresh weights drawn from {@code seed}. */
  Parameters initialize(long seed);

  /**
   * Trains from {@code start} on {@code data} as {@code config} says, drawing every random choice
   * from {@code seed}. Under {@link TrainConfig#proximalMu()} > 0 the local objective has FedProx's
   * proximal term {@code mu/2 ||w - start||^2}; under {@link TrainConfig#privacy()} it is DP-SGD.
   */
  TrainResult train(Parameters start, Dataset data, TrainConfig config, long seed);

  /** Class probabilities for every row, row-major ({@code data.size() x classes}). */
  float[] predictProbabilities(Parameters parameters, Dataset data);

  /** Accuracy, log-loss, macro-F1 and the confusion matrix on {@code data}, on up to {@code threads} threads. */
  EvalReport evaluate(Parameters parameters, Dataset data, int threads);

  /** As {@link #evaluate(Parameters, Dataset, int)} on one thread. */
  default EvalReport evaluate(Parameters parameters, Dataset data) {
    return evaluate(parameters, data, 1);
  }
}
