package org.fedbeam.pipelines.protocol;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PublicKey;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.fedbeam.model.ModelSpec;
import org.fedbeam.model.TrainConfig;
import org.fedbeam.model.strategy.Participation;
import org.fedbeam.model.strategy.Strategies;
import org.fedbeam.model.strategy.Strategy;
import org.fedbeam.transforms.ConfigJson;

/**
 * A federated job, as the orchestrator's JSON file states it. It names each silo only by its id,
 * its exchange area and its public key: nothing of the silos' private storage.
 *
 * <pre>
 * {
 *   "job_id": "fmnist-1",
 *   "submitter_key": "/srv/orchestrator/key",        the submitter's key pair folder
 *   "output": "/srv/orchestrator/run",               models, round records, summary (URI)
 *   "model": {"kind": "mlp", "layers": [784, 128, 10]},
 *   "initial_model": "/srv/orchestrator/pretrained.onnx",   optional: round 1 starts from it (.fbm, .fbmb or ONNX)
 *   "train": {"epochs": 1, "batch_size": 64, "learning_rate": 0.05, "momentum": 0.9, "weight_decay": 0},
 *   "rounds": 10, "min_silos": 2, "round_timeout_s": 300, "grace_s": 5, "max_attempts": 3, "seed": 42,
 *   "patience": 5, "tolerance": 0.001, "poll_ms": 100,              how often the exchange is checked for answers
 *   "max_update_norm": 1000.0, "max_samples": 1e9,                  an update further from the global model, or
 *                                                                   claiming more samples, is invalid
 *   "max_silo_share": 0.5,                                          optional (default 1): the largest share of a
 *                                                                   round's weight one silo's update may get
 *   "silos": [{"id": "hospital-a", "exchange": "azfs://acct/exchange-a", "public_key": "MCow...",
 *              "samples": 12000},                                   the sample count the silo declared
 *             {"id": "hospital-b", "exchange": "...", "samples": 800,
 *              "public_keys": [{"public_key": "MCow...", "not_after": "2025-07-01T00:00:00Z"},
 *                              {"public_key": "MCow...", "not_before": "2025-06-01T00:00:00Z"}]}],
 *   "evaluation": {"validation": "/srv/orchestrator/validation.fbds", "test": "/srv/orchestrator/test.fbds"},
 *   "strategy": {"name": "fedprox", "mu": 0.01},                   optional (default fedavg): a name, or an object
 *                                                                   with the name and the strategy's parameters
 *   "fraction": 1.0                                                 optional: the share of silos asked each round
 * }
 * </pre>
 *
 * <p>The file is read strictly: a field not listed here, or a value of the wrong type or out of
 * range, is an error naming the field. {@code min_silos} (the quorum) defaults to the silos asked
 * per round ({@code ceil(fraction x silos)}).
 *
 * <p>A silo's {@code samples} is the most weight one of its updates can have: an update claiming
 * more is invalid. Without it the orchestrator has nothing to check the claim against, so the
 * silo's update never gets more than an equal share of the round ({@code federated.Orchestrator}). A silo has
 * one {@code public_key} (valid at all times) and/or {@code public_keys}, each valid from its
 * optional {@code not_before} to its optional {@code not_after} (ISO-8601 instants), so a silo
 * that rotates its key is listed with both keys during the overlap.
 */
