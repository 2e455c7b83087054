package org.fedbeam.model;

import java.util.Locale;

/**
 * The registry of model kinds, found by {@link #parse(String) id}: each kind makes the
 * {@link Learner} for a spec of its kind. Both kinds today are dense feed-forward networks with a
 * softmax output ({@link DenseNetwork}); a new kind (a CNN) is one constant here with its learner.
 */
public enum ModelKind {
  /** Multinomial logistic regression: input layer straight to a softmax output, no hidden layer. */
  LOGREG("logreg"),
  /** Multilayer perceptron: one or more ReLU hidden layers, then a softmax output. */
  MLP("mlp");

  private final String id;

  ModelKind(String id) {
    this.id = id;
  }

  /** The stable identifier used on the command line, in files and in provenance. */
  public String id() {
    return id;
  }

  /** The learner that trains and evaluates models of {@code spec}, which must be of this kind. */
  public Learner learner(ModelSpec spec) {
    if (spec.kind() != this) {
      throw new IllegalArgumentException("model " + spec + " is not of kind " + id);
    }
    return new DenseNetwork(spec);
  }

  /** Parses an identifier such as {@code mlp}; the error lists what is accepted. */
  public static ModelKind parse(String text) {
    String wanted = text == null ? "" : text.trim().toLowerCase(Locale.ROOT);
    for (ModelKind kind : values()) {
      if (kind.id.equals(wanted)) {
        return kind;
      }
    }
    throw new IllegalArgumentException("model must be one of logreg, mlp; was '" + text + "'");
  }
}
