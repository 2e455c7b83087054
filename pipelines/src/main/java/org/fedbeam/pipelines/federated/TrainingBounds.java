package org.fedbeam.pipelines.federated;

import com.fasterxml.jackson.databind.JsonNode;
import org.fedbeam.model.ModelSpec;
import org.fedbeam.model.TrainConfig;
import org.fedbeam.pipelines.protocol.RefusalReason;
import org.fedbeam.pipelines.protocol.Rejected;

/**
 * The silo policy's bounds on every hyperparameter a request may set, and on how often the silo
 * trains: each is a top-level field of the policy, optional, with a conservative default that
 * still admits the demo's job (an MLP 784-128-10, batch 64, learning rate 0.05, momentum 0.9, one
 * epoch). A request outside them is refused ({@link RefusalReason#OUTSIDE_POLICY}); past a quota,
 * ({@link RefusalReason#QUOTA}).
 *
 * <pre>
 *   "min_batch_size": 16,           smaller batches make one step say more about single rows
 *   "max_batch_size": 1024,
 *   "max_learning_rate": 0.1,       and > 0
 *   "max_momentum": 0.9,
 *   "max_weight_decay": 0.01,
 *   "max_proximal_mu": 1.0,         FedProx's pull towards the global model (0 refuses FedProx)
 *   "max_epochs": 5,
 *   "max_hidden_layers": 2,         besides max_parameters: wide or deep models memorise rows
 *   "max_hidden_width": 256,
 *   "max_requests_per_job": 100,    trainings per job
 *   "max_requests_per_day": 500     trainings per UTC day, over all jobs
 * </pre>
 *
 * @param maxRequestsPerJob how many requests of one job the silo trains for (a cached answer to a
 *     retry does not count)
 * @param maxRequestsPerDay how many requests the silo trains for in one UTC day, over all jobs
 */
