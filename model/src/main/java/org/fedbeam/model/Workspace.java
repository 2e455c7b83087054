package org.fedbeam.model;

import java.nio.FloatBuffer;
import org.fedbeam.data.Dataset;
import org.fedbeam.model.linalg.NativeBlas;

/**
 * Direct buffers for one call of {@link DenseNetwork}: weights, gradient, momentum, and per-layer
 * activations, with the forward and backward passes over a minibatch (one native GEMM per layer).
 */
final class Workspace {
  final ModelSpec spec;
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
  /** FedProx's anchor: the call's start weights, kept only when the proximal coefficient is > 0. */
  private FloatBuffer proximalStart;
  /** How many leading weight layers are frozen: they get no gradient, no step, no decay, no momentum. */
  private int frozen;
  /** The trainable parameters: the suffix [weightOffset(frozen), parameterCount) of each flat buffer. */
  private int trainableFrom;
  private int trainableCount;
  private FloatBuffer trainableWeights;
  private FloatBuffer trainableGradient;
  private FloatBuffer trainableVelocity;
  private FloatBuffer trainableProximalStart;

  Workspace(ModelSpec spec, int batch, boolean training) {
    this.spec = spec;
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
    freeze(0);
  }

  /**
   * Freezes the first {@code layers} weight layers for the steps that follow: their weights and
   * biases get no gradient (the weight-gradient GEMMs and the deltas below the lowest trainable layer
   * are not computed), no step, no weight decay and no momentum. With 0, every layer trains, bit for
   * bit as before freezing existed.
   */
  void freeze(int layers) {
    if (layers < 0 || layers >= spec.depth()) {
      throw new IllegalArgumentException("frozen layers must be in [0, " + spec.depth() + ") for " + spec
          + " (the output layer always trains), was " + layers);
    }
    frozen = layers;
    trainableFrom = spec.weightOffset(layers);
    trainableCount = spec.parameterCount() - trainableFrom;
    trainableWeights = layers == 0 ? weights : NativeBlas.slice(weights, trainableFrom, trainableCount);
    if (gradient != null) {
      trainableGradient = layers == 0 ? gradient : NativeBlas.slice(gradient, trainableFrom, trainableCount);
      trainableVelocity = layers == 0 ? velocity : NativeBlas.slice(velocity, trainableFrom, trainableCount);
    }
    trainableProximalStart = proximalStart == null || layers == 0 ? proximalStart
        : NativeBlas.slice(proximalStart, trainableFrom, trainableCount);
  }

  /**
   * Loads a training call's start weights; under FedProx ({@code config.proximalMu() > 0}) also
   * keeps a copy of them in a direct buffer as the anchor of the proximal term. With mu = 0 it only
   * copies the weights, as before FedProx existed.
   */
  void start(Parameters start, TrainConfig config) {
    start.copyInto(weights);
    if (config.proximalMu() > 0) {
      proximalStart = NativeBlas.allocate(spec.parameterCount());
      start.copyInto(proximalStart);
    }
    freeze(frozen);
  }

  /**
   * Adds FedProx's proximal gradient {@code mu * (w - w_start)} to the step direction {@code v}
   * (Li et al. 2020: the gradient of {@code mu/2 ||w - w_start||^2}). Does nothing when mu = 0.
   */
  private void addProximal(TrainConfig config, FloatBuffer v) { // v: the trainable suffix
    if (config.proximalMu() > 0) {
      if (proximalStart == null) {
        throw new IllegalStateException("a FedProx step needs the call's start weights: call start() first");
      }
      float mu = (float) config.proximalMu();
      NativeBlas.axpy(trainableCount, mu, trainableWeights, v);
      NativeBlas.axpy(trainableCount, -mu, trainableProximalStart, v);
    }
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
    for (int l = depth - 1; l >= frozen; l--) { // frozen layers: no gradient GEMMs, no deltas below them
      int fanIn = spec.layers().get(l);
      int fanOut = spec.layers().get(l + 1);
      FloatBuffer d = deltas[l + 1];
      NativeBlas.gemm(true, false, fanIn, fanOut, count, 1f, activations[l], fanIn, d, fanOut, beta, weightTarget[l], fanOut);
      NativeBlas.gemv(true, count, fanOut, 1f, d, fanOut, ones, beta, biasTarget[l]);
      if (l > frozen) {
        backpropagateDelta(l, count);
      }
    }
    return loss;
  }

