package org.fedbeam.pipelines.protocol;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.fedbeam.model.ModelKind;
import org.fedbeam.model.ModelSpec;
import org.fedbeam.model.TrainConfig;
import org.fedbeam.transforms.ConfigJson;

/**
 * The three messages between the orchestrator and a silo, each the signed body of a
 * {@link Signed} envelope. Every one carries the job id, the round, the request's nonce, the silo
 * and the SHA-256 of the global model it refers to, so an answer is bound to exactly one request.
 * Parsing is strict: a missing or mistyped field is a {@link Rejected} naming the field.
 */
public final class Messages {
  public static final String REQUEST = "round-request";
  public static final String UPDATE = "update";
  public static final String REFUSAL = "refusal";

  /** Job and silo ids: letters, digits, '.', '_' and '-', 1 to 64 of them (they become path segments). */
  private static final Pattern ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");
  private static final Pattern HEX64 = Pattern.compile("[0-9a-f]{64}");
  private static final Pattern NONCE = Pattern.compile("[0-9a-f]{32}");
  private static final SecureRandom RANDOM = new SecureRandom();

  private Messages() {}

  /** An approved pipeline: name, version and the SHA-256 of its definition. */
  public record PipelineRef(String name, String version, String sha256) {
    ObjectNode toJson() {
      ObjectNode n = Signed.JSON.createObjectNode();
      n.put("name", name);
      n.put("version", version);
      n.put("sha256", sha256);
      return n;
    }

    static PipelineRef fromJson(JsonNode n, String where) throws Rejected {
      if (n == null || !n.isObject()) {
        throw new Rejected("malformed message", where + " is missing");
      }
      return new PipelineRef(text(n, "name", where), text(n, "version", where), hex64(n, "sha256", where));
    }
  }

  /**
   * The orchestrator's request to one silo for one round. {@code train.dp}
   * ({@code {"clip": C, "noise_multiplier": sigma}}, optional) asks for DP-SGD. {@code seed} is
   * kept for compatibility and signed, but a silo agent does not train with it: it draws its
   * randomness from its own secret ({@link org.fedbeam.model.Seeds#fromSecret}).
   * {@code preprocessing_sha256} (optional) is the SHA-256 of the job's preprocessing, published
   * next to the global model: a silo whose data is a prepared table applies it inside the silo.
   */
  public record RoundRequest(String jobId, int round, int attempt, String nonce, String silo, PipelineRef pipeline,
      ModelSpec spec, String modelSha256, TrainConfig config, long seed, long deadlineMillis,
      String preprocessingSha256) {
    /** A request without a preprocessing (for a silo whose data is a numeric shard). */
    public RoundRequest(String jobId, int round, int attempt, String nonce, String silo, PipelineRef pipeline,
        ModelSpec spec, String modelSha256, TrainConfig config, long seed, long deadlineMillis) {
      this(jobId, round, attempt, nonce, silo, pipeline, spec, modelSha256, config, seed, deadlineMillis, null);
    }

    public ObjectNode toJson() {
      ObjectNode n = header(jobId, round, nonce, silo, modelSha256);
      n.put("attempt", attempt);
      n.set("pipeline", pipeline.toJson());
      n.set("model", ConfigJson.toJson(spec));
      n.set("train", ConfigJson.toJson(config));
      n.put("seed", seed);
      n.put("deadline_ms", deadlineMillis);
      if (preprocessingSha256 != null) {
        n.put("preprocessing_sha256", preprocessingSha256);
      }
      return n;
    }

    public static RoundRequest fromJson(JsonNode n) throws Rejected {
      String where = "request";
      JsonNode model = object(n, "model", where);
      JsonNode train = object(n, "train", where);
      ModelSpec spec;
      TrainConfig config;
      try {
        spec = ConfigJson.modelSpec(model, "request model");
        config = ConfigJson.trainConfig(train, "request train");
      } catch (IllegalArgumentException e) {
        throw new Rejected("malformed message", "request model or training settings: " + e.getMessage());
      }
      return new RoundRequest(id(n, "job_id", where), positive(n, "round", where), positive(n, "attempt", where),
          nonceField(n, where), id(n, "silo", where),
          PipelineRef.fromJson(n.get("pipeline"), "request pipeline"), spec, hex64(n, "model_sha256", where), config,
          longValue(n, "seed", where), longValue(n, "deadline_ms", where),
          n.has("preprocessing_sha256") ? hex64(n, "preprocessing_sha256", where) : null);
    }
  }

