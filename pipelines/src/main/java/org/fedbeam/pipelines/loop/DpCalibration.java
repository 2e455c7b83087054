package org.fedbeam.pipelines.loop;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Map;
import java.util.TreeMap;
import org.fedbeam.model.DpSgd;
import org.fedbeam.model.strategy.DpSgdMechanism;
import org.fedbeam.model.TrainConfig;
import org.fedbeam.model.privacy.RdpAccountant;

/**
 * The simulation's DP settings: {@code --dp-epsilon E --dp-delta D --dp-clip C} turn into one noise
 * multiplier for every silo, the smallest at which each silo, training in every one of the
 * planned rounds ({@code maxRounds} calls of {@link org.fedbeam.model.TrainConfig#dpPlan} on its shard), spends at
 * most E at D. After the run, each silo's spend is recomputed from the rounds it actually trained.
 */
public final class DpCalibration {
  private DpCalibration() {}

  /** The settings' config with DP-SGD calibrated for these silos, or the config unchanged when {@code epsilon} is null. */
  public static TrainConfig calibrate(TrainConfig config, Map<String, Integer> siloSizes, int maxRounds, Double epsilon,
      double delta, double clip) {
    if (epsilon == null) {
      return config;
    }
    check(epsilon, delta, clip);
    double sigma = 0;
    for (int rows : siloSizes.values()) {
      if (rows > 0) {
        sigma = Math.max(sigma, RdpAccountant.calibrateSigma(config.dpPlan(rows), maxRounds, epsilon, delta));
      }
    }
    if (sigma == 0) {
      throw new IllegalArgumentException("dp-epsilon needs at least one silo with training rows");
    }
    return new DpSgdMechanism(new DpSgd(clip, sigma)).configure(config);
  }

  /** Refuses a DP budget or clip out of range, naming the flag. */
  public static void check(Double epsilon, double delta, double clip) {
    if (epsilon == null) {
      return;
    }
    if (!(epsilon > 0) || !Double.isFinite(epsilon)) {
      throw new IllegalArgumentException("dp-epsilon must be a finite number > 0, was " + epsilon);
    }
    if (!(delta > 0 && delta < 1)) {
      throw new IllegalArgumentException("dp-delta must be in (0, 1), was " + delta);
    }
    if (!(clip > 0) || !Double.isFinite(clip)) {
      throw new IllegalArgumentException("dp-clip must be a finite number > 0, was " + clip);
    }
  }

  /** Each silo's epsilon at {@code delta} after the rounds it trained in (silo id -> epsilon), sorted by silo. */
  public static Map<String, Double> spent(RoundLoop.Result fl, TrainConfig config, double delta) {
    Map<String, RdpAccountant> accountants = new TreeMap<>();
    for (RoundLoop.RoundStats round : fl.rounds()) {
      round.participants().forEach((silo, m) -> {
        RdpAccountant.Plan plan = config.dpPlan((int) m.sampleCount());
        accountants.computeIfAbsent(silo, s -> new RdpAccountant())
            .add(plan.q(), config.privacy().noiseMultiplier(), plan.steps());
      });
    }
    Map<String, Double> spent = new TreeMap<>();
    accountants.forEach((silo, a) -> spent.put(silo, a.epsilon(delta)));
    return spent;
  }

  /** Adds the DP block to a run summary: the budget, the noise multiplier used, and {@code epsilon_spent} per silo. */
  public static void summarize(ObjectNode summary, TrainConfig config, double epsilon, double delta, Map<String, Double> spent) {
    ObjectNode dp = summary.putObject("dp");
    dp.put("epsilon_budget", epsilon).put("delta", delta).put("clip", config.privacy().clip())
        .put("noise_multiplier", config.privacy().noiseMultiplier())
        .put("accountant", "RDP of the Poisson-sampled Gaussian mechanism, improved conversion (Balle et al. 2020)");
    ObjectNode perSilo = summary.putObject("epsilon_spent");
    spent.forEach(perSilo::put);
    summary.put("noise_multiplier", config.privacy().noiseMultiplier());
  }
}