  /**
   * One minibatch SGD step: {@code v = momentum * v + g + decay * w + mu * (w - w_start); w -= lr * v}
   * (with momentum 0, v is just the gradient; the proximal term only under FedProx). Returns the
   * batch's summed loss before the step.
   */
  double trainStep(Dataset data, int[] rows, int count, TrainConfig config) {
    boolean heavyBall = config.momentum() > 0;
    double loss = forwardBackward(data, rows, count, heavyBall ? velocity : gradient,
        heavyBall ? (float) config.momentum() : 0f);
    FloatBuffer v = heavyBall ? trainableVelocity : trainableGradient;
    if (config.weightDecay() > 0) {
      NativeBlas.axpy(trainableCount, (float) config.weightDecay(), trainableWeights, v);
    }
    addProximal(config, v);
    NativeBlas.axpy(trainableCount, (float) -config.learningRate(), v, trainableWeights);
    return loss;
  }

  /**
   * Adds to {@code gradient} the sum over the rows of each row's cross-entropy gradient clipped to
   * L2 norm {@code clip} (Abadi et al. 2016), without forming per-example gradients: a dense
   * layer's per-example weight gradient is the outer product of the row's output delta and input
   * activation, so its squared norm is {@code ||delta_i||^2 * (||a_i||^2 + 1)} with the bias
   * (Goodfellow 2015). The deltas of every layer are computed first (backpropagation is linear in
   * the output delta of each row), each row's deltas are scaled by {@code min(1, clip / ||g_i||)},
   * and the clipped sum is then one GEMM per layer. Returns the summed loss of the rows.
   *
   * @param normsOut if not null, receives each row's unclipped gradient norm
   */
  double addClippedGradientSum(Dataset data, int[] rows, int count, double clip, double[] normsOut) {
    double loss = forward(data, rows, count, labels);
    int depth = spec.depth();
    int classes = spec.classes();
    FloatBuffer top = deltas[depth];
    FloatBuffer probabilities = activations[depth];
    for (int i = 0; i < count; i++) {
      int base = i * classes;
      for (int c = 0; c < classes; c++) {
        top.put(base + c, probabilities.get(base + c) - (c == labels[i] ? 1f : 0f));
      }
    }
    for (int l = depth - 1; l > frozen; l--) {
      backpropagateDelta(l, count);
    }
    // the gradient is the trainable layers' only: each row's norm, its clipping and the sum cover those
    double[] squares = new double[count];
    for (int l = frozen; l < depth; l++) {
      int fanIn = spec.layers().get(l);
      int fanOut = spec.layers().get(l + 1);
      deltas[l + 1].get(0, scratchA, 0, count * fanOut);
      activations[l].get(0, scratchB, 0, count * fanIn);
      for (int i = 0; i < count; i++) {
        squares[i] += squaredNorm(scratchA, i * fanOut, fanOut) * (squaredNorm(scratchB, i * fanIn, fanIn) + 1);
      }
    }
    // a row whose gradient is not finite (a global model made to overflow on some rows) adds nothing: a NaN
    // is not "> clip" and would pass unclipped into the sum, where no noise hides it
    boolean anyDropped = false;
    for (int i = 0; i < count; i++) {
      anyDropped |= !Double.isFinite(squares[i]);
    }
    for (int l = frozen; l < depth; l++) {
      int fanIn = spec.layers().get(l);
      int fanOut = spec.layers().get(l + 1);
      FloatBuffer d = deltas[l + 1];
      d.get(0, scratchA, 0, count * fanOut);
      for (int i = 0; i < count; i++) {
        double norm = Math.sqrt(squares[i]);
        boolean dropped = !Double.isFinite(norm);
        float factor = norm > clip ? (float) (clip / norm) : 1f;
        for (int k = i * fanOut, end = k + fanOut; k < end; k++) {
          scratchA[k] = dropped ? 0f : scratchA[k] * factor;
        }
      }
      d.put(0, scratchA, 0, count * fanOut);
      if (anyDropped) {
        activations[l].get(0, scratchB, 0, count * fanIn);
        for (int i = 0; i < count; i++) {
          if (!Double.isFinite(squares[i])) {
            java.util.Arrays.fill(scratchB, i * fanIn, (i + 1) * fanIn, 0f);
          }
        }
        activations[l].put(0, scratchB, 0, count * fanIn);
      }
      NativeBlas.gemm(true, false, fanIn, fanOut, count, 1f, activations[l], fanIn, d, fanOut, 1f, weightGradViews[l], fanOut);
      NativeBlas.gemv(true, count, fanOut, 1f, d, fanOut, ones, 1f, biasGradViews[l]);
    }
    if (normsOut != null) {
      for (int i = 0; i < count; i++) {
        normsOut[i] = Math.sqrt(squares[i]);
      }
    }
    return loss;
  }

