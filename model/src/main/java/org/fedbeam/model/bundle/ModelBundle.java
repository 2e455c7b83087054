package org.fedbeam.model.bundle;

import java.util.List;
import org.fedbeam.data.FeatureScaling;
import org.fedbeam.model.Parameters;
import org.fedbeam.preprocess.Preprocessing;

/**
 * A trained model with what a user needs to apply it to raw rows, in the spirit of a scikit-learn
 * pipeline or Tribuo's model with its feature and output domains:
 *
 * @param model the parameters (their spec is the model's shape)
 * @param featureNames the raw input columns, in the order the model reads them (one per input)
 * @param scaling the preprocessing: each raw feature x becomes {@code (x - mean) / scale} before the
 *     model sees it (Fashion-MNIST: mean 0, scale 255; a CSV: the training pool's standardisation)
 * @param classLabels the label of each output class, in output order (one per class)
 * @param provenance the chain of how the model was made, as a JSON array of stages, oldest first
 *     (e.g. pretrained, then federated, then fine-tuned); opaque to this module
 * @param preprocessing how raw table columns (numeric and categorical, with missing values) become the
 *     model's inputs, or null for a bundle whose raw features are already numeric (then only
 *     {@code scaling} applies). With one, {@code featureNames} are its expanded inputs
 *     ({@code colour=red}), {@code classLabels} its classes and {@code scaling} the identity: the
 *     preprocessing does all of it ({@link #of})
 */
public record ModelBundle(Parameters model, List<String> featureNames, FeatureScaling scaling, List<String> classLabels,
    String provenance, Preprocessing preprocessing) {
  /** A bundle of numeric features and a scaling, without a table preprocessing. */
  public ModelBundle(Parameters model, List<String> featureNames, FeatureScaling scaling, List<String> classLabels,
      String provenance) {
    this(model, featureNames, scaling, classLabels, provenance, null);
  }

  /** A bundle whose inputs are {@code preprocessing}'s: its feature names and classes, the identity scaling. */
  public static ModelBundle of(Parameters model, Preprocessing preprocessing, String provenance) {
    int inputs = preprocessing.inputs();
    float[] ones = new float[inputs];
    java.util.Arrays.fill(ones, 1f);
    return new ModelBundle(model, preprocessing.featureNames(), new FeatureScaling(new float[inputs], ones),
        preprocessing.classes(), provenance, preprocessing);
  }

  public ModelBundle {
    if (model == null || featureNames == null || scaling == null || classLabels == null || provenance == null) {
      throw new IllegalArgumentException("a model bundle needs a model, feature names, a scaling, class labels and"
          + " a provenance");
    }
    featureNames = List.copyOf(featureNames);
    classLabels = List.copyOf(classLabels);
    int inputs = model.spec().inputs();
    if (featureNames.size() != inputs) {
      throw new IllegalArgumentException("the model reads " + inputs + " features, the bundle names "
          + featureNames.size());
    }
    if (scaling.mean().length != inputs || scaling.scale().length != inputs) {
      throw new IllegalArgumentException("the model reads " + inputs + " features, the scaling has "
          + scaling.mean().length + " means and " + scaling.scale().length + " scales");
    }
    for (int i = 0; i < inputs; i++) {
      if (!Float.isFinite(scaling.mean()[i]) || !(scaling.scale()[i] > 0) || !Float.isFinite(scaling.scale()[i])) {
        throw new IllegalArgumentException("feature " + featureNames.get(i) + ": the scaling must have a finite mean"
            + " and a finite scale > 0, was mean " + scaling.mean()[i] + ", scale " + scaling.scale()[i]);
      }
    }
    if (classLabels.size() != model.spec().classes()) {
      throw new IllegalArgumentException("the model has " + model.spec().classes() + " classes, the bundle labels "
          + classLabels.size());
    }
    if (new java.util.HashSet<>(featureNames).size() != featureNames.size()) {
      throw new IllegalArgumentException("the bundle's feature names repeat a name: " + featureNames);
    }
    if (new java.util.HashSet<>(classLabels).size() != classLabels.size()) {
      throw new IllegalArgumentException("the bundle's class labels repeat a label: " + classLabels);
    }
    if (preprocessing != null) {
      if (!preprocessing.featureNames().equals(featureNames) || !preprocessing.classes().equals(classLabels)) {
        throw new IllegalArgumentException("the bundle's feature names and class labels must be its preprocessing's");
      }
      for (int i = 0; i < inputs; i++) {
        if (scaling.mean()[i] != 0f || scaling.scale()[i] != 1f) {
          throw new IllegalArgumentException("a bundle with a preprocessing has the identity scaling; feature "
              + featureNames.get(i) + " has mean " + scaling.mean()[i] + ", scale " + scaling.scale()[i]);
        }
      }
    }
  }

  /** The same bundle around other parameters of the same shape (e.g. a later round's model). */
  public ModelBundle withModel(Parameters other, String newProvenance) {
    return new ModelBundle(other, featureNames, scaling, classLabels, newProvenance, preprocessing);
  }

  /** Feature names {@code pixel_0 .. pixel_{n-1}}-style: {@code prefix + index}. */
  public static List<String> numberedNames(String prefix, int count) {
    return java.util.stream.IntStream.range(0, count).mapToObj(i -> prefix + i).toList();
  }
}
