package org.fedbeam.pipelines.federated;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.fedbeam.model.TrainConfig;
import org.fedbeam.model.privacy.RdpAccountant;
import org.fedbeam.pipelines.protocol.RefusalReason;
import org.fedbeam.pipelines.protocol.Rejected;
import org.fedbeam.pipelines.protocol.Signed;
import org.fedbeam.pipelines.rounds.RoundRecords;
import org.fedbeam.transforms.Artifacts;

/**
 * The silo's lifetime privacy spend, in its private state ({@code state/privacy-ledger.json}):
 * the R&eacute;nyi DP of every DP-SGD training it ever ran, over all jobs and submitters, at the
 * accountant's fixed orders, and a line per training. A training is charged, and the ledger
 * rewritten atomically, BEFORE it runs: a crash after the charge costs budget, never gives a free
 * training. Kept as RDP (not epsilon), so a change of the policy's delta is converted exactly.
 *
 * <p>A training without DP (only when the policy says {@code "required": false}) has no finite
 * epsilon; it is counted in {@code non_private_trainings} and nothing is added to the RDP.
 *
 * <p>A ledger that cannot be read, or was written for other accountant orders, fails the request
 * (the silo trains nothing rather than guess its spend). Deleting it resets the budget: it is the
 * provider's own record, in the folder the provider keeps private.
 */
final class PrivacyLedger {
  static final String FILE = "privacy-ledger.json";

  private final String uri;

  PrivacyLedger(String stateDir) {
    this.uri = Artifacts.resolve(stateDir, FILE);
  }

  /**
   * Charges one DP training of {@code rows} rows with {@code config} (whose privacy must be set),
   * if the lifetime epsilon at the policy's delta stays within its max_epsilon; returns that
   * epsilon. Otherwise refuses ({@link RefusalReason#PRIVACY_BUDGET}) and charges nothing.
   */
  double charge(PrivacyPolicy policy, TrainConfig config, int rows, String place) throws Rejected {
    ObjectNode ledger = read();
    RdpAccountant.Plan plan = config.dpPlan(rows);
    RdpAccountant total = accountant(ledger).add(plan.q(), config.privacy().noiseMultiplier(), plan.steps());
    double epsilon = total.epsilon(policy.delta());
    if (!(epsilon <= policy.maxEpsilon())) {
      throw new Rejected(RefusalReason.PRIVACY_BUDGET, String.format(java.util.Locale.ROOT,
          "training %s (q %.4g, sigma %.4g, %d steps) would bring the silo's lifetime epsilon to %.4g at delta %.3g,"
              + " above max_epsilon %.4g (spent so far: %.4g)", place, plan.q(), config.privacy().noiseMultiplier(),
          plan.steps(), epsilon, policy.delta(), policy.maxEpsilon(), accountant(ledger).epsilon(policy.delta())));
    }
    ArrayNode rdp = ledger.putArray("rdp");
    for (double v : total.rdp()) {
      if (Double.isFinite(v)) {
        rdp.add(v);
      } else {
        rdp.add("Infinity");
      }
    }
    ledger.put("delta", policy.delta());
    ledger.put("epsilon", epsilon);
    ledger.put("private_trainings", ledger.path("private_trainings").asLong() + 1);
    ((ArrayNode) ledger.withArray("history")).addObject().put("place", place).put("q", plan.q())
        .put("noise_multiplier", config.privacy().noiseMultiplier()).put("clip", config.privacy().clip())
        .put("steps", plan.steps()).put("rows", rows).put("epsilon_after", epsilon)
        .put("at", java.time.Instant.now().toString());
    RoundRecords.write(uri, ledger);
    return epsilon;
  }

