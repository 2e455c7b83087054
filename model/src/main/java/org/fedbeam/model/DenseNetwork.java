package org.fedbeam.model;

import java.util.SplittableRandom;
import org.fedbeam.data.Dataset;

/**
 * The learner for both model kinds: a dense feed-forward network with ReLU hidden layers and a
 * softmax output trained on cross-entropy by minibatch SGD (optional heavy-ball momentum and L2
 * weight decay). With no hidden layer it is multinomial logistic regression.
 *
 * <p>Every dense product of the forward and backward passes is one native GEMM over the whole
 * minibatch (see {@link org.fedbeam.model.linalg.NativeBlas}); weights, gradients and activations live in direct buffers for
 * the length of a call, so nothing is copied across JNI. Instances hold no mutable state and may be
 * shared between threads. Training is deterministic for a given start, data, config and seed.
 */
public final class DenseNetwork implements Learner {
  private static final int EVAL_BATCH = 512;
  private final ModelSpec spec;

  public DenseNetwork(ModelSpec spec) {
    this.spec = spec;
  }

  @Override
  public ModelSpec spec() {
    return spec;
  }

  /**
   * Fresh weights: He-normal for ReLU layers, LeCun-normal for the output layer, zero biases.
   */
  @Override
  public Parameters initialize(long seed) {
    SplittableRandom random = new SplittableRandom(Seeds.derive(seed, "init"));
    float[] values = new float[spec.parameterCount()];
    for (int l = 0; l < spec.depth(); l++) {
      int fanIn = spec.layers().get(l);
      int fanOut = spec.layers().get(l + 1);
      double scale = Math.sqrt((l + 1 < spec.depth() ? 2.0 : 1.0) / fanIn);
      int offset = spec.weightOffset(l);
      for (int i = 0; i < fanIn * fanOut; i++) {
        values[offset + i] = (float) (random.nextGaussian() * scale);
      }
    }
    return Parameters.adopt(spec, values);
  }

  /**
   * Trains from {@code start} on {@code data} for {@code config.epochs()} passes, visiting rows in
   * an order drawn from {@code seed}.
   *
   * <p>Without DP ({@code config.privacy() == null}) every step sees a full batch: each epoch
   * shuffles the rows and takes {@code floor(rows / batch)} batches of exactly {@code batch} rows;
   * the remainder rows sit that epoch out (a new shuffle gives them their turn). When the data has
   * fewer rows than the batch size, each epoch is one step over all rows. No step ever sees a
   * smaller batch, so no step's update is dominated by one or a few rows.
   *
   * <p>With DP, training is DP-SGD with Poisson sampling (see {@link PrivateSgd}), taking exactly
   * the steps of {@link TrainConfig#dpPlan}.
   */
  @Override
  public TrainResult train(Parameters start, Dataset data, TrainConfig config, long seed) {
    return train(start, data, config, seed, Freezing.NONE, null);
  }

  /**
   * As {@link #train(Parameters, Dataset, TrainConfig, long)} with the lower layers frozen as
   * {@code freezing} says: a frozen layer's weights and biases come out bit for bit as they went in,
   * and its weight-gradient products are not computed at all. With {@link Freezing#NONE} the result
   * is bit for bit that of the four-argument call. Under DP-SGD the steps, and so the accounting, are
   * those of the config's plan whatever is frozen.
   *
   * @throws IllegalArgumentException if {@code freezing} would freeze the output layer
   */
  public TrainResult train(Parameters start, Dataset data, TrainConfig config, long seed, Freezing freezing) {
    return train(start, data, config, seed, freezing, null);
  }

  /** Sees every training step's rows: for tests that check what each step saw. */
  interface StepObserver {
    /** Called once per step, before it is taken, with the step's rows in {@code rows[0, count)}. */
    void step(int[] rows, int count);
  }

  TrainResult train(Parameters start, Dataset data, TrainConfig config, long seed, StepObserver observer) {
    return train(start, data, config, seed, Freezing.NONE, observer);
  }