  /**
   * A silo's answer with an update: the weights are in a file next to it, named by their SHA-256.
   *
   * <p>Its metadata is parsed strictly, so that no field can carry more than the number it stands
   * for: only the fields in {@link #METADATA_FIELDS}, {@code samples} required, each a number within
   * its range and precision: {@code samples} an integer in [1, 10^12]; {@code train_ms} an integer
   * in [0, 604800000] (a week); {@code train_loss} and {@code epsilon_spent} in [0, 10^6] with at
   * most 4 significant digits (as the shortest decimal that reads back as the same double).
   * Anything else is a {@link Rejected} naming the field and what was wrong.
   */
  public record UpdateReport(String jobId, int round, String nonce, String silo, String modelSha256,
      String updateSha256, Map<String, Double> metadata) {
    /** The metadata fields an update may carry. */
    public static final java.util.Set<String> METADATA_FIELDS = org.fedbeam.transforms.MetadataRules.DEFAULTS.keySet();
    static final double MAX_SAMPLES = 1e12;
    static final double MAX_TRAIN_MS = 7 * 24 * 3600 * 1000.0;
    static final double MAX_REAL = 1e6;
    static final int SIGNIFICANT_DIGITS = 4;

    public ObjectNode toJson() {
      ObjectNode n = header(jobId, round, nonce, silo, modelSha256);
      n.put("update_sha256", updateSha256);
      ObjectNode m = n.putObject("metadata");
      metadata.forEach(m::put);
      return n;
    }

    public static UpdateReport fromJson(JsonNode n) throws Rejected {
      String where = "update";
      JsonNode m = object(n, "metadata", where);
      Map<String, Double> metadata = new LinkedHashMap<>();
      var fields = m.fields();
      while (fields.hasNext()) {
        var f = fields.next();
        metadata.put(f.getKey(), metadataField(f.getKey(), f.getValue()));
      }
      if (!metadata.containsKey("samples")) {
        throw new Rejected("malformed message", "update metadata: samples (the update's weight) is missing");
      }
      return new UpdateReport(id(n, "job_id", where), positive(n, "round", where), nonceField(n, where), id(n, "silo", where),
          hex64(n, "model_sha256", where), hex64(n, "update_sha256", where), metadata);
    }

    /** One metadata field's value, if it is within its field's range and precision. */
    static double metadataField(String name, JsonNode value) throws Rejected {
      String field = printable(name.length() > 40 ? name.substring(0, 40) + "..." : name);
      if (!METADATA_FIELDS.contains(name)) {
        throw new Rejected("update metadata out of bounds", "field '" + field + "' is not one of " + METADATA_FIELDS);
      }
      if (value == null || !value.isNumber() || !Double.isFinite(value.asDouble())) {
        throw new Rejected("update metadata out of bounds", field + " is not a finite number: " + abbreviated(value));
      }
      double v = value.asDouble();
      switch (name) {
        case "samples" -> within(field, v, 1, MAX_SAMPLES, true);
        case "train_ms" -> within(field, v, 0, MAX_TRAIN_MS, true);
        default -> {
          within(field, v, 0, MAX_REAL, false);
          int digits = java.math.BigDecimal.valueOf(v).stripTrailingZeros().precision();
          if (digits > SIGNIFICANT_DIGITS) {
            throw new Rejected("update metadata out of bounds", field + " " + v + " has " + digits
                + " significant digits, at most " + SIGNIFICANT_DIGITS + " are allowed");
          }
        }
      }
      return v;
    }

    private static void within(String field, double v, double min, double max, boolean integer) throws Rejected {
      if (integer && v != Math.rint(v)) {
        throw new Rejected("update metadata out of bounds", field + " must be an integer, was " + v);
      }
      if (v < min || v > max) {
        throw new Rejected("update metadata out of bounds", field + " must be in [" + min + ", " + max + "], was " + v);
      }
    }

    private static String abbreviated(JsonNode value) {
      String text = String.valueOf(value);
      return printable(text.length() > 40 ? text.substring(0, 40) + "..." : text);
    }
  }

  /** A silo's answer refusing the request; {@code reason} says why without revealing data. */
  public record Refusal(String jobId, int round, String nonce, String silo, String modelSha256, String reason) {
    public ObjectNode toJson() {
      ObjectNode n = header(jobId, round, nonce, silo, modelSha256);
      n.put("reason", reason);
      return n;
    }

