package org.fedbeam.pipelines.loop;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintStream;
import java.util.Arrays;
import java.util.List;
import org.fedbeam.data.FeatureScaling;
import org.fedbeam.model.EvalReport;
import org.fedbeam.model.ModelFormat;
import org.fedbeam.model.bundle.BundleFormat;
import org.fedbeam.model.bundle.ModelBundle;
import org.fedbeam.pipelines.rounds.RoundRecords;
import org.fedbeam.transforms.Artifacts;

/**
 * The run's models for others to use: at the end of a run (both modes), {@code OUTPUT/model-final.fbmb}
 * (the last round's model) and {@code OUTPUT/model-best.fbmb} (the model of the round with the best
 * validation accuracy, {@link RoundLoop.Result#best()}), each a {@link ModelBundle} with the data's
 * feature names, scaling and class labels and a provenance chain. The summary's {@code final_model}
 * names the one {@link Keep} chooses (best by default), and {@code fl_accuracy} is that model's test
 * accuracy.
 */
public final class Bundles {
  /** The last round's bundle. */
  public static final String LAST = "model-final" + BundleFormat.EXTENSION;
  /** The best-validation round's bundle. */
  public static final String BEST = "model-best" + BundleFormat.EXTENSION;

  /**
   * Which round's model a run reports. Lower case: these are the flag's values ({@code --keep best}).
   */
  public enum Keep {
    /** The round with the best validation accuracy (the earliest of equals; the last if none was validated). */
    best,
    /** The last round. */
    last
  }

  /**
   * What a bundle carries besides the model: checked here so that a mistake fails before a run,
   * not after it.
   *
   * @param featureNames the raw input columns, in the model's order
   * @param scaling {@code (x - mean) / scale} per feature, raw value to model input
   * @param classLabels the label of each class, in output order
   * @param preprocessing the table preprocessing the inputs came from (a CSV run), or null
   */
  public record Metadata(List<String> featureNames, FeatureScaling scaling, List<String> classLabels,
      org.fedbeam.preprocess.Preprocessing preprocessing) {
    /** Metadata of numeric features without a table preprocessing. */
    public Metadata(List<String> featureNames, FeatureScaling scaling, List<String> classLabels) {
      this(featureNames, scaling, classLabels, null);
    }

    public Metadata {
      if (featureNames == null || scaling == null || classLabels == null) {
        throw new IllegalArgumentException("bundle metadata needs feature names, a scaling and class labels");
      }
      featureNames = List.copyOf(featureNames);
      classLabels = List.copyOf(classLabels);
      if (scaling.mean().length != featureNames.size() || scaling.scale().length != featureNames.size()) {
        throw new IllegalArgumentException(featureNames.size() + " feature names but a scaling of "
            + scaling.mean().length + " means and " + scaling.scale().length + " scales");
      }
    }

    /**
     * For data already in the model's input space: {@code feature_0..}, mean 0 and scale 1,
     * {@code class_0..}.
     */
    public static Metadata numbered(int features, int classes) {
      float[] ones = new float[features];
      Arrays.fill(ones, 1f);
      return new Metadata(ModelBundle.numberedNames("feature_", features), new FeatureScaling(new float[features], ones),
          ModelBundle.numberedNames("class_", classes));
    }
  }

  private Bundles() {}

  /**
   * Writes both bundles under {@code output} and sets the summary's outcome keys
   * ({@link RunSummary#outcome}); prints where they are.
   *
   * @param run what names the run in the provenance (the simulation's output, the federated job id)
   */
  public static void write(String output, RoundLoop.Settings settings, RoundLoop.Result result, Metadata metadata,
      String run, Keep keep, ObjectNode summary, PrintStream out) {
    RoundLoop.RoundStats best = result.best();
    RoundLoop.RoundStats last = result.last();
    String bestUri = Artifacts.resolve(output, BEST);
    String lastUri = Artifacts.resolve(output, LAST);
    write(lastUri, settings, result, last, metadata, run, summary);
    write(bestUri, settings, result, best, metadata, run, summary);
    RunSummary.outcome(summary, result, keep, bestUri, lastUri);
    out.printf("models: %s (round %d, best validation), %s (round %d, last); the run reports %s%n", bestUri, best.round(),
        lastUri, last.round(), keep == Keep.best ? bestUri : lastUri);
  }