public record TrainingBounds(int minBatchSize, int maxBatchSize, double maxLearningRate, double maxMomentum,
    double maxWeightDecay, int maxEpochs, int maxHiddenLayers, int maxHiddenWidth, int maxRequestsPerJob,
    int maxRequestsPerDay, double maxProximalMu) {

  /** The bounds when the policy sets none. */
  public static final TrainingBounds DEFAULTS = new TrainingBounds(16, 1024, 0.1, 0.9, 0.01, 5, 2, 256, 100, 500, 1.0);

  public TrainingBounds {
    if (minBatchSize < 1 || maxBatchSize < minBatchSize) {
      throw new IllegalArgumentException("min_batch_size must be >= 1 and <= max_batch_size; were " + minBatchSize
          + " and " + maxBatchSize);
    }
    if (!(maxLearningRate > 0) || !Double.isFinite(maxLearningRate)) {
      throw new IllegalArgumentException("max_learning_rate must be a finite number > 0, was " + maxLearningRate);
    }
    if (!(maxMomentum >= 0 && maxMomentum < 1)) {
      throw new IllegalArgumentException("max_momentum must be in [0, 1), was " + maxMomentum);
    }
    if (!(maxWeightDecay >= 0) || !Double.isFinite(maxWeightDecay)) {
      throw new IllegalArgumentException("max_weight_decay must be a finite number >= 0, was " + maxWeightDecay);
    }
    if (!(maxProximalMu >= 0) || !Double.isFinite(maxProximalMu)) {
      throw new IllegalArgumentException("max_proximal_mu must be a finite number >= 0, was " + maxProximalMu);
    }
    if (maxEpochs < 1 || maxHiddenLayers < 0 || maxHiddenWidth < 1 || maxRequestsPerJob < 1 || maxRequestsPerDay < 1) {
      throw new IllegalArgumentException("max_epochs, max_hidden_width, max_requests_per_job and max_requests_per_day"
          + " must be >= 1 and max_hidden_layers >= 0; were " + maxEpochs + ", " + maxHiddenWidth + ", "
          + maxRequestsPerJob + ", " + maxRequestsPerDay + " and " + maxHiddenLayers);
    }
  }

  /** The bounds in policy {@code n}; {@code where} names the file, for errors. */
  static TrainingBounds parse(JsonNode n, String where) {
    TrainingBounds d = DEFAULTS;
    try {
      return new TrainingBounds(integer(n, "min_batch_size", d.minBatchSize, where),
          integer(n, "max_batch_size", d.maxBatchSize, where), number(n, "max_learning_rate", d.maxLearningRate, where),
          number(n, "max_momentum", d.maxMomentum, where), number(n, "max_weight_decay", d.maxWeightDecay, where),
          integer(n, "max_epochs", d.maxEpochs, where), integer(n, "max_hidden_layers", d.maxHiddenLayers, where),
          integer(n, "max_hidden_width", d.maxHiddenWidth, where),
          integer(n, "max_requests_per_job", d.maxRequestsPerJob, where),
          integer(n, "max_requests_per_day", d.maxRequestsPerDay, where),
          number(n, "max_proximal_mu", d.maxProximalMu, where));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(e.getMessage().startsWith(where) ? e.getMessage() : where + ": " + e.getMessage(), e);
    }
  }

  /**
   * Refuses ({@link RefusalReason#OUTSIDE_POLICY}) a model or training settings outside the
   * bounds; the detail names the setting, its value and the bound, for the audit log only.
   */
  void check(ModelSpec spec, TrainConfig c) throws Rejected {
    outside(c.batchSize() < minBatchSize, "batch_size " + c.batchSize() + " < min_batch_size " + minBatchSize);
    outside(c.batchSize() > maxBatchSize, "batch_size " + c.batchSize() + " > max_batch_size " + maxBatchSize);
    outside(!(c.learningRate() > 0) || c.learningRate() > maxLearningRate,
        "learning_rate " + c.learningRate() + " not in (0, max_learning_rate " + maxLearningRate + "]");
    outside(c.momentum() > maxMomentum, "momentum " + c.momentum() + " > max_momentum " + maxMomentum);
    outside(c.weightDecay() > maxWeightDecay, "weight_decay " + c.weightDecay() + " > max_weight_decay " + maxWeightDecay);
    outside(c.proximalMu() > maxProximalMu,
        "proximal_mu " + c.proximalMu() + " > max_proximal_mu " + maxProximalMu + " (FedProx)");
    outside(c.epochs() > maxEpochs, "epochs " + c.epochs() + " > max_epochs " + maxEpochs);
    java.util.List<Integer> hidden = spec.layers().subList(1, spec.layers().size() - 1);
    outside(hidden.size() > maxHiddenLayers, hidden.size() + " hidden layers > max_hidden_layers " + maxHiddenLayers);
    for (int width : hidden) {
      outside(width > maxHiddenWidth, "hidden layer width " + width + " > max_hidden_width " + maxHiddenWidth);
    }
  }

  private static void outside(boolean refused, String detail) throws Rejected {
    if (refused) {
      throw new Rejected(RefusalReason.OUTSIDE_POLICY, "the training settings are outside the policy: " + detail);
    }
  }

  private static int integer(JsonNode n, String field, int fallback, String where) {
    if (!n.has(field)) {
      return fallback;
    }
    JsonNode v = n.get(field);
    if (!v.isIntegralNumber() || !v.canConvertToInt()) {
      throw new IllegalArgumentException(where + ": " + field + " must be an integer, was " + v);
    }
    return v.asInt();
  }

  private static double number(JsonNode n, String field, double fallback, String where) {
    if (!n.has(field)) {
      return fallback;
    }
    JsonNode v = n.get(field);
    if (!v.isNumber() || !Double.isFinite(v.asDouble())) {
      throw new IllegalArgumentException(where + ": " + field + " must be a finite number, was " + v);
    }
    return v.asDouble();
  }
}
