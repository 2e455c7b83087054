package org.fedbeam.model.strategy;

import org.fedbeam.model.DpSgd;
import org.fedbeam.model.TrainConfig;

/**
 * DP-SGD (Abadi et al. 2016) as the mechanism a silo applies around its training: it sets the
 * learner's privacy ({@link TrainConfig#withPrivacy}), because per-example clipping and the noise
 * must happen inside each step; the trained weights then leave as they are. The silo's accountant
 * charges the plan of {@link TrainConfig#dpPlan} before it trains.
 *
 * @param dp the clip and noise multiplier
 */
public record DpSgdMechanism(DpSgd dp) implements UpdateMechanism {
  private static final long serialVersionUID = 1L;

  public DpSgdMechanism {
    if (dp == null) {
      throw new IllegalArgumentException("a DP-SGD mechanism needs its clip and noise multiplier");
    }
  }

  @Override
  public String id() {
    return "dp-sgd";
  }

  @Override
  public TrainConfig configure(TrainConfig config) {
    return config.withPrivacy(dp);
  }
}
