package org.fedbeam.model;

import java.nio.FloatBuffer;
import java.util.SplittableRandom;
import org.fedbeam.data.Dataset;
import org.fedbeam.model.linalg.NativeBlas;

/**
 * The learner for both model kinds: a dense feed-forward network with ReLU hidden layers and a
 * softmax output trained on cross-entropy by minibatch SGD (optional heavy-ball momentum and L2
 * weight decay). With no hidden layer it is multinomial logistic regression.
 *
 * <p>Every dense product of the forward and backward passes is one native GEMM over the whole
 * minibatch (see {@link NativeBlas}); weights, gradients and activations live in direct buffers for
 * the length of a call, so nothing is copied across JNI. Instances hold no mutable state and may be
 * shared between threads. Training is deterministic for a given start, data, config and seed.
 */
public final class DenseNetwork {
  private static final int EVAL_BATCH = 512;
  private final ModelSpec spec;

  public DenseNetwork(ModelSpec spec) {
    this.spec = spec;
  }

  public ModelSpec spec() {
    return spec;
  }

  /**
   * Fresh weights: He-normal for ReLU layers, LeCun-normal for the output layer, zero biases.
   */
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
   * Trains from {@code start} on every row of {@code data} for {@code config.epochs()} passes,
   * visiting rows in an order drawn from {@code seed}.
   */
  public TrainResult train(Parameters start, Dataset data, TrainConfig config, long seed) {
    requireCompatible(start, data);
    if (data.size() == 0) {
      throw new IllegalArgumentException("cannot train on " + data.name() + ": it has no rows");
    }
    int batch = Math.min(config.batchSize(), data.size());
    Workspace ws = new Workspace(batch, true);
    start.copyInto(ws.weights);
    int[] order = Permutations.identity(data.size());
    SplittableRandom random = new SplittableRandom(seed);
    double lossSum = 0;
    long seen = 0;
    int[] rows = new int[batch];
    for (int epoch = 0; epoch < config.epochs(); epoch++) {
      Permutations.shuffle(order, random);
      for (int from = 0; from < order.length; from += batch) {
        int count = Math.min(batch, order.length - from);
        System.arraycopy(order, from, rows, 0, count);
        lossSum += ws.trainStep(data, rows, count, config);
        seen += count;
      }
    }
    float[] trained = new float[spec.parameterCount()];
    ws.weights.get(0, trained);
    return new TrainResult(Parameters.adopt(spec, trained), lossSum / seen, seen);
  }

  /** Mean cross-entropy over all of {@code data} and its gradient, in one full batch. */
  public LossAndGradient lossAndGradient(Parameters parameters, Dataset data) {
    requireCompatible(parameters, data);
    if (data.size() == 0) {
      throw new IllegalArgumentException("cannot compute a loss on " + data.name() + ": it has no rows");
    }
    Workspace ws = new Workspace(data.size(), true);
    parameters.copyInto(ws.weights);
    int[] rows = Permutations.identity(data.size());
    double loss = ws.forwardBackward(data, rows, rows.length, ws.gradient, 0f) / rows.length;
    float[] gradient = new float[spec.parameterCount()];
    ws.gradient.get(0, gradient);
    return new LossAndGradient(loss, gradient);
  }

  /** Class probabilities for every row, row-major ({@code data.size() x classes}). */
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
    Workspace ws = new Workspace(batch, false);
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
  public EvalReport evaluate(Parameters parameters, Dataset data) {
    return evaluate(parameters, data, 1);
  }

  /** As {@link #evaluate(Parameters, Dataset)}, the forward passes on up to {@code threads} threads; same result. */
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