  private static void write(String uri, RoundLoop.Settings settings, RoundLoop.Result result, RoundLoop.RoundStats round,
      Metadata metadata, String run, ObjectNode summary) {
    byte[] modelBytes = Artifacts.read(round.modelUri(), "round " + round.round() + " model");
    ModelBundle bundle = new ModelBundle(ModelFormat.decode(modelBytes, round.modelUri()), metadata.featureNames(),
        metadata.scaling(), metadata.classLabels(), provenance(settings, result, round, run, summary, modelBytes,
        metadata.preprocessing()), metadata.preprocessing());
    Artifacts.writeAtomically(uri, BundleFormat.encode(bundle));
  }

  /**
   * The chain of stages, oldest first: the pretrained model's own chain (or a {@code pretrained} stage
   * naming its origin) when the run started from one, then this run's {@code federated} stage.
   */
  static String provenance(RoundLoop.Settings settings, RoundLoop.Result result, RoundLoop.RoundStats round, String run,
      ObjectNode summary, byte[] modelBytes) {
    return provenance(settings, result, round, run, summary, modelBytes, null);
  }

  /** As above; a run with a table preprocessing records its SHA-256 (of its canonical JSON) in the stage. */
  static String provenance(RoundLoop.Settings settings, RoundLoop.Result result, RoundLoop.RoundStats round, String run,
      ObjectNode summary, byte[] modelBytes, org.fedbeam.preprocess.Preprocessing preprocessing) {
    ArrayNode chain = RoundRecords.JSON.createArrayNode();
    if (settings.initialModel() != null) {
      JsonNode earlier = parseOrNull(settings.initialOrigin());
      if (earlier != null && earlier.isArray()) {
        chain.addAll((ArrayNode) earlier);
      } else if (earlier != null && earlier.isObject()) {
        chain.add(earlier);
      } else {
        chain.addObject().put("stage", "pretrained").put("origin", settings.initialOrigin())
            .put("model_sha256", Artifacts.sha256Hex(ModelFormat.encode(settings.initialModel())));
      }
    }
    ObjectNode stage = chain.addObject();
    stage.put("stage", "federated");
    stage.put("mode", summary.path("mode").asText(null));
    stage.put("run", run);
    stage.put("rounds", result.rounds().size());
    stage.put("round", round.round());
    stage.put("model", settings.spec().describe());
    stage.set("strategy", Provenance.strategy(settings));
    stage.put("seed", settings.seed());
    putAccuracy(stage, "validation_accuracy", round.evaluation("validation"));
    putAccuracy(stage, "test_accuracy", round.evaluation("test"));
    stage.put("model_sha256", Artifacts.sha256Hex(modelBytes));
    if (preprocessing != null) {
      stage.put("preprocessing_sha256", Artifacts.sha256Hex(preprocessing.toJson()));
    }
    stage.put("code_version", Provenance.codeVersion());
    try {
      return RoundRecords.oneLine(chain);
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  private static void putAccuracy(ObjectNode node, String key, EvalReport report) {
    if (report == null) {
      node.putNull(key);
    } else {
      node.put(key, report.accuracy());
    }
  }

  private static JsonNode parseOrNull(String text) {
    if (text == null || text.isBlank() || !(text.strip().startsWith("[") || text.strip().startsWith("{"))) {
      return null;
    }
    try {
      return RoundRecords.JSON.readTree(text);
    } catch (java.io.IOException e) {
      return null;
    }
  }
}