  TrainResult train(Parameters start, Dataset data, TrainConfig config, long seed, Freezing freezing,
      StepObserver observer) {
    requireCompatible(start, data);
    freezing.check(spec);
    if (data.size() == 0) {
      throw new IllegalArgumentException("cannot train on " + data.name() + ": it has no rows");
    }
    if (config.privacy() != null) {
      return PrivateSgd.train(spec, start, data, config, seed, freezing, observer);
    }
    int batch = Math.min(config.batchSize(), data.size());
    Workspace ws = new Workspace(spec, batch, true);
    ws.start(start, config);
    int[] order = Permutations.identity(data.size());
    SplittableRandom random = new SplittableRandom(seed);
    double lossSum = 0;
    long seen = 0;
    int[] rows = new int[batch];
    int fullBatches = order.length / batch;
    for (int epoch = 0; epoch < config.epochs(); epoch++) {
      ws.freeze(freezing.layersAt(epoch));
      Permutations.shuffle(order, random);
      for (int b = 0; b < fullBatches; b++) {
        System.arraycopy(order, b * batch, rows, 0, batch);
        if (observer != null) {
          observer.step(rows, batch);
        }
        lossSum += ws.trainStep(data, rows, batch, config);
        seen += batch;
      }
    }
    float[] trained = new float[spec.parameterCount()];
    ws.weights.get(0, trained);
    return new TrainResult(Parameters.adopt(spec, trained), lossSum / seen, seen);
  }

  /**
   * The sum over all rows of {@code data} of each row's gradient clipped to L2 norm {@code clip},
   * computed the fast way DP-SGD does; each row's unclipped norm goes to {@code normsOut}. For tests.
   */
  float[] clippedGradientSum(Parameters parameters, Dataset data, double clip, double[] normsOut) {
    requireCompatible(parameters, data);
    Workspace ws = new Workspace(spec, data.size(), true);
    parameters.copyInto(ws.weights);
    ws.clearGradient();
    ws.addClippedGradientSum(data, Permutations.identity(data.size()), data.size(), clip, normsOut);
    float[] sum = new float[spec.parameterCount()];
    ws.gradient.get(0, sum);
    return sum;
  }

  /** Mean cross-entropy over all of {@code data} and its gradient, in one full batch. */
  public LossAndGradient lossAndGradient(Parameters parameters, Dataset data) {
    requireCompatible(parameters, data);
    if (data.size() == 0) {
      throw new IllegalArgumentException("cannot compute a loss on " + data.name() + ": it has no rows");
    }
    Workspace ws = new Workspace(spec, data.size(), true);
    parameters.copyInto(ws.weights);
    int[] rows = Permutations.identity(data.size());
    double loss = ws.forwardBackward(data, rows, rows.length, ws.gradient, 0f) / rows.length;
    float[] gradient = new float[spec.parameterCount()];
    ws.gradient.get(0, gradient);
    return new LossAndGradient(loss, gradient);
  }

  /** Class probabilities for every row, row-major ({@code data.size() x classes}). */
  @Override
  public float[] predictProbabilities(Parameters parameters, Dataset data) {
    return predictProbabilities(parameters, data, 1);
  }

