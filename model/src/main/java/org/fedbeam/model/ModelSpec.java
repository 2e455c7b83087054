package org.fedbeam.model;

import java.util.List;
import java.util.stream.Collectors;

/**
 * What a parameter vector means: the model kind and the width of every layer, input first, classes
 * last. {@code mlp 784-128-10} has one hidden layer of 128 units.
 *
 * <p>Parameters are laid out layer by layer: the weight matrix (fan-in x fan-out, row-major), then
 * the bias vector (fan-out).
 */
public record ModelSpec(ModelKind kind, List<Integer> layers) implements java.io.Serializable {
  /** Most layer widths (input and output included) a spec may have; the file formats store one byte. */
  public static final int MAX_LAYERS = 64;

  /** Validates the kind against the layer count and copies the layer list. */
  public ModelSpec {
    if (kind == null) {
      throw new IllegalArgumentException("model kind must be given");
    }
    if (layers == null || layers.size() < 2) {
      throw new IllegalArgumentException("a model needs at least an input and an output layer, was " + layers);
    }
    if (layers.size() > MAX_LAYERS) {
      throw new IllegalArgumentException("a model has at most " + MAX_LAYERS + " layers, was " + layers.size());
    }
    layers = List.copyOf(layers);
    for (int i = 0; i < layers.size(); i++) {
      if (layers.get(i) < 1) {
        throw new IllegalArgumentException("layer " + i + " must have >= 1 unit, was " + layers.get(i));
      }
    }
    if (layers.get(layers.size() - 1) < 2) {
      throw new IllegalArgumentException("the output layer needs >= 2 classes, was " + layers.get(layers.size() - 1));
    }
    if (kind == ModelKind.LOGREG && layers.size() != 2) {
      throw new IllegalArgumentException("logreg has no hidden layer: expected [inputs, classes], was " + layers);
    }
    if (kind == ModelKind.MLP && layers.size() < 3) {
      throw new IllegalArgumentException("mlp needs at least one hidden layer, was " + layers);
    }
    if (parameterCount(layers) > Integer.MAX_VALUE - 64) {
      throw new IllegalArgumentException("model " + layers + " has more parameters than one array can hold");
    }
  }

  /** An MLP with the given hidden layer widths, or logistic regression when there are none. */
  public static ModelSpec of(int inputs, List<Integer> hidden, int classes) {
    List<Integer> all = new java.util.ArrayList<>();
    all.add(inputs);
    all.addAll(hidden);
    all.add(classes);
    return new ModelSpec(hidden.isEmpty() ? ModelKind.LOGREG : ModelKind.MLP, all);
  }

  /** Number of weight layers (one less than the number of layer widths). */
  /** The learner of this model's kind for this spec. */
  public Learner learner() {
    return kind.learner(this);
  }

  public int depth() {
    return layers.size() - 1;
  }

  public int inputs() {
    return layers.get(0);
  }

  public int classes() {
    return layers.get(layers.size() - 1);
  }

  /** Total number of scalar parameters. */
  public int parameterCount() {
    return (int) parameterCount(layers);
  }

  /** Offset of layer {@code l}'s weight matrix in the flat parameter vector. */
  public int weightOffset(int l) {
    long offset = 0;
    for (int i = 0; i < l; i++) {
      offset += (long) layers.get(i) * layers.get(i + 1) + layers.get(i + 1);
    }
    return (int) offset;
  }

  /** Offset of layer {@code l}'s bias vector in the flat parameter vector. */
  public int biasOffset(int l) {
    return weightOffset(l) + layers.get(l) * layers.get(l + 1);
  }

  /** For example {@code mlp 784-128-10}. */
  public String describe() {
    return kind.id() + " " + layers.stream().map(String::valueOf).collect(Collectors.joining("-"));
  }

  @Override
  public String toString() {
    return describe();
  }

  /** The exact count, or Long.MAX_VALUE once it passes Integer.MAX_VALUE (so a huge spec cannot wrap round to a small one). */
  private static long parameterCount(List<Integer> layers) {
    long count = 0;
    for (int i = 0; i + 1 < layers.size(); i++) {
      // each term is below 2^62 and count is below 2^31 here: no overflow
      count += (long) layers.get(i) * layers.get(i + 1) + layers.get(i + 1);
      if (count > Integer.MAX_VALUE) {
        return Long.MAX_VALUE;
      }
    }
    return count;
  }
}
