package org.fedbeam.pipelines.federated;

import com.fasterxml.jackson.databind.JsonNode;
import org.fedbeam.model.DpSgd;
import org.fedbeam.pipelines.protocol.RefusalReason;
import org.fedbeam.pipelines.protocol.Rejected;

/**
 * The silo policy's {@code differential_privacy} section: whether every training must use DP-SGD,
 * the silo's LIFETIME budget (over all jobs and all submitters: a new job id does not reset it),
 * and bounds on the DP settings a request may ask for.
 *
 * <pre>
 *   "differential_privacy": {
 *     "required": true,               a request without train.dp is refused
 *     "max_epsilon": 8.0,             the lifetime budget, at
 *     "delta": 1e-5,
 *     "max_clip": 10.0,               a request's per-example clip norm C at most this
 *     "min_noise_multiplier": 1.0     and its noise multiplier sigma at least this
 *   }
 * </pre>
 *
 * When the section is absent, these are the values: DP is required, because nothing that leaves
 * a silo may single out a record. A provider opts out explicitly with
 * {@code "differential_privacy": {"required": false}}; a request that still carries DP settings is
 * then held to the same bounds and budget, and one without them trains without any privacy
 * guarantee (the privacy ledger counts those trainings).
 */
public record PrivacyPolicy(boolean required, double maxEpsilon, double delta, double maxClip,
    double minNoiseMultiplier) {

  /** The policy when the silo's policy has no {@code differential_privacy} section. */
  public static final PrivacyPolicy DEFAULTS = new PrivacyPolicy(true, 8.0, 1e-5, 10.0, 1.0);

  public PrivacyPolicy {
    if (!(maxEpsilon > 0) || !Double.isFinite(maxEpsilon)) {
      throw new IllegalArgumentException("differential_privacy max_epsilon must be a finite number > 0, was " + maxEpsilon);
    }
    if (!(delta > 0 && delta < 1)) {
      throw new IllegalArgumentException("differential_privacy delta must be in (0, 1), was " + delta);
    }
    if (!(maxClip > 0) || !Double.isFinite(maxClip)) {
      throw new IllegalArgumentException("differential_privacy max_clip must be a finite number > 0, was " + maxClip);
    }
    if (!(minNoiseMultiplier > 0) || !Double.isFinite(minNoiseMultiplier)) {
      throw new IllegalArgumentException("differential_privacy min_noise_multiplier must be a finite number > 0, was "
          + minNoiseMultiplier);
    }
  }

  /** The section {@code differential_privacy} of policy {@code n}, or {@link #DEFAULTS} without one. */
  static PrivacyPolicy parse(JsonNode n, String where) {
    if (!n.has("differential_privacy")) {
      return DEFAULTS;
    }
    JsonNode s = n.get("differential_privacy");
    String at = where + ": differential_privacy";
    if (!s.isObject()) {
      throw new IllegalArgumentException(at + " must be an object, e.g. {\"required\": false}");
    }
    s.fieldNames().forEachRemaining(f -> {
      if (!java.util.Set.of("required", "max_epsilon", "delta", "max_clip", "min_noise_multiplier").contains(f)) {
        throw new IllegalArgumentException(at + ": unknown field '" + f + "'");
      }
    });
    JsonNode required = s.get("required");
    if (required == null || !required.isBoolean()) {
      throw new IllegalArgumentException(at + ": required must be true or false (it has no default in a written section)");
    }
    PrivacyPolicy d = DEFAULTS;
    try {
      return new PrivacyPolicy(required.asBoolean(), number(s, "max_epsilon", d.maxEpsilon, at),
          number(s, "delta", d.delta, at), number(s, "max_clip", d.maxClip, at),
          number(s, "min_noise_multiplier", d.minNoiseMultiplier, at));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(e.getMessage().startsWith(where) ? e.getMessage() : where + ": " + e.getMessage(), e);
    }
  }

  /**
   * Refuses ({@link RefusalReason#PRIVACY_BUDGET}) DP settings the policy does not allow: none
   * when DP is required, a clip above {@code max_clip}, or noise below {@code min_noise_multiplier}.
   */
  void check(DpSgd dp) throws Rejected {
    if (dp == null) {
      if (required) {
        throw new Rejected(RefusalReason.PRIVACY_BUDGET, "the request has no DP settings (train.dp) and this silo's"
            + " policy requires differential privacy");
      }
      return;
    }
    if (dp.clip() > maxClip) {
      throw new Rejected(RefusalReason.PRIVACY_BUDGET, "dp clip " + dp.clip() + " > max_clip " + maxClip);
    }
    if (dp.noiseMultiplier() < minNoiseMultiplier) {
      throw new Rejected(RefusalReason.PRIVACY_BUDGET, "dp noise_multiplier " + dp.noiseMultiplier()
          + " < min_noise_multiplier " + minNoiseMultiplier);
    }
  }

  private static double number(JsonNode s, String field, double fallback, String where) {
    if (!s.has(field)) {
      return fallback;
    }
    JsonNode v = s.get(field);
    if (!v.isNumber() || !Double.isFinite(v.asDouble())) {
      throw new IllegalArgumentException(where + ": " + field + " must be a finite number, was " + v);
    }
    return v.asDouble();
  }
}