  /**
   * Charges one noisy statistics release whose R&eacute;nyi DP at the accountant's orders is {@code rdp}
   * (see {@code StatsAnswerer#rdpOf}): added to the lifetime RDP like a training's, if the lifetime
   * epsilon at the policy's delta stays within its max_epsilon; returns that epsilon. Otherwise refuses
   * ({@link RefusalReason#PRIVACY_BUDGET}) and charges nothing.
   */
  double chargeRelease(PrivacyPolicy policy, double[] rdp, String place, String what) throws Rejected {
    ObjectNode ledger = read();
    double[] before = accountant(ledger).rdp();
    double[] after = new double[before.length];
    for (int i = 0; i < after.length; i++) {
      after[i] = before[i] + rdp[i];
    }
    double epsilon = RdpAccountant.fromRdp(after).epsilon(policy.delta());
    if (!(epsilon <= policy.maxEpsilon())) {
      throw new Rejected(RefusalReason.PRIVACY_BUDGET, String.format(java.util.Locale.ROOT,
          "statistics %s (%s) would bring the silo's lifetime epsilon to %.4g at delta %.3g, above max_epsilon %.4g",
          place, what, epsilon, policy.delta(), policy.maxEpsilon()));
    }
    ArrayNode out = ledger.putArray("rdp");
    for (double v : after) {
      if (Double.isFinite(v)) {
        out.add(v);
      } else {
        out.add("Infinity");
      }
    }
    ledger.put("delta", policy.delta());
    ledger.put("epsilon", epsilon);
    ledger.put("statistics_releases", ledger.path("statistics_releases").asLong() + 1);
    ((ArrayNode) ledger.withArray("history")).addObject().put("place", place).put("statistics", what)
        .put("epsilon_after", epsilon).put("at", java.time.Instant.now().toString());
    RoundRecords.write(uri, ledger);
    return epsilon;
  }

  /** Records a training without DP (allowed only when the policy does not require DP). */
  void countNonPrivate(String place) {
    ObjectNode ledger = read();
    ledger.put("non_private_trainings", ledger.path("non_private_trainings").asLong() + 1);
    ((ArrayNode) ledger.withArray("history")).addObject().put("place", place).put("dp", false)
        .put("at", java.time.Instant.now().toString());
    RoundRecords.write(uri, ledger);
  }

  /** The lifetime epsilon of the DP trainings so far, at {@code delta} (0 if none). */
  double epsilon(double delta) {
    ObjectNode ledger = read();
    return ledger.has("rdp") ? accountant(ledger).epsilon(delta) : 0;
  }

  /** How many trainings ran without DP. */
  long nonPrivateTrainings() {
    return read().path("non_private_trainings").asLong();
  }

  private ObjectNode read() {
    if (!Artifacts.exists(uri)) {
      ObjectNode fresh = Signed.JSON.createObjectNode();
      ArrayNode orders = fresh.putArray("orders");
      for (double o : RdpAccountant.orders()) {
        orders.add(o);
      }
      return fresh;
    }
    JsonNode n = RoundRecords.readJson(uri, "privacy ledger");
    if (!(n instanceof ObjectNode ledger) || !n.path("orders").isArray()) {
      throw new IllegalStateException("the privacy ledger " + uri + " is not a ledger object with orders");
    }
    double[] orders = RdpAccountant.orders();
    JsonNode saved = n.get("orders");
    boolean same = saved.size() == orders.length;
    for (int i = 0; same && i < orders.length; i++) {
      same = saved.get(i).asDouble() == orders[i];
    }
    if (!same) {
      throw new IllegalStateException("the privacy ledger " + uri + " was written for other RDP orders than this"
          + " accountant's; its spend cannot be continued");
    }
    return ledger;
  }

  private RdpAccountant accountant(ObjectNode ledger) {
    JsonNode rdp = ledger.get("rdp");
    if (rdp == null) {
      return new RdpAccountant();
    }
    double[] values = new double[rdp.size()];
    for (int i = 0; i < values.length; i++) {
      JsonNode v = rdp.get(i);
      // an order at which the spend is unbounded is written "Infinity" (JSON has no infinite number)
      double value = v.isTextual() && v.asText().equals("Infinity") ? Double.POSITIVE_INFINITY
          : v.isNumber() ? v.asDouble() : Double.NaN;
      if (!(value >= 0)) {
        throw new IllegalStateException("the privacy ledger " + uri + " has a bad RDP value at " + i + ": " + v);
      }
      values[i] = value;
    }
    return RdpAccountant.fromRdp(values);
  }
}