  /** Direct buffers for one call: weights, gradient, momentum, and per-layer activations. */
  private final class Workspace {
    final FloatBuffer weights;
    final FloatBuffer gradient;
    final FloatBuffer velocity;
    final FloatBuffer[] activations; // [0] is the input batch; [l] is the output of layer l
    final FloatBuffer[] deltas; // [l] is dLoss/dZ of layer l's pre-activation (l >= 1)
    final FloatBuffer ones;
    final FloatBuffer[] weightViews;
    final FloatBuffer[] biasViews;
    final FloatBuffer[] weightGradViews;
    final FloatBuffer[] biasGradViews;
    final FloatBuffer[] weightVelocityViews;
    final FloatBuffer[] biasVelocityViews;
    final int[] labels;
    final float[] scratchA;
    final float[] scratchB;

    Workspace(int batch, boolean training) {
      int p = spec.parameterCount();
      int depth = spec.depth();
      weights = NativeBlas.allocate(p);
      gradient = training ? NativeBlas.allocate(p) : null;
      velocity = training ? NativeBlas.allocate(p) : null;
      activations = new FloatBuffer[depth + 1];
      deltas = new FloatBuffer[depth + 1];
      weightViews = new FloatBuffer[depth];
      biasViews = new FloatBuffer[depth];
      weightGradViews = new FloatBuffer[depth];
      biasGradViews = new FloatBuffer[depth];
      weightVelocityViews = new FloatBuffer[depth];
      biasVelocityViews = new FloatBuffer[depth];
      int widest = spec.layers().stream().mapToInt(Integer::intValue).max().orElseThrow();
      scratchA = new float[batch * widest];
      scratchB = new float[batch * widest];
      for (int l = 0; l <= depth; l++) {
        activations[l] = NativeBlas.allocate(batch * spec.layers().get(l));
        if (training && l > 0) {
          deltas[l] = NativeBlas.allocate(batch * spec.layers().get(l));
        }
      }
      for (int l = 0; l < depth; l++) {
        int w = spec.layers().get(l) * spec.layers().get(l + 1);
        int b = spec.layers().get(l + 1);
        weightViews[l] = NativeBlas.slice(weights, spec.weightOffset(l), w);
        biasViews[l] = NativeBlas.slice(weights, spec.biasOffset(l), b);
        if (training) {
          weightGradViews[l] = NativeBlas.slice(gradient, spec.weightOffset(l), w);
          biasGradViews[l] = NativeBlas.slice(gradient, spec.biasOffset(l), b);
          weightVelocityViews[l] = NativeBlas.slice(velocity, spec.weightOffset(l), w);
          biasVelocityViews[l] = NativeBlas.slice(velocity, spec.biasOffset(l), b);
        }
      }
      ones = NativeBlas.allocate(batch);
      for (int i = 0; i < batch; i++) {
        ones.put(i, 1f);
      }
      labels = new int[batch];
    }

    /**
     * Forward pass over {@code count} rows; the output layer ends as probabilities. Returns the
     * summed cross-entropy when {@code labelsOut} is not null (labels are then recorded there).
     */
    double forward(Dataset data, int[] rows, int count, int[] labelsOut) {
      int in = spec.inputs();
      FloatBuffer x = activations[0];
      for (int i = 0; i < count; i++) {
        data.copyRow(rows[i], x, i * in);
        if (labelsOut != null) {
          labelsOut[i] = data.label(rows[i]);
        }
      }
      int depth = spec.depth();
      for (int l = 0; l < depth; l++) {
        int fanIn = spec.layers().get(l);
        int fanOut = spec.layers().get(l + 1);
        FloatBuffer z = activations[l + 1];
        NativeBlas.gemm(false, false, count, fanOut, fanIn, 1f, activations[l], fanIn, weightViews[l], fanOut, 0f, z, fanOut);
        NativeBlas.ger(count, fanOut, 1f, ones, biasViews[l], z, fanOut);
        if (l + 1 < depth) {
          int n = count * fanOut;
          z.get(0, scratchA, 0, n);
          for (int i = 0; i < n; i++) {
            scratchA[i] = Math.max(scratchA[i], 0f);
          }
          z.put(0, scratchA, 0, n);
        }
      }
      return softmaxRows(activations[depth], count, spec.classes(), labelsOut, scratchA);
    }

