package org.fedbeam.model;

/**
 * Local training hyperparameters: minibatch SGD with optional momentum and L2 weight decay.
 *
 * @param epochs passes over the local data per call to train
 * @param batchSize samples per minibatch
 * @param learningRate step size
 * @param momentum heavy-ball momentum in [0, 1); 0 for plain SGD
 * @param weightDecay L2 penalty coefficient, >= 0
 * @param privacy DP-SGD settings, or null for plain minibatch SGD
 * @param proximalMu FedProx's proximal coefficient mu >= 0 (Li et al. 2020, "Federated Optimization in
 *     Heterogeneous Networks"): the local objective adds {@code mu/2 ||w - w_start||^2}; 0 for none
 */
public record TrainConfig(int epochs, int batchSize, double learningRate, double momentum, double weightDecay,
    DpSgd privacy, double proximalMu) implements java.io.Serializable {

  /** Plain minibatch SGD, without differential privacy. */
  public TrainConfig(int epochs, int batchSize, double learningRate, double momentum, double weightDecay) {
    this(epochs, batchSize, learningRate, momentum, weightDecay, null, 0);
  }

  /** Minibatch SGD with DP-SGD ({@code privacy}) or without it (null), and no proximal term. */
  public TrainConfig(int epochs, int batchSize, double learningRate, double momentum, double weightDecay,
      DpSgd privacy) {
    this(epochs, batchSize, learningRate, momentum, weightDecay, privacy, 0);
  }

  public TrainConfig {
    if (epochs < 1) {
      throw new IllegalArgumentException("epochs must be >= 1, was " + epochs);
    }
    if (batchSize < 1) {
      throw new IllegalArgumentException("batchSize must be >= 1, was " + batchSize);
    }
    if (!(learningRate > 0) || !Double.isFinite(learningRate)) {
      throw new IllegalArgumentException("learningRate must be a finite number > 0, was " + learningRate);
    }
    if (!(momentum >= 0 && momentum < 1)) {
      throw new IllegalArgumentException("momentum must be in [0, 1), was " + momentum);
    }
    if (!(weightDecay >= 0) || !Double.isFinite(weightDecay)) {
      throw new IllegalArgumentException("weightDecay must be a finite number >= 0, was " + weightDecay);
    }
    if (!(proximalMu >= 0) || !Double.isFinite(proximalMu)) {
      throw new IllegalArgumentException("proximalMu must be a finite number >= 0, was " + proximalMu);
    }
  }

  /** The same settings with another number of epochs. */
  public TrainConfig withEpochs(int newEpochs) {
    return new TrainConfig(newEpochs, batchSize, learningRate, momentum, weightDecay, privacy, proximalMu);
  }

  /**
   * The sampling rate and steps of one training call on {@code rows} rows under DP-SGD: what the
   * learner takes and what a silo accounts for before it trains.
   */
  public org.fedbeam.model.privacy.RdpAccountant.Plan dpPlan(int rows) {
    return org.fedbeam.model.privacy.RdpAccountant.Plan.of(batchSize, epochs, rows);
  }

  /** The same settings with DP-SGD ({@code dp}) or without it (null). */
  public TrainConfig withPrivacy(DpSgd dp) {
    return new TrainConfig(epochs, batchSize, learningRate, momentum, weightDecay, dp, proximalMu);
  }

  /** The same settings with FedProx's proximal coefficient {@code mu} (0 for none). */
  public TrainConfig withProximalMu(double mu) {
    return new TrainConfig(epochs, batchSize, learningRate, momentum, weightDecay, privacy, mu);
  }
}
