package org.fedbeam.transforms;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import org.fedbeam.model.DpSgd;
import org.fedbeam.model.ModelKind;
import org.fedbeam.model.ModelSpec;
import org.fedbeam.model.TrainConfig;

/**
 * The one JSON form of a model spec and of a local training config, used by every document that
 * carries them (job file, round request, round descriptors, provenance, summaries):
 * <pre>
 *   model: {"kind": "mlp", "layers": [784, 128, 10]}
 *   train: {"epochs": 1, "batch_size": 64, "learning_rate": 0.05, "momentum": 0.9, "weight_decay": 0,
 *           "proximal_mu": 0.01, "dp": {"clip": 1.0, "noise_multiplier": 1.1}}
 * </pre>
 * {@code proximal_mu} and {@code dp} are written only when set. Reading is strict: a missing or
 * mistyped field, or a field this form does not have, is an {@link IllegalArgumentException} that
 * names the field and {@code where} it was read.
 */
public final class ConfigJson {
  /** The fields of {@code train}, {@code train.dp} and {@code model}: the job file's schema test reads these. */
  public static final Set<String> TRAIN_FIELDS =
      Set.of("epochs", "batch_size", "learning_rate", "momentum", "weight_decay", "proximal_mu", "dp");
  public static final Set<String> DP_FIELDS = Set.of("clip", "noise_multiplier");
  public static final Set<String> MODEL_FIELDS = Set.of("kind", "layers");

  private ConfigJson() {}

  /** {@code config} as a JSON object. */
  public static ObjectNode toJson(TrainConfig config) {
    ObjectNode n = JsonNodeFactory.instance.objectNode();
    n.put("epochs", config.epochs());
    n.put("batch_size", config.batchSize());
    n.put("learning_rate", config.learningRate());
    n.put("momentum", config.momentum());
    n.put("weight_decay", config.weightDecay());
    if (config.proximalMu() > 0) {
      n.put("proximal_mu", config.proximalMu());
    }
    if (config.privacy() != null) {
      n.putObject("dp").put("clip", config.privacy().clip()).put("noise_multiplier", config.privacy().noiseMultiplier());
    }
    return n;
  }

  /** {@code spec} as a JSON object. */
  public static ObjectNode toJson(ModelSpec spec) {
    ObjectNode n = JsonNodeFactory.instance.objectNode();
    n.put("kind", spec.kind().id());
    ArrayNode layers = n.putArray("layers");
    spec.layers().forEach(layers::add);
    return n;
  }

  /** Reads a training config written by {@link #toJson(TrainConfig)}; every field is required but the optional two. */
  public static TrainConfig trainConfig(JsonNode n, String where) {
    requireObject(n, where);
    onlyFields(n, TRAIN_FIELDS, where);
    DpSgd dp = null;
    if (n.has("dp")) {
      JsonNode d = n.get("dp");
      requireObject(d, where + ".dp");
      onlyFields(d, DP_FIELDS, where + ".dp");
      dp = rethrow(where + ".dp", () -> new DpSgd(number(d, "clip", where + ".dp"), number(d, "noise_multiplier", where + ".dp")));
    }
    DpSgd privacy = dp;
    double mu = n.has("proximal_mu") ? number(n, "proximal_mu", where) : 0;
    return rethrow(where, () -> new TrainConfig(integer(n, "epochs", where), integer(n, "batch_size", where),
        number(n, "learning_rate", where), number(n, "momentum", where), number(n, "weight_decay", where), privacy, mu));
  }

  /** Reads a model spec written by {@link #toJson(ModelSpec)}. */
  public static ModelSpec modelSpec(JsonNode n, String where) {
    requireObject(n, where);
    onlyFields(n, MODEL_FIELDS, where);
    JsonNode kind = n.get("kind");
    if (kind == null || !kind.isTextual()) {
      throw new IllegalArgumentException(where + ".kind is missing or not a string");
    }
    JsonNode l = n.get("layers");
    if (l == null || !l.isArray()) {
      throw new IllegalArgumentException(where + ".layers is missing or not a list");
    }
    if (l.size() > ModelSpec.MAX_LAYERS) {
      throw new IllegalArgumentException(where + ".layers has " + l.size() + " entries, at most " + ModelSpec.MAX_LAYERS);
    }
    List<Integer> layers = new ArrayList<>();
    for (JsonNode width : l) {
      if (!width.isIntegralNumber() || !width.canConvertToInt()) {
        throw new IllegalArgumentException(where + ".layers: width " + width + " is not an integer");
      }
      layers.add(width.asInt());
    }
    return rethrow(where, () -> new ModelSpec(ModelKind.parse(kind.asText()), layers));
  }

  /** Rejects every field of {@code n} that is not in {@code known}, naming it and {@code where}. */
  public static void onlyFields(JsonNode n, Set<String> known, String where) {
    for (Iterator<String> names = n.fieldNames(); names.hasNext();) {
      String name = names.next();
      if (!known.contains(name)) {
        throw new IllegalArgumentException(where + " has an unknown field \"" + name + "\"; known: "
            + String.join(", ", new java.util.TreeSet<>(known)));
      }
    }
  }

  private static void requireObject(JsonNode n, String where) {
    if (n == null || !n.isObject()) {
      throw new IllegalArgumentException(where + " is missing or not an object");
    }
  }

  private static int integer(JsonNode n, String field, String where) {
    JsonNode v = n.get(field);
    if (v == null || !v.isIntegralNumber() || !v.canConvertToInt()) {
      throw new IllegalArgumentException(where + "." + field + " is missing or not an integer" + (v == null ? "" : ", was " + v));
    }
    return v.asInt();
  }

  private static double number(JsonNode n, String field, String where) {
    JsonNode v = n.get(field);
    if (v == null || !v.isNumber()) {
      throw new IllegalArgumentException(where + "." + field + " is missing or not a number" + (v == null ? "" : ", was " + v));
    }
    return v.asDouble();
  }

  private static <T> T rethrow(String where, java.util.function.Supplier<T> make) {
    try {
      return make.get();
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(where + ": " + e.getMessage(), e);
    }
  }
}
