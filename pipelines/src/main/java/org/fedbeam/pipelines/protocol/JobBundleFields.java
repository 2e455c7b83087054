package org.fedbeam.pipelines.protocol;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import org.fedbeam.data.FeatureScaling;
import org.fedbeam.model.ModelSpec;
import org.fedbeam.model.bundle.ModelBundle;

/**
 * A job file's optional description of the data, for the model bundles the orchestrator writes at
 * the end of the job (the silos never see these fields and nothing else reads them):
 *
 * <pre>
 *   "features": ["age", "income", ...],                      one name per model input
 *   "scaling": {"mean": [41.2, ...], "scale": [12.5, ...]},  raw value -> (x - mean) / scale
 *   "class_labels": ["no", "yes"]                            one label per class, in output order
 * </pre>
 *
 * In the federated mode the silos hold data already in the model's input space, so the scaling is
 * what the parties agreed to apply before the data went into the silos. A field left out gets the
 * numbered default: {@code feature_0..}, mean 0 and scale 1 (the bundle then takes inputs as they
 * are), {@code class_0..}.
 *
 * @param featureNames one per model input
 * @param scaling per input
 * @param classLabels one per class
 */
public record JobBundleFields(List<String> featureNames, FeatureScaling scaling, List<String> classLabels) {
  /** The job file's field names. */
  public static final List<String> FIELDS = List.of("features", "scaling", "class_labels");
  /** The fields of {@code scaling}. */
  public static final List<String> SCALING_FIELDS = List.of("mean", "scale");

  /** Reads the fields of the job file {@code file} (already checked by {@link JobSpec#read}). */
  public static JobBundleFields read(Path file, ModelSpec spec) {
    try {
      return parse(JobSpec.JSON.readTree(Files.readAllBytes(file)), spec, "job file " + file);
    } catch (IOException e) {
      throw new IllegalArgumentException("cannot read the job file " + file + ": " + e.getMessage(), e);
    }
  }

  /** The fields of the job {@code job}, checked against the model: an error names {@code where} and the field. */
  public static JobBundleFields parse(JsonNode job, ModelSpec spec, String where) {
    int inputs = spec.inputs();
    List<String> features = names(job.get("features"), inputs, where + ": features", "model inputs");
    List<String> labels = names(job.get("class_labels"), spec.classes(), where + ": class_labels", "classes");
    JsonNode scaling = job.get("scaling");
    float[] mean = new float[inputs];
    float[] scale = new float[inputs];
    Arrays.fill(scale, 1f);
    if (scaling != null) {
      if (!scaling.isObject() || scaling.size() != SCALING_FIELDS.size()
          || !SCALING_FIELDS.stream().allMatch(scaling::has)) {
        throw new IllegalArgumentException(where + ": scaling must be an object {\"mean\": [...], \"scale\": [...]}");
      }
      mean = numbers(scaling.get("mean"), inputs, where + ": scaling.mean", false);
      scale = numbers(scaling.get("scale"), inputs, where + ": scaling.scale", true);
    }
    return new JobBundleFields(features != null ? features : ModelBundle.numberedNames("feature_", inputs),
        new FeatureScaling(mean, scale), labels != null ? labels : ModelBundle.numberedNames("class_", spec.classes()));
  }

  private static List<String> names(JsonNode node, int count, String where, String what) {
    if (node == null) {
      return null;
    }
    if (!node.isArray() || node.size() != count) {
      throw new IllegalArgumentException(where + " must be an array of " + count + " names (one per " + what.replaceAll("s$", "")
          + "), was " + (node.isArray() ? node.size() + " names" : node.getNodeType().toString().toLowerCase()));
    }
    List<String> names = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      JsonNode v = node.get(i);
      if (!v.isTextual() || v.asText().isEmpty()) {
        throw new IllegalArgumentException(where + "[" + i + "] must be a non-empty text, was " + v);
      }
      names.add(v.asText());
    }
    if (new HashSet<>(names).size() != names.size()) {
      throw new IllegalArgumentException(where + " repeats a name: " + names);
    }
    return names;
  }

  private static float[] numbers(JsonNode node, int count, String where, boolean positive) {
    if (node == null || !node.isArray() || node.size() != count) {
      throw new IllegalArgumentException(where + " must be an array of " + count + " numbers (one per model input)");
    }
    float[] values = new float[count];
    for (int i = 0; i < count; i++) {
      JsonNode v = node.get(i);
      values[i] = v.isNumber() ? v.floatValue() : Float.NaN;
      if (!Float.isFinite(values[i]) || (positive && !(values[i] > 0))) {
        throw new IllegalArgumentException(where + "[" + i + "] must be a finite number" + (positive ? " > 0" : "")
            + ", was " + v);
      }
    }
    return values;
  }
}