public record JobSpec(String jobId, Path submitterKey, String output, ModelSpec spec, TrainConfig config, int rounds,
    int minSilos, long roundTimeoutMillis, long graceMillis, int maxAttempts, long seed, int patience, double tolerance,
    List<Silo> silos, Map<String, String> evaluation, long pollMillis, double maxUpdateNorm, long maxSamples,
    double maxSiloShare, Strategy strategy, Participation participation, String initialModel) {
  /** Every field a job file may have; any other is an error naming it. */
  static final Set<String> FIELDS = Set.of("job_id", "submitter_key", "output", "model", "train", "rounds", "min_silos",
      "round_timeout_s", "grace_s", "max_attempts", "seed", "patience", "tolerance", "poll_ms", "max_update_norm",
      "max_samples", "max_silo_share", "silos", "evaluation", "strategy", "fraction", "initial_model",
      "features", "scaling", "class_labels"); // the last three: JobBundleFields
  private static final Set<String> SILO_FIELDS = Set.of("id", "exchange", "public_key", "public_keys", "samples");
  private static final Set<String> KEY_FIELDS = Set.of("public_key", "not_before", "not_after");

  /**
   * A silo as the orchestrator knows it.
   *
   * @param keys its public keys, each with its validity
   * @param declaredSamples the sample count it declared, or 0 if it declared none
   */
  public record Silo(String id, String exchange, List<SiloKey> keys, long declaredSamples) {
    public Silo {
      keys = List.copyOf(keys);
      if (keys.isEmpty()) {
        throw new IllegalArgumentException("silo " + id + " has no public key");
      }
    }

    /** A silo with one key valid at all times and no declared sample count. */
    public Silo(String id, String exchange, PublicKey publicKey) {
      this(id, exchange, List.of(new SiloKey(publicKey, null, null)), 0);
    }

    /** Whether the silo declared its sample count. */
    public boolean declared() {
      return declaredSamples > 0;
    }
  }

  /** One of a silo's public keys, valid from {@code notBefore} to {@code notAfter} (null: no limit), both inclusive. */
  public record SiloKey(PublicKey key, Instant notBefore, Instant notAfter) {
    public boolean validAt(Instant t) {
      return (notBefore == null || !t.isBefore(notBefore)) && (notAfter == null || !t.isAfter(notAfter));
    }

    public String keyId() {
      return Keys.keyId(key);
    }
  }

  /** Reads and validates a job file; errors name the file and the field. */
  /**
   * Reads and checks a job file strictly: a field the job file does not have, a value of the wrong
   * type or out of range is an error naming the file and the field.
   */
  public static JobSpec read(Path file) {
    JsonNode n;
    try {
      n = Signed.JSON.readTree(Files.readAllBytes(file));
    } catch (IOException e) {
      throw new IllegalArgumentException("cannot read the job file " + file + ": " + e.getMessage(), e);
    }
    String where = "job file " + file;
    if (n == null || !n.isObject()) {
      throw new IllegalArgumentException(where + " is not a JSON object");
    }
    ConfigJson.onlyFields(n, FIELDS, where);
    ModelSpec spec = ConfigJson.modelSpec(n.get("model"), where + ": model");
    JobBundleFields.parse(n, spec, where); // checked now, used when the job ends
    TrainConfig config = ConfigJson.trainConfig(n.get("train"), where + ": train");
    if (config.proximalMu() > 0) {
      // a strategy's local part belongs to the strategy, so the summary and provenance say what ran
      throw new IllegalArgumentException(where + ": train.proximal_mu is set by the strategy: use \"strategy\":"
          + " {\"name\": \"fedprox\", \"mu\": " + config.proximalMu() + "}");
    }
    List<Silo> silos = new ArrayList<>();
    JsonNode list = n.get("silos");
    if (list == null || !list.isArray() || list.isEmpty()) {
      throw new IllegalArgumentException(where + ": silos is missing or empty");
    }
    int index = 0;
    for (JsonNode s : list) {
      String at = where + ": silos[" + index++ + "]";
      if (!s.isObject()) {
        throw new IllegalArgumentException(at + " is not an object");
      }
      ConfigJson.onlyFields(s, SILO_FIELDS, at);
      String id = Messages.requireId(ConfigFields.text(s, "id", at), at + ": id");
      if (silos.stream().anyMatch(x -> x.id().equals(id))) {
        throw new IllegalArgumentException(where + ": silo " + id + " is listed twice");
      }
      silos.add(new Silo(id, ConfigFields.text(s, "exchange", where + " silo " + id), keys(s, where + ": silo " + id),
          declaredSamples(s, where + ": silo " + id)));
    }
    Map<String, String> evaluation = new LinkedHashMap<>();
    JsonNode evalNode = n.get("evaluation");
    if (evalNode != null) {
      if (!evalNode.isObject()) {
        throw new IllegalArgumentException(where + ": evaluation must be an object of name: data set URI");
      }
      evalNode.fields().forEachRemaining(f -> evaluation.put(f.getKey(),
          ConfigFields.text(evalNode, f.getKey(), where + ": evaluation")));
    }
    int rounds = whole(n, "rounds", -1, 1, Integer.MAX_VALUE, where);
    if (rounds < 1) {
      throw new IllegalArgumentException(where + ": rounds is missing; it must be an integer >= 1");
    }
    Strategy strategy = strategy(n.get("strategy"), where);
    double fraction = number(n, "fraction", 1.0, where);
    if (!(fraction > 0 && fraction <= 1)) {
      throw new IllegalArgumentException(where + ": fraction must be in (0, 1], was " + n.get("fraction"));
    }
    int asked = new Participation(fraction, 1).perRound(silos.size());
    int minSilos = whole(n, "min_silos", asked, 1, silos.size(), where);
    Participation participation = new Participation(fraction, minSilos);
    try {
      participation.validate(silos.size());
      strategy.validate(participation.perRound(silos.size()));
      if (minSilos < strategy.minimumUpdates()) {
        // a round may close with min_silos updates: the aggregator must be able to use that many
        throw new IllegalArgumentException("min_silos " + minSilos + " is below the " + strategy.minimumUpdates()
            + " updates strategy " + strategy.name() + " needs in a round " + strategy.parameters()
            + "; a round closing with fewer could not be aggregated");
      }
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(where + ": " + e.getMessage(), e);
    }
    double timeout = number(n, "round_timeout_s", 300, where);
    if (!(timeout > 0)) {
      throw new IllegalArgumentException(where + ": round_timeout_s must be > 0, was " + n.get("round_timeout_s"));
    }
    double grace = number(n, "grace_s", 5, where);
    if (!(grace >= 0)) {
      throw new IllegalArgumentException(where + ": grace_s must be >= 0, was " + n.get("grace_s"));
    }
    double tolerance = number(n, "tolerance", 0, where);
    if (!(tolerance >= 0)) {
      throw new IllegalArgumentException(where + ": tolerance must be >= 0, was " + n.get("tolerance"));
    }
    return new JobSpec(Messages.requireId(ConfigFields.text(n, "job_id", where), where + ": job_id"),
        Path.of(ConfigFields.text(n, "submitter_key", where)), ConfigFields.text(n, "output", where), spec, config, rounds,
        minSilos, (long) (timeout * 1000), (long) (grace * 1000), whole(n, "max_attempts", 3, 1, 1000, where),
        longValue(n, "seed", 42, where), whole(n, "patience", rounds, 1, Integer.MAX_VALUE, where), tolerance,
        List.copyOf(silos), Map.copyOf(evaluation), whole(n, "poll_ms", 100, 5, 60_000, where),
        atMost(positive(number(n, "max_update_norm", 1000.0, where), where + ": max_update_norm"), 1e6,
            where + ": max_update_norm"),
        (long) positive(number(n, "max_samples", 1e9, where), where + ": max_samples"), maxSiloShare(n, where),
        strategy, participation, n.has("initial_model") ? ConfigFields.text(n, "initial_model", where) : null);
  }

  /**
   * The job's strategy: {@code "strategy": "fedavg"} or {@code {"name": "fedadam", "server_lr": 0.01, ...}};
   * FedAvg when absent.
   */
  private static Strategy strategy(JsonNode node, String where) {
    if (node == null) {
      return Strategies.create(Strategies.DEFAULT, Map.of());
    }
    String at = where + ": strategy";
    try {
      if (node.isTextual()) {
        return Strategies.create(node.asText(), Map.of());
      }
      if (!node.isObject()) {
        throw new IllegalArgumentException("must be a name or an object with a name and parameters, was " + node);
      }
      String name = ConfigFields.text(node, "name", at);
      Map<String, Double> params = new LinkedHashMap<>();
      var fields = node.fields();
      while (fields.hasNext()) {
        var f = fields.next();
        if (f.getKey().equals("name")) {
          continue;
        }
        if (!f.getValue().isNumber()) {
          throw new IllegalArgumentException(f.getKey() + " must be a number, was " + f.getValue());
        }
        params.put(f.getKey(), f.getValue().asDouble());
      }
      return Strategies.create(name, params);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(e.getMessage().startsWith(at) ? e.getMessage() : at + ": " + e.getMessage(), e);
    }
  }

  private static int whole(JsonNode n, String field, int fallback, int min, int max, String where) {
    JsonNode v = n.get(field);
    if (v == null) {
      return fallback;
    }
    if (!v.isIntegralNumber() || !v.canConvertToInt() || v.asInt() < min || v.asInt() > max) {
      throw new IllegalArgumentException(where + ": " + field + " must be a whole number in [" + min + ", " + max
          + "], was " + v);
    }
    return v.asInt();
  }

  private static long longValue(JsonNode n, String field, long fallback, String where) {
    JsonNode v = n.get(field);
    if (v == null) {
      return fallback;
    }
    if (!v.isIntegralNumber() || !v.canConvertToLong()) {
      throw new IllegalArgumentException(where + ": " + field + " must be a whole number, was " + v);
    }
    return v.asLong();
  }

  private static double number(JsonNode n, String field, double fallback, String where) {
    JsonNode v = n.get(field);
    if (v == null) {
      return fallback;
    }
    if (!v.isNumber() || !Double.isFinite(v.asDouble())) {
      throw new IllegalArgumentException(where + ": " + field + " must be a number, was " + v);
    }
    return v.asDouble();
  }

  /** A silo's keys: {@code public_key} (no limits) and/or {@code public_keys} (each with its validity). */
  private static List<SiloKey> keys(JsonNode s, String where) {
    List<SiloKey> keys = new ArrayList<>();
    if (s.has("public_key")) {
      keys.add(new SiloKey(Keys.publicKey(ConfigFields.text(s, "public_key", where), where + " public_key"), null, null));
    }
    if (s.has("public_keys")) {
      int i = 0;
      for (JsonNode k : ConfigFields.array(s, "public_keys", where)) {
        String at = where + " public_keys[" + i++ + "]";
        if (!k.isObject()) {
          throw new IllegalArgumentException(at + " is not an object");
        }
        ConfigJson.onlyFields(k, KEY_FIELDS, at);
        SiloKey key = new SiloKey(Keys.publicKey(ConfigFields.text(k, "public_key", at), at + " public_key"),
            instant(k, "not_before", at), instant(k, "not_after", at));
        if (key.notBefore() != null && key.notAfter() != null && key.notAfter().isBefore(key.notBefore())) {
          throw new IllegalArgumentException(at + ": not_after " + key.notAfter() + " is before not_before " + key.notBefore());
        }
        keys.add(key);
      }
    }
    if (keys.isEmpty()) {
      throw new IllegalArgumentException(where + ": public_key or public_keys is missing");
    }
    if (keys.stream().map(SiloKey::keyId).distinct().count() < keys.size()) {
      throw new IllegalArgumentException(where + ": a public key is listed twice");
    }
    return keys;
  }

  private static Instant instant(JsonNode k, String field, String where) {
    if (!k.has(field)) {
      return null;
    }
    String text = ConfigFields.text(k, field, where);
    try {
      return OffsetDateTime.parse(text).toInstant();
    } catch (DateTimeParseException e) {
      throw new IllegalArgumentException(where + ": " + field + " '" + text + "' is not an ISO-8601 date-time with"
          + " an offset, such as 2025-07-01T00:00:00Z");
    }
  }

  /** The silo's declared sample count, or 0 if it declared none. */
  private static long declaredSamples(JsonNode s, String where) {
    JsonNode v = s.get("samples");
    if (v == null) {
      return 0;
    }
    if (!v.isIntegralNumber() || !v.canConvertToLong() || v.asLong() < 1) {
      throw new IllegalArgumentException(where + ": samples must be an integer >= 1 (the silo's declared sample"
          + " count), was " + v);
    }
    return v.asLong();
  }

  private static double maxSiloShare(JsonNode n, String where) {
    JsonNode v = n.get("max_silo_share");
    if (v == null) {
      return 1.0;
    }
    if (!v.isNumber() || !(v.asDouble() > 0 && v.asDouble() <= 1)) {
      throw new IllegalArgumentException(where + ": max_silo_share must be a number in (0, 1], was " + v);
    }
    return v.asDouble();
  }

  private static double atMost(double v, double max, String what) {
    if (v > max) {
      throw new IllegalArgumentException(what + " must be at most " + max + ", was " + v);
    }
    return v;
  }

  private static double positive(double v, String what) {
    if (!(v > 0) || !Double.isFinite(v)) {
      throw new IllegalArgumentException(what + " must be a finite number > 0, was " + v);
    }
    return v;
  }
}
