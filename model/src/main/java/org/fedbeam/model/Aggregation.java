package org.fedbeam.model;

import java.util.List;

/** Aggregation math as pure functions of updates and weights. */
public final class Aggregation {
  private Aggregation() {}

  /**
   * The weighted average {@code sum(w_i * p_i) / sum(w_i)} of parameter vectors of one spec, the
   * server step of FedAvg (McMahan et al. 2017) with weights = local sample counts.
   *
   * @throws IllegalArgumentException if the lists differ in length, are empty, mix specs, or a weight
   *     is not > 0
   */
  public static Parameters weightedAverage(List<Parameters> updates, List<? extends Number> weights) {
    if (updates.size() != weights.size()) {
      throw new IllegalArgumentException(updates.size() + " updates but " + weights.size() + " weights");
    }
    if (updates.isEmpty()) {
      throw new IllegalArgumentException("no updates to average");
    }
    WeightedSum sum = new WeightedSum(updates.get(0).spec());
    for (int i = 0; i < updates.size(); i++) {
      sum.add(updates.get(i), weights.get(i).doubleValue());
    }
    return sum.average();
  }
}