  /**
   * Class probabilities for every row, computed by up to {@code threads} threads (the calling one
   * and {@code threads - 1} more), each over a contiguous run of whole evaluation batches. Every row
   * is computed in the same batch as on one thread, so the result is bit-identical whatever the
   * number of threads.
   */
  public float[] predictProbabilities(Parameters parameters, Dataset data, int threads) {
    requireCompatible(parameters, data);
    if (threads < 1) {
      throw new IllegalArgumentException("threads must be >= 1, was " + threads);
    }
    float[] out = new float[data.size() * spec.classes()];
    int batches = (data.size() + EVAL_BATCH - 1) / EVAL_BATCH;
    int parts = Math.min(threads, batches);
    if (parts <= 1) {
      predictRows(parameters, data, 0, data.size(), out);
      return out;
    }
    Thread[] helpers = new Thread[parts - 1];
    Throwable[] failures = new Throwable[parts];
    for (int p = 1; p < parts; p++) {
      int part = p;
      helpers[p - 1] = new Thread(() -> {
        try {
          predictPart(parameters, data, part, parts, batches, out);
        } catch (Throwable t) {
          failures[part] = t;
        }
      }, "fedbeam-evaluate-" + p);
      helpers[p - 1].setDaemon(true);
      helpers[p - 1].start();
    }
    try {
      predictPart(parameters, data, 0, parts, batches, out);
    } catch (RuntimeException | Error e) {
      failures[0] = e;
    }
    boolean interrupted = false;
    for (Thread helper : helpers) {
      while (true) {
        try {
          helper.join();
          break;
        } catch (InterruptedException e) {
          interrupted = true; // the helpers write into out: wait for them before returning
        }
      }
    }
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
    for (Throwable failure : failures) {
      if (failure instanceof RuntimeException e) {
        throw e;
      } else if (failure instanceof Error e) {
        throw e;
      } else if (failure != null) {
        throw new IllegalStateException("evaluation failed: " + failure, failure);
      }
    }
    return out;
  }

  private void predictPart(Parameters parameters, Dataset data, int part, int parts, int batches, float[] out) {
    int from = (int) ((long) part * batches / parts) * EVAL_BATCH;
    int to = Math.min(data.size(), (int) ((long) (part + 1) * batches / parts) * EVAL_BATCH);
    predictRows(parameters, data, from, to, out);
  }

  /** Rows [from, to) in batches of {@link #EVAL_BATCH} (fewer if there are fewer rows), from {@code from}. */
  private void predictRows(Parameters parameters, Dataset data, int from, int to, float[] out) {
    int batch = Math.max(1, Math.min(EVAL_BATCH, to - from));
    Workspace ws = new Workspace(spec, batch, false);
    parameters.copyInto(ws.weights);
    int classes = spec.classes();
    int[] rows = new int[batch];
    for (int start = from; start < to; start += batch) {
      int count = Math.min(batch, to - start);
      for (int i = 0; i < count; i++) {
        rows[i] = start + i;
      }
      ws.forward(data, rows, count, null);
      ws.activations[spec.depth()].get(0, out, start * classes, count * classes);
    }
  }

  /** Accuracy, log-loss, macro-F1 and the confusion matrix of {@code parameters} on {@code data}. */
  @Override
  public EvalReport evaluate(Parameters parameters, Dataset data) {
    return evaluate(parameters, data, 1);
  }

  /** As {@link #evaluate(Parameters, Dataset)}, the forward passes on up to {@code threads} threads; same result. */
  @Override
  public EvalReport evaluate(Parameters parameters, Dataset data, int threads) {
    int[] labels = new int[data.size()];
    for (int i = 0; i < labels.length; i++) {
      labels[i] = data.label(i);
    }
    return EvalReport.of(predictProbabilities(parameters, data, threads), labels, spec.classes());
  }

  private void requireCompatible(Parameters parameters, Dataset data) {
    if (!parameters.spec().equals(spec)) {
      throw new IllegalArgumentException("parameters are for " + parameters.spec() + ", this learner is " + spec);
    }
    if (data.featureCount() != spec.inputs()) {
      throw new IllegalArgumentException(data.name() + " has " + data.featureCount() + " features, model " + spec
          + " expects " + spec.inputs());
    }
    if (data.classes() > spec.classes()) {
      throw new IllegalArgumentException(data.name() + " has " + data.classes() + " classes, model " + spec
          + " predicts " + spec.classes());
    }
  }

  /** Loss and gradient of one full batch, as plain arrays (for gradient checks and tests). */
  public record LossAndGradient(double loss, float[] gradient) {}
}