  /** deltas[l] = (deltas[l + 1] W_l^T) masked by the ReLU of layer l's output, for l >= 1. */
  private void backpropagateDelta(int l, int count) {
    int fanIn = spec.layers().get(l);
    int fanOut = spec.layers().get(l + 1);
    FloatBuffer below = deltas[l];
    NativeBlas.gemm(false, true, count, fanIn, fanOut, 1f, deltas[l + 1], fanOut, weightViews[l], fanOut, 0f, below, fanIn);
    int n = count * fanIn;
    activations[l].get(0, scratchA, 0, n);
    below.get(0, scratchB, 0, n);
    for (int i = 0; i < n; i++) {
      scratchB[i] = scratchA[i] > 0f ? scratchB[i] : 0f;
    }
    below.put(0, scratchB, 0, n);
  }

  private static double squaredNorm(float[] values, int from, int length) {
    double sum = 0;
    for (int k = from, end = from + length; k < end; k++) {
      sum += (double) values[k] * values[k];
    }
    return sum;
  }

  /** Sets the gradient buffer to zero. */
  void clearGradient() {
    int p = spec.parameterCount();
    for (int i = 0; i < p; i++) {
      gradient.put(i, 0f);
    }
  }

  /**
   * One DP-SGD step from the clipped sum in {@code gradient}: adds N(0, noiseStd^2) to every
   * coordinate, divides by {@code expectedBatch}, then {@code v = momentum * v + g + decay * w
   * + mu * (w - w_start); w -= lr * v} as {@link #trainStep}.
   */
  void privateStep(TrainConfig config, double noiseStd, double expectedBatch, java.util.SplittableRandom noise) {
    int p = trainableCount; // frozen layers are not released changed: they need no noise and take no step
    float[] g = new float[p];
    gradient.get(trainableFrom, g);
    double scale = 1.0 / expectedBatch;
    for (int i = 0; i < p; i++) {
      g[i] = (float) ((g[i] + noiseStd * noise.nextGaussian()) * scale);
    }
    gradient.put(trainableFrom, g);
    FloatBuffer v = trainableGradient;
    if (config.momentum() > 0) {
      NativeBlas.scal(p, (float) config.momentum(), trainableVelocity);
      NativeBlas.axpy(p, 1f, trainableGradient, trainableVelocity);
      v = trainableVelocity;
    }
    if (config.weightDecay() > 0) {
      NativeBlas.axpy(p, (float) config.weightDecay(), trainableWeights, v);
    }
    addProximal(config, v);
    NativeBlas.axpy(p, (float) -config.learningRate(), v, trainableWeights);
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
