package org.fedbeam.model;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Replaces a dense network's output layer for a new task with other classes (transfer learning:
 * Yosinski et al. 2014, "How transferable are features in deep neural networks?"). Every layer below
 * the output keeps its weights and biases bit for bit; the new output layer is drawn from a seed the
 * way {@link DenseNetwork#initialize} draws one (LeCun-normal weights, zero biases).
 */
public final class OutputHead {
  private OutputHead() {}

  /**
   * {@code model} with its output layer replaced by a fresh one of {@code classes} outputs.
   *
   * @throws IllegalArgumentException if {@code classes} < 2
   */
  public static Parameters replace(Parameters model, int classes, long seed) {
    ModelSpec old = model.spec();
    if (classes < 2) {
      throw new IllegalArgumentException("a new output layer needs >= 2 classes, was " + classes);
    }
    List<Integer> layers = new ArrayList<>(old.layers());
    layers.set(layers.size() - 1, classes);
    ModelSpec spec = new ModelSpec(old.kind(), layers);
    int top = spec.depth() - 1;
    float[] values = new float[spec.parameterCount()];
    // the layers below the output come first in the layout: one copy keeps them bit for bit
    System.arraycopy(model.toArray(), 0, values, 0, old.weightOffset(top));
    int fanIn = spec.layers().get(top);
    double scale = Math.sqrt(1.0 / fanIn);
    SplittableRandom random = new SplittableRandom(Seeds.derive(seed, "new-head"));
    int offset = spec.weightOffset(top);
    for (int i = 0; i < fanIn * classes; i++) {
      values[offset + i] = (float) (random.nextGaussian() * scale);
    }
    return Parameters.adopt(spec, values);
  }
}
