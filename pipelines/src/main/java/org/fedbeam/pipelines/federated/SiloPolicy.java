package org.fedbeam.pipelines.federated;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PublicKey;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.fedbeam.model.ModelKind;
import org.fedbeam.pipelines.protocol.ConfigFields;
import org.fedbeam.pipelines.protocol.Keys;
import org.fedbeam.pipelines.protocol.Messages;
import org.fedbeam.pipelines.protocol.Signed;

/**
 * The data provider's policy for its silo, a JSON file the provider owns. The agent refuses
 * anything outside it.
 *
 * <pre>
 * {
 *   "silo": "hospital-a",                      this silo's id
 *   "data": "/srv/silo/train.fbds",            the private training shard (URI)
 *   "exchange": "/srv/exchange/hospital-a",    the only place shared with the orchestrator (URI)
 *   "state": "/srv/silo/state",                private: audit log and per-job state (URI)
 *   "key": "/srv/silo/key",                    private: the silo's key pair folder
 *   "trusted_submitters": [{"name": "alice", "public_key": "MCow..."}],
 *   "approved_pipelines": [{"name": "fedbeam-silo-train", "version": "1", "sha256": "..."}],
 *   "approved_models": ["mlp", "logreg"],
 *   "max_parameters": 5000000,
 *   "min_samples": 100,
 *   "max_rounds_per_job": 100,
 *   "allowed_metadata": ["samples", "train_loss", "train_ms", "epsilon_spent"],
 *   "max_update_norm": 100.0,
 *   "poll_ms": 200,
 *   "max_attempts_per_round": 3,               optional, these are the defaults
 *   "max_deadline_s": 3600,                    how far ahead a request's deadline may be
 *   "min_batch_size": 16,                      optional bounds on every hyperparameter a request
 *   "max_batch_size": 1024,                    sets, and quotas ({@link TrainingBounds}); these
 *   "max_learning_rate": 0.1,                  defaults admit the demo's job (MLP 784-128-10,
 *   "max_momentum": 0.9,                       batch 64, learning rate 0.05, momentum 0.9,
 *   "max_weight_decay": 0.01,                  1 epoch)
 *   "max_proximal_mu": 1.0,                    FedProx's mu (0 refuses FedProx)
 *   "max_epochs": 5,
 *   "max_hidden_layers": 2,
 *   "max_hidden_width": 256,
 *   "max_requests_per_job": 100,               trainings per job (a retry's cached answer is free)
 *   "max_requests_per_day": 500,               trainings per UTC day, over all jobs
 *   "differential_privacy": {                  optional ({@link PrivacyPolicy}); without it, these
 *     "required": true,                        defaults: DP-SGD required, a lifetime budget of
 *     "max_epsilon": 8.0,                      (8, 1e-5) over all jobs and submitters; opt out
 *     "delta": 1e-5,                           with {"required": false}
 *     "max_clip": 10.0,
 *     "min_noise_multiplier": 1.0
 *   },
 *   "declared_samples": 120,                   the sample count the silo declares (default: its shard's)
 *   "metadata_rules": {"train_loss": {"min": 0, "max": 1e6, "significant_digits": 4},
 *                      "train_ms": {"min": 0, "max": 604800000, "significant_digits": 0}},
 *   "revoked_keys": "/srv/silo/revoked-keys.json",  default: revoked-keys.json beside the policy
 *   "audit_rotate_bytes": 1048576,
 *   "preprocessing": {                         optional ({@link PreprocessingPolicy}), for a silo whose data
 *     "max_columns": 1024,                     is a prepared table: these are the defaults. A request's
 *     "max_vocabulary": 1000,                  preprocessing may name at most max_columns columns and
 *     "min_category_count": 10,                max_vocabulary values per categorical column; category
 *     "max_abs_input": 1000                    values and classes held in fewer than min_category_count
 *   }                                          records are folded into "other" (classes: dropped), and
 *                                              every model input is clamped to +-max_abs_input
 *   "statistics": {"allowed": true, "min_cell_count": 10, ...}   optional ({@link StatsPolicy}): federated
 *                                                statistics; without it the silo answers none
 * }
 * </pre>
 *
 * <p>The silo trains with its own randomness ({@link org.fedbeam.model.Seeds#fromSecret} of the
 * secret in its key folder, the job and the round), trains each global model at most once per
 * job, and charges every DP training to its lifetime privacy ledger before it runs
 * ({@link PrivacyLedger}). A noisy statistics release is charged to the same ledger
 * ({@link StatsAnswerer}); the stats pipeline needs its own entry in {@code approved_pipelines}.

 * <p>A trusted submitter may carry {@code "not_before"} and {@code "not_after"} (ISO-8601): see
 * {@link TrustedKeys}. Every field but {@code samples} that {@code metadata_rules} leaves out keeps
 * its default rule ({@link org.fedbeam.transforms.MetadataRules#DEFAULTS}); {@code samples} is an
 * integer from {@code min_samples} to {@code declared_samples}.
 */
