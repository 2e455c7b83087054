package org.fedbeam.pipelines.federated;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PublicKey;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.fedbeam.model.ModelKind;
import org.fedbeam.model.ModelSpec;
import org.fedbeam.model.TrainConfig;

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
 *   "train": {"epochs": 1, "batch_size": 64, "learning_rate": 0.05, "momentum": 0.9, "weight_decay": 0},
 *   "rounds": 10, "min_silos": 2, "round_timeout_s": 300, "grace_s": 5, "max_attempts": 3, "seed": 42,
 *   "patience": 5, "tolerance": 0.001, "poll_ms": 100,              how often the exchange is checked for answers
 *   "max_update_norm": 1000.0, "max_samples": 1e9,                  an update further from the global model, or
 *                                                                   claiming more samples, is invalid
 *   "silos": [{"id": "hospital-a", "exchange": "azfs://acct/exchange-a", "public_key": "MCow..."}],
 *   "evaluation": {"validation": "/srv/orchestrator/validation.fbds", "test": "/srv/orchestrator/test.fbds"}
 * }
 * </pre>
 */
public record JobSpec(String jobId, Path submitterKey, String output, ModelSpec spec, TrainConfig config, int rounds,
    int minSilos, long roundTimeoutMillis, long graceMillis, int maxAttempts, long seed, int patience, double tolerance,
    List<Silo> silos, Map<String, String> evaluation, long pollMillis, double maxUpdateNorm, long maxSamples) {

  /** A silo as the orchestrator knows it. */
  public record Silo(String id, String exchange, PublicKey publicKey) {}

  /** Reads and validates a job file; errors name the file and the field. */
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
    ModelSpec spec;
    TrainConfig config;
    try {
      JsonNode model = n.path("model");
      List<Integer> layers = new ArrayList<>();
      model.path("layers").forEach(l -> layers.add(l.asInt()));
      spec = new ModelSpec(ModelKind.valueOf(ConfigFields.text(model, "kind", where + " model").toUpperCase(java.util.Locale.ROOT)),
          layers);
      JsonNode t = n.path("train");
      config = new TrainConfig(t.path("epochs").asInt(1), t.path("batch_size").asInt(64),
          t.path("learning_rate").asDouble(0.05), t.path("momentum").asDouble(0.9), t.path("weight_decay").asDouble(0));
      if (t.has("dp")) { // DP-SGD: {"clip": C, "noise_multiplier": sigma}; a silo may require it
        config = config.withPrivacy(new org.fedbeam.model.DpSgd(t.path("dp").path("clip").asDouble(Double.NaN),
            t.path("dp").path("noise_multiplier").asDouble(Double.NaN)));
      }
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(where + ": model or train: " + e.getMessage(), e);
    }
    List<Silo> silos = new ArrayList<>();
    JsonNode list = n.get("silos");
    if (list == null || !list.isArray() || list.isEmpty()) {
      throw new IllegalArgumentException(where + ": silos is missing or empty");
    }
    for (JsonNode s : list) {
      String id = Messages.requireId(ConfigFields.text(s, "id", where + " silos"), where + ": silo id");
      if (silos.stream().anyMatch(x -> x.id().equals(id))) {
        throw new IllegalArgumentException(where + ": silo " + id + " is listed twice");
      }
      silos.add(new Silo(id, ConfigFields.text(s, "exchange", where + " silo " + id),
          Keys.publicKey(ConfigFields.text(s, "public_key", where + " silo " + id), where + ": silo " + id + " public_key")));
    }
    Map<String, String> evaluation = new LinkedHashMap<>();
    n.path("evaluation").fields().forEachRemaining(f -> evaluation.put(f.getKey(), f.getValue().asText()));
    int minSilos = n.path("min_silos").asInt(silos.size());
    if (minSilos < 1 || minSilos > silos.size()) {
      throw new IllegalArgumentException(where + ": min_silos must be between 1 and the " + silos.size() + " silos, was "
          + minSilos);
    }
    int rounds = n.path("rounds").asInt(0);
    if (rounds < 1) {
      throw new IllegalArgumentException(where + ": rounds must be an integer >= 1");
    }
    double timeout = n.path("round_timeout_s").asDouble(300);
    if (!(timeout > 0)) {
      throw new IllegalArgumentException(where + ": round_timeout_s must be > 0");
    }
    return new JobSpec(Messages.requireId(ConfigFields.text(n, "job_id", where), where + ": job_id"),
        Path.of(ConfigFields.text(n, "submitter_key", where)), ConfigFields.text(n, "output", where), spec, config, rounds, minSilos,
        (long) (timeout * 1000), (long) (n.path("grace_s").asDouble(5) * 1000), Math.max(1, n.path("max_attempts").asInt(3)),
        n.path("seed").asLong(42), Math.max(1, n.path("patience").asInt(rounds)), n.path("tolerance").asDouble(0),
        List.copyOf(silos), Map.copyOf(evaluation), Math.max(5, n.path("poll_ms").asLong(100)),
        positive(n.path("max_update_norm").asDouble(1000.0), where + ": max_update_norm"),
        (long) positive(n.path("max_samples").asDouble(1e9), where + ": max_samples"));
  }

  private static double positive(double v, String what) {
    if (!(v > 0) || !Double.isFinite(v)) {
      throw new IllegalArgumentException(what + " must be a finite number > 0, was " + v);
    }
    return v;
  }
}