    /**
     * Forward and backward over the rows. Writes {@code target = beta * target + gradient} (beta 0:
     * the plain gradient; beta = momentum: the heavy-ball velocity update, fused into the GEMMs).
     * Returns the summed loss.
     */
    double forwardBackward(Dataset data, int[] rows, int count, FloatBuffer target, float beta) {
      FloatBuffer[] weightTarget = target == gradient ? weightGradViews : weightVelocityViews;
      FloatBuffer[] biasTarget = target == gradient ? biasGradViews : biasVelocityViews;
      double loss = forward(data, rows, count, labels);
      int depth = spec.depth();
      int classes = spec.classes();
      FloatBuffer probabilities = activations[depth];
      FloatBuffer delta = deltas[depth];
      float inv = 1f / count;
      for (int i = 0; i < count; i++) {
        int base = i * classes;
        for (int c = 0; c < classes; c++) {
          float label = c == labels[i] ? 1f : 0f;
          delta.put(base + c, (probabilities.get(base + c) - label) * inv);
        }
      }
      for (int l = depth - 1; l >= 0; l--) {
        int fanIn = spec.layers().get(l);
        int fanOut = spec.layers().get(l + 1);
        FloatBuffer d = deltas[l + 1];
        NativeBlas.gemm(true, false, fanIn, fanOut, count, 1f, activations[l], fanIn, d, fanOut, beta, weightTarget[l], fanOut);
        NativeBlas.gemv(true, count, fanOut, 1f, d, fanOut, ones, beta, biasTarget[l]);
        if (l > 0) {
          FloatBuffer below = deltas[l];
          NativeBlas.gemm(false, true, count, fanIn, fanOut, 1f, d, fanOut, weightViews[l], fanOut, 0f, below, fanIn);
          int n = count * fanIn;
          activations[l].get(0, scratchA, 0, n);
          below.get(0, scratchB, 0, n);
          for (int i = 0; i < n; i++) {
            scratchB[i] = scratchA[i] > 0f ? scratchB[i] : 0f;
          }
          below.put(0, scratchB, 0, n);
        }
      }
      return loss;
    }

    /**
     * One minibatch SGD step: {@code v = momentum * v + g + decay * w; w -= lr * v} (with momentum
     * 0, v is just the gradient). Returns the batch's summed loss before the step.
     */
    double trainStep(Dataset data, int[] rows, int count, TrainConfig config) {
      int p = spec.parameterCount();
      boolean heavyBall = config.momentum() > 0;
      FloatBuffer v = heavyBall ? velocity : gradient;
      double loss = forwardBackward(data, rows, count, v, heavyBall ? (float) config.momentum() : 0f);
      if (config.weightDecay() > 0) {
        NativeBlas.axpy(p, (float) config.weightDecay(), weights, v);
      }
      NativeBlas.axpy(p, (float) -config.learningRate(), v, weights);
      return loss;
    }
  }

  /**
   * Turns each row's logits into probabilities in place (max-shifted for stability); returns the
   * summed cross-entropy of the given labels, or 0 when {@code labels} is null.
   */
  private static double softmaxRows(FloatBuffer z, int count, int classes, int[] labels, float[] scratch) {
    int n = count * classes;
    z.get(0, scratch, 0, n);
    double loss = 0;
    for (int i = 0; i < count; i++) {
      int base = i * classes;
      float max = scratch[base];
      for (int c = 1; c < classes; c++) {
        max = Math.max(max, scratch[base + c]);
      }
      double sum = 0;
      float shiftedLabel = labels == null ? 0f : scratch[base + labels[i]] - max;
      for (int c = 0; c < classes; c++) {
        double e = Math.exp(scratch[base + c] - max);
        scratch[base + c] = (float) e;
        sum += e;
      }
      if (labels != null) {
        loss += Math.log(sum) - shiftedLabel;
      }
      float inv = (float) (1.0 / sum);
      for (int c = 0; c < classes; c++) {
        scratch[base + c] *= inv;
      }
    }
    z.put(0, scratch, 0, n);
    return loss;
  }
}