public record SiloPolicy(String silo, String data, String exchange, String state, Path keyDir,
    Map<String, PublicKey> trustedSubmitters, Map<String, String> submitterNames,
    List<Messages.PipelineRef> approvedPipelines, Set<ModelKind> approvedModels, long maxParameters, long minSamples,
    int maxRoundsPerJob, Set<String> allowedMetadata, double maxUpdateNorm, long pollMillis, int maxAttemptsPerRound,
    long maxDeadlineSeconds, TrainingBounds training, PrivacyPolicy privacy,
    // issue 10 parts 6 and 7 (exchange and keys)
    TrustedKeys trustedKeys, Path revocationList, org.fedbeam.transforms.MetadataRules metadataRules,
    long declaredSamples, long auditRotateBytes,
    // issue 13: bounds on the preprocessing a request brings to a prepared table (PreprocessingPolicy)
    org.fedbeam.transforms.TablePreparation.Limits preprocessing,
    // issue 13 part 2 (federated statistics)
    StatsPolicy statistics) {

  /** The SM fields an update may carry at most. */
  public static final Set<String> KNOWN_METADATA = org.fedbeam.transforms.MetadataRules.DEFAULTS.keySet();

  /** Reads and validates a policy file; errors name the file and the field. */
  public static SiloPolicy read(Path file) {
    JsonNode n;
    try {
      n = Signed.JSON.readTree(Files.readAllBytes(file));
    } catch (IOException e) {
      throw new IllegalArgumentException("cannot read the silo policy " + file + ": " + e.getMessage(), e);
    }
    if (n == null || !n.isObject()) {
      throw new IllegalArgumentException("silo policy " + file + " is not a JSON object");
    }
    String where = "silo policy " + file;
    Map<String, PublicKey> trusted = new LinkedHashMap<>();
    Map<String, String> names = new LinkedHashMap<>();
    Map<String, TrustedKeys.Entry> windows = new LinkedHashMap<>();
    for (JsonNode s : ConfigFields.array(n, "trusted_submitters", where)) {
      String name = ConfigFields.text(s, "name", where + " trusted_submitters");
      PublicKey key = Keys.publicKey(ConfigFields.text(s, "public_key", where + " trusted_submitters"),
          where + ": trusted_submitters " + name);
      trusted.put(Keys.keyId(key), key);
      names.put(Keys.keyId(key), name);
      String entry = where + ": trusted_submitters " + name;
      java.time.Instant notBefore = TrustedKeys.instant(s, "not_before", entry);
      java.time.Instant notAfter = TrustedKeys.instant(s, "not_after", entry);
      if (notBefore != null && notAfter != null && notAfter.isBefore(notBefore)) {
        throw new IllegalArgumentException(entry + ": not_after " + notAfter + " is before not_before " + notBefore);
      }
      windows.put(Keys.keyId(key), new TrustedKeys.Entry(name, key, notBefore, notAfter));
    }
    List<Messages.PipelineRef> pipelines = new ArrayList<>();
    for (JsonNode p : ConfigFields.array(n, "approved_pipelines", where)) {
      String sha = ConfigFields.text(p, "sha256", where + " approved_pipelines");
      if (!sha.matches("[0-9a-f]{64}")) {
        throw new IllegalArgumentException(where + ": approved_pipelines sha256 '" + sha + "' is not 64 lower-case hex digits");
      }
      pipelines.add(new Messages.PipelineRef(ConfigFields.text(p, "name", where + " approved_pipelines"),
          ConfigFields.text(p, "version", where + " approved_pipelines"), sha));
    }
    Set<ModelKind> models = new LinkedHashSet<>();
    for (JsonNode m : ConfigFields.array(n, "approved_models", where)) {
      try {
        models.add(ModelKind.valueOf(m.asText().toUpperCase(java.util.Locale.ROOT)));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(where + ": approved_models has unknown kind '" + m.asText() + "'");
      }
    }
    Set<String> metadata = new LinkedHashSet<>();
    for (JsonNode f : ConfigFields.array(n, "allowed_metadata", where)) {
      if (!KNOWN_METADATA.contains(f.asText())) {
        throw new IllegalArgumentException(where + ": allowed_metadata field '" + f.asText() + "' is not one of "
            + KNOWN_METADATA);
      }
      metadata.add(f.asText());
    }
    if (!metadata.contains("samples")) {
      throw new IllegalArgumentException(where + ": allowed_metadata must include 'samples' (the update's weight)");
    }
    double maxNorm = n.path("max_update_norm").asDouble(Double.NaN);
    if (!(maxNorm > 0) || !Double.isFinite(maxNorm)) {
      throw new IllegalArgumentException(where + ": max_update_norm must be a finite number > 0");
    }
    // issue 10 parts 6 and 7: revocation, metadata rules, declared samples, audit rotation
    Path revocation = n.has("revoked_keys") ? Path.of(ConfigFields.text(n, "revoked_keys", where))
        : file.toAbsolutePath().resolveSibling(TrustedKeys.DEFAULT_REVOCATION_FILE);
    TrustedKeys trustedKeys = new TrustedKeys(windows, TrustedKeys.readRevoked(revocation));
    long minSamples = ConfigFields.positiveLong(n, "min_samples", where);
    long declared = n.has("declared_samples") ? ConfigFields.positiveLong(n, "declared_samples", where) : 0;
    if (declared > 0 && declared < minSamples) {
      throw new IllegalArgumentException(where + ": declared_samples " + declared + " is below min_samples " + minSamples);
    }
    org.fedbeam.transforms.MetadataRules rules = metadataRules(n, where);
    long auditRotate = n.has("audit_rotate_bytes") ? ConfigFields.positiveLong(n, "audit_rotate_bytes", where)
        : Audit.DEFAULT_ROTATE_BYTES;
    if (auditRotate < 1024) {
      throw new IllegalArgumentException(where + ": audit_rotate_bytes must be >= 1024, was " + auditRotate);
    }
    return new SiloPolicy(Messages.requireId(ConfigFields.text(n, "silo", where), where + ": silo"), ConfigFields.text(n, "data", where),
        ConfigFields.text(n, "exchange", where), ConfigFields.text(n, "state", where), Path.of(ConfigFields.text(n, "key", where)), Map.copyOf(trusted),
        Map.copyOf(names), List.copyOf(pipelines), Set.copyOf(models), ConfigFields.positiveLong(n, "max_parameters", where),
        minSamples, (int) ConfigFields.positiveLong(n, "max_rounds_per_job", where), Set.copyOf(metadata),
        maxNorm, n.has("poll_ms") ? ConfigFields.positiveLong(n, "poll_ms", where) : 200,
        n.has("max_attempts_per_round") ? (int) ConfigFields.positiveLong(n, "max_attempts_per_round", where) : 3,
        n.has("max_deadline_s") ? ConfigFields.positiveLong(n, "max_deadline_s", where) : 3600,
        TrainingBounds.parse(n, where), PrivacyPolicy.parse(n, where),
        trustedKeys, revocation, rules, declared, auditRotate, PreprocessingPolicy.parse(n, where),
        StatsPolicy.parse(n, where));
  }

  /** The policy's {@code metadata_rules} over the defaults; errors name the field. */
  private static org.fedbeam.transforms.MetadataRules metadataRules(JsonNode n, String where) {
    org.fedbeam.transforms.MetadataRules rules = org.fedbeam.transforms.MetadataRules.defaults();
    JsonNode given = n.get("metadata_rules");
    if (given == null) {
      return rules;
    }
    if (!given.isObject()) {
      throw new IllegalArgumentException(where + ": metadata_rules must be an object of field -> rule");
    }
    for (var it = given.fields(); it.hasNext(); ) {
      var f = it.next();
      String at = where + ": metadata_rules " + f.getKey();
      if (!KNOWN_METADATA.contains(f.getKey()) || f.getKey().equals("samples")) {
        throw new IllegalArgumentException(at + " is not one of " + KNOWN_METADATA + " but samples (which"
            + " min_samples and declared_samples bound)");
      }
      JsonNode r = f.getValue();
      if (!r.path("min").isNumber() || !r.path("max").isNumber() || !r.path("significant_digits").isIntegralNumber()) {
        throw new IllegalArgumentException(at + " must have numbers min and max and an integer significant_digits");
      }
      try {
        rules = rules.with(f.getKey(), new org.fedbeam.transforms.MetadataRules.Rule(r.get("min").asDouble(),
            r.get("max").asDouble(), r.get("significant_digits").asInt()));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(at + ": " + e.getMessage(), e);
      }
    }
    return rules;
  }
}