    public static Refusal fromJson(JsonNode n) throws Rejected {
      String where = "refusal";
      String reason = text(n, "reason", where);
      JsonNode sha = n.get("model_sha256");
      return new Refusal(id(n, "job_id", where), positive(n, "round", where), textOrEmpty(n, "nonce"), id(n, "silo", where),
          sha == null ? "" : sha.asText(), printable(reason.length() > 200 ? reason.substring(0, 200) : reason));
    }
  }

  /** The text with everything but printable ASCII replaced by '?', so a party cannot forge lines in the other's logs. */
  static String printable(String text) {
    StringBuilder sb = new StringBuilder(text.length());
    for (char c : text.toCharArray()) {
      sb.append(c >= 0x20 && c < 0x7f ? c : '?');
    }
    return sb.toString();
  }

  /** A fresh 128-bit nonce, hex. */
  public static String newNonce() {
    byte[] b = new byte[16];
    RANDOM.nextBytes(b);
    return HexFormat.of().formatHex(b);
  }

  /** Checks an id that becomes a path segment. */
  public static String requireId(String value, String what) {
    if (value == null || !ID.matcher(value).matches()) {
      throw new IllegalArgumentException(what + " '" + value + "' is not a valid id: use 1-64 letters, digits, '.', '_'"
          + " or '-', starting with a letter or digit");
    }
    return value;
  }

  private static ObjectNode header(String jobId, int round, String nonce, String silo, String modelSha256) {
    ObjectNode n = Signed.JSON.createObjectNode();
    n.put("job_id", jobId);
    n.put("round", round);
    n.put("nonce", nonce);
    n.put("silo", silo);
    n.put("model_sha256", modelSha256);
    return n;
  }

  static JsonNode object(JsonNode n, String field, String where) throws Rejected {
    JsonNode v = n.get(field);
    if (v == null || !v.isObject()) {
      throw new Rejected("malformed message", where + ": " + field + " missing or not an object");
    }
    return v;
  }

  static String text(JsonNode n, String field, String where) throws Rejected {
    JsonNode v = n.get(field);
    if (v == null || !v.isTextual() || v.asText().isBlank()) {
      throw new Rejected("malformed message", where + ": " + field + " missing or not text");
    }
    return v.asText();
  }

  private static String textOrEmpty(JsonNode n, String field) {
    JsonNode v = n.get(field);
    return v != null && v.isTextual() ? v.asText() : "";
  }

  static String id(JsonNode n, String field, String where) throws Rejected {
    String v = text(n, field, where);
    if (!ID.matcher(v).matches()) {
      throw new Rejected("malformed message", where + ": " + field + " is not a valid id");
    }
    return v;
  }

  static String hex64(JsonNode n, String field, String where) throws Rejected {
    String v = text(n, field, where);
    if (!HEX64.matcher(v).matches()) {
      throw new Rejected("malformed message", where + ": " + field + " is not a SHA-256 in lower-case hex");
    }
    return v;
  }

  static String nonceField(JsonNode n, String where) throws Rejected {
    String v = text(n, "nonce", where);
    if (!NONCE.matcher(v).matches()) {
      throw new Rejected("malformed message", where + ": nonce is not 32 hex digits");
    }
    return v;
  }

  static int positive(JsonNode n, String field, String where) throws Rejected {
    int v = integer(n, field, where);
    if (v < 1) {
      throw new Rejected("malformed message", where + ": " + field + " must be >= 1, was " + v);
    }
    return v;
  }

  static int integer(JsonNode n, String field, String where) throws Rejected {
    JsonNode v = n.get(field);
    if (v == null || !v.isIntegralNumber() || !v.canConvertToInt()) {
      throw new Rejected("malformed message", where + ": " + field + " missing or not an integer");
    }
    return v.asInt();
  }

  static long longValue(JsonNode n, String field, String where) throws Rejected {
    JsonNode v = n.get(field);
    if (v == null || !v.isIntegralNumber() || !v.canConvertToLong()) {
      throw new Rejected("malformed message", where + ": " + field + " missing or not an integer");
    }
    return v.asLong();
  }

  private static double number(JsonNode n, String field, String where) throws Rejected {
    JsonNode v = n.get(field);
    if (v == null || !v.isNumber() || !Double.isFinite(v.asDouble())) {
      throw new Rejected("malformed message", where + ": " + field + " missing or not a finite number");
    }
    return v.asDouble();
  }
}
