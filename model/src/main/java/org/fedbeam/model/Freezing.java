package org.fedbeam.model;

/**
 * Which layers a training call keeps frozen, and for how long: the first {@code layers} weight layers
 * (counted from the input) get no update during the first {@code epochs} epochs of the call (no
 * gradient step, no weight decay, no momentum), then every layer trains. Fine-tuning a pretrained
 * model this way lets a new output head settle before the features below it move (Howard and Ruder
 * 2018, "Universal Language Model Fine-tuning", gradual unfreezing; Yosinski et al. 2014).
 *
 * <p>Under DP-SGD the frozen epochs are the first {@code epochs * steps / call epochs} steps of the
 * call's plan; the plan (sampling rate and steps), and so the privacy spend, are unchanged: each
 * step's clipped, noised gradient simply covers the trainable layers only.
 *
 * @param layers leading weight layers to freeze, >= 0 (0: none; it must leave the output layer trainable)
 * @param epochs how many of the call's first epochs they stay frozen, >= 0 (at least the call's epochs:
 *     all of them)
 */
public record Freezing(int layers, int epochs) implements java.io.Serializable {
  /** Every layer trains from the first step. */
  public static final Freezing NONE = new Freezing(0, 0);

  public Freezing {
    if (layers < 0) {
      throw new IllegalArgumentException("frozen layers must be >= 0, was " + layers);
    }
    if (epochs < 0) {
      throw new IllegalArgumentException("frozen epochs must be >= 0, was " + epochs);
    }
  }

  /** The first {@code layers} layers frozen for the whole call. */
  public static Freezing always(int layers) {
    return new Freezing(layers, Integer.MAX_VALUE);
  }

  /** How many layers are frozen during epoch {@code epoch} (0-based). */
  public int layersAt(int epoch) {
    return epoch < epochs ? layers : 0;
  }

  /**
   * Checks the freezing against a model: it must leave at least the output layer trainable.
   *
   * @throws IllegalArgumentException naming the spec and the value
   */
  public void check(ModelSpec spec) {
    if (layers >= spec.depth()) {
      throw new IllegalArgumentException("frozen layers must be < the model's depth " + spec.depth() + " (" + spec
          + " has " + spec.depth() + " weight layers; the output layer always trains), was " + layers);
    }
  }
}
