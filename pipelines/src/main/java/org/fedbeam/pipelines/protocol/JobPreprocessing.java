package org.fedbeam.pipelines.protocol;

import com.fasterxml.jackson.databind.JsonNode;
import org.apache.beam.sdk.io.fs.MatchResult;
import org.fedbeam.model.ModelSpec;
import org.fedbeam.preprocess.Preprocessing;
import org.fedbeam.transforms.Artifacts;

/**
 * A job file's optional {@code "preprocessing": "URI"}: the preprocessing JSON (as {@code fedbeam
 * train --dataset CSV} or the federated statistics fit it) that turns the silos' prepared tables into
 * the model's inputs. The orchestrator publishes it beside every round's global model, binds its
 * SHA-256 into each signed round request, records it in the provenance and puts it in the model
 * bundles, so {@code fedbeam predict} applies it to raw CSV rows. It must give exactly the model's
 * inputs (its first layer's width) and classes (its last layer's); it replaces the job's
 * {@code features} and {@code scaling}, and {@code class_labels}, if given, must be its classes.
 */
public final class JobPreprocessing {
  /** The largest preprocessing file accepted. */
  public static final long MAX_BYTES = 8L << 20;

  private JobPreprocessing() {}

  /**
   * Reads and checks the preprocessing at {@code uri} for the model {@code spec}.
   *
   * @param where the job file, named in errors with the field
   * @throws IllegalArgumentException naming the file, the field and what is wrong
   */
  public static Preprocessing load(String uri, ModelSpec spec, String where) {
    String at = where + ": preprocessing " + uri;
    MatchResult.Metadata m = Artifacts.metadataOrNull(uri);
    if (m == null) {
      throw new IllegalArgumentException(at + ": no such file");
    }
    if (m.sizeBytes() > MAX_BYTES) {
      throw new IllegalArgumentException(at + ": " + m.sizeBytes() + " bytes, more than the " + MAX_BYTES
          + " a preprocessing may have");
    }
    Preprocessing pre;
    try {
      pre = Preprocessing.fromJson(Artifacts.read(uri, "preprocessing"), uri);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(at + ": " + e.getMessage(), e);
    }
    if (pre.inputs() != spec.inputs()) {
      throw new IllegalArgumentException(at + " gives " + pre.inputs() + " model inputs (from " + pre.columns().size()
          + " columns), but the model's first layer (model.layers[0]) takes " + spec.inputs());
    }
    if (pre.classes().size() != spec.classes()) {
      throw new IllegalArgumentException(at + " has " + pre.classes().size() + " classes " + pre.classes()
          + ", but the model's last layer gives " + spec.classes());
    }
    return pre;
  }

  /** The job's bundle fields that the preprocessing replaces: refused beside it, naming them. */
  static void checkBundleFields(JsonNode job, Preprocessing pre, String where) {
    for (String field : java.util.List.of("features", "scaling")) {
      if (job.has(field)) {
        throw new IllegalArgumentException(where + ": " + field + " cannot be given with preprocessing: the"
            + " preprocessing names and scales the model's inputs");
      }
    }
    JsonNode labels = job.get("class_labels");
    if (labels != null && labels.isArray()) {
      java.util.List<String> given = new java.util.ArrayList<>();
      labels.forEach(l -> given.add(l.asText()));
      if (!given.equals(pre.classes())) {
        throw new IllegalArgumentException(where + ": class_labels " + given + " are not the preprocessing's classes "
            + pre.classes());
      }
    }
  }
}
