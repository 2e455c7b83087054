package org.fedbeam.pipelines.protocol;

import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PublicKey;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.fedbeam.model.ModelSpec;
import org.fedbeam.model.TrainConfig;
import org.fedbeam.model.strategy.Participation;
import org.fedbeam.model.strategy.Strategy;

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
 *   "fraction": 1.0,                                                optional: the share of silos asked each round
 *   "preprocessing": "/srv/orchestrator/preprocessing.json"         optional: for silos holding prepared tables
 *                                                                   (JobPreprocessing)
 * }
 * </pre>
 *
 * <p>The file is read strictly: a field not listed here, or a value of the wrong type or out of
 * range, is an error naming the field; one reading reports every bad field ({@link JobFileException}).
 * {@code //} and {@code /* ... *}{@code /} comments are allowed. docs/job.md documents every field, and
 * {@code job.schema.json} next to this class is its JSON Schema. {@code min_silos} (the quorum) defaults to the silos asked
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
    double maxSiloShare, Strategy strategy, Participation participation, String initialModel, String preprocessing) {
  /** Every field a job file may have; any other is an error naming it. */
  public static final Set<String> FIELDS = Set.of("job_id", "submitter_key", "output", "model", "train", "rounds", "min_silos",
      "round_timeout_s", "grace_s", "max_attempts", "seed", "patience", "tolerance", "poll_ms", "max_update_norm",
      "max_samples", "max_silo_share", "silos", "evaluation", "strategy", "fraction", "initial_model",
      "features", "scaling", "class_labels", // these three: JobBundleFields
      "preprocessing", // JobPreprocessing
      "statistics"); // fedbeam stats --job (StatsJob)

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

  /**
   * The reader of job files: strict like {@link Signed#JSON} (a duplicate key or trailing data is
   * refused), and it also takes {@code //} and {@code /* *}{@code /} comments, which
   * {@code fedbeam job new} writes to explain each field.
   */
  public static final ObjectMapper JSON = JsonMapper.builder()
      .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
      .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
      .enable(JsonReadFeature.ALLOW_JAVA_COMMENTS)
      .build();

  /** The largest job file read (thousands of silos with their keys fit in it). */
  static final int MAX_FILE_BYTES = 4 << 20;

  /** Parses a job file's JSON (comments allowed); an unreadable file or bad JSON is an error naming the file. */
  public static JsonNode tree(Path file) {
    JsonNode n;
    try {
      n = JSON.readTree(ConfigFields.readBounded(file, MAX_FILE_BYTES, "job file"));
    } catch (IOException e) {
      throw new IllegalArgumentException("cannot read the job file " + file + ": " + e.getMessage(), e);
    }
    if (n == null || !n.isObject()) {
      throw new IllegalArgumentException("job file " + file + " is not a JSON object");
    }
    return n;
  }

  /**
   * Reads and checks a job file strictly: a field the job file does not have, a value of the wrong
   * type or out of range is an error naming the file and the field. One reading finds every bad
   * field: a {@link JobFileException} lists them all.
   *
   * @throws JobFileException for bad fields; an {@link IllegalArgumentException} if the file cannot be read or
   *     is not a JSON object
   */
  public static JobSpec read(Path file) {
    JsonNode n = tree(file);
    String where = "job file " + file;
    Problems p = new Problems();
    unknownFields(n, FIELDS, where, p);
    String jobId = p.get(() -> Messages.requireId(ConfigFields.text(n, "job_id", where), where + ": job_id"), null);
    Path submitterKey = p.get(() -> Path.of(ConfigFields.text(n, "submitter_key", where)), null);
    String output = p.get(() -> ConfigFields.text(n, "output", where), null);
    ModelSpec spec = JobSections.model(n, where, p);
    if (spec != null) {
      JobSections.bundleFields(n, spec, where, p); // checked now, used when the job ends
    }
    TrainConfig config = JobSections.train(n, where, p);
    List<Silo> silos = JobSilos.read(n.get("silos"), where, p);
    int siloCount = n.path("silos").isArray() ? n.get("silos").size() : 0;
    Map<String, String> evaluation = p.get(() -> evaluation(n.get("evaluation"), where), Map.of());
    int rounds = p.get(() -> {
      int r = whole(n, "rounds", -1, 1, Integer.MAX_VALUE, where);
      if (r < 1) {
        throw new IllegalArgumentException(where + ": rounds is missing; it must be an integer >= 1");
      }
      return r;
    }, 1);
    Strategy strategy = JobSections.strategy(n.get("strategy"), where, p);
    Double fraction = p.get(() -> {
      double f = number(n, "fraction", 1.0, where);
      if (!(f > 0 && f <= 1)) {
        throw new IllegalArgumentException(where + ": fraction must be in (0, 1], was " + n.get("fraction"));
      }
      return f;
    }, null);
    Integer minSilos = null;
    Participation participation = null;
    if (fraction != null && siloCount > 0) {
      int asked = new Participation(fraction, 1).perRound(siloCount);
      minSilos = p.get(() -> whole(n, "min_silos", asked, 1, siloCount, where), null);
      if (minSilos != null) {
        participation = new Participation(fraction, minSilos);
        quorum(participation, strategy, siloCount, where, p);
      }
    }
    double timeout = p.get(() -> atLeast(n, "round_timeout_s", 300, false, where), 1.0);
    double grace = p.get(() -> atLeast(n, "grace_s", 5, true, where), 0.0);
    double tolerance = p.get(() -> atLeast(n, "tolerance", 0, true, where), 0.0);
    int maxAttempts = p.get(() -> whole(n, "max_attempts", 3, 1, 1000, where), 1);
    long seed = p.get(() -> longValue(n, "seed", 42, where), 0L);
    int patience = p.get(() -> whole(n, "patience", rounds, 1, Integer.MAX_VALUE, where), 1);
    int pollMillis = p.get(() -> whole(n, "poll_ms", 100, 5, 60_000, where), 100);
    double maxUpdateNorm = p.get(() -> atMost(positive(number(n, "max_update_norm", 1000.0, where),
        where + ": max_update_norm"), 1e6, where + ": max_update_norm"), 1.0);
    long maxSamples = p.get(() -> (long) positive(number(n, "max_samples", 1e9, where), where + ": max_samples"), 1L);
    double maxSiloShare = p.get(() -> maxSiloShare(n, where), 1.0);
    String initialModel = p.get(() -> n.has("initial_model") ? ConfigFields.text(n, "initial_model", where) : null, null);
    String preprocessing = p.get(() -> n.has("preprocessing") ? ConfigFields.text(n, "preprocessing", where) : null, null);
    if (preprocessing != null && spec != null) {
      p.check(() -> JobPreprocessing.checkBundleFields(n, JobPreprocessing.load(preprocessing, spec, where), where));
    }
    if (n.has("statistics")) {
      p.check(() -> StatsJob.query(n.get("statistics"), where));
    }
    p.throwIfAny();
    return new JobSpec(jobId, submitterKey, output, spec, config, rounds, minSilos, (long) (timeout * 1000),
        (long) (grace * 1000), maxAttempts, seed, patience, tolerance, List.copyOf(silos), Map.copyOf(evaluation),
        pollMillis, maxUpdateNorm, maxSamples, maxSiloShare, strategy, participation, initialModel, preprocessing);
  }

  /** Records each field of {@code n} that is not in {@code known}, naming it and {@code where}. */
  static void unknownFields(JsonNode n, Set<String> known, String where, Problems problems) {
    for (var names = n.fieldNames(); names.hasNext();) {
      String name = names.next();
      if (!known.contains(name)) {
        problems.add(where + " has an unknown field \"" + name + "\"; known: " + String.join(", ", new TreeSet<>(known)));
      }
    }
  }

  /** The quorum against the silos and the strategy: a round closing with min_silos updates must be usable. */
  private static void quorum(Participation participation, Strategy strategy, int silos, String where, Problems p) {
    p.check(() -> {
      try {
        participation.validate(silos);
        if (strategy == null) {
          return;
        }
        strategy.validate(participation.perRound(silos));
        if (participation.minSilos() < strategy.minimumUpdates()) {
          throw new IllegalArgumentException("min_silos " + participation.minSilos() + " is below the "
              + strategy.minimumUpdates() + " updates strategy " + strategy.name() + " needs in a round "
              + strategy.parameters() + "; a round closing with fewer could not be aggregated");
        }
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(where + ": " + e.getMessage(), e);
      }
    });
  }

  private static Map<String, String> evaluation(JsonNode evalNode, String where) {
    Map<String, String> evaluation = new LinkedHashMap<>();
    if (evalNode != null) {
      if (!evalNode.isObject()) {
        throw new IllegalArgumentException(where + ": evaluation must be an object of name: data set URI");
      }
      evalNode.fields().forEachRemaining(f -> evaluation.put(f.getKey(),
          ConfigFields.text(evalNode, f.getKey(), where + ": evaluation")));
    }
    return evaluation;
  }

  /** A number {@code > 0} (or {@code >= 0} if {@code zeroAllowed}), {@code fallback} if absent. */
  static double atLeast(JsonNode n, String field, double fallback, boolean zeroAllowed, String where) {
    double v = number(n, field, fallback, where);
    if (zeroAllowed ? !(v >= 0) : !(v > 0)) {
      throw new IllegalArgumentException(where + ": " + field + " must be " + (zeroAllowed ? ">= 0" : "> 0") + ", was "
          + n.get(field));
    }
    return v;
  }

  static int whole(JsonNode n, String field, int fallback, int min, int max, String where) {
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
