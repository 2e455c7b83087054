package org.fedbeam.transforms;

import org.fedbeam.model.TrainConfig;
import org.fedbeam.model.attack.Attack;

/**
 * One silo's work in one round: where its private training shard lives, and how to train.
 *
 * @param siloId the silo's stable identifier
 * @param dataUri the silo's shard (a local path or an {@code azfs://} URI)
 * @param round the round number, from 1
 * @param seed this silo's seed for this round (see {@link org.fedbeam.model.Seeds})
 * @param config local training hyperparameters
 * @param attack what this silo does if it is Byzantine in a simulation, or null for an honest silo
 */
public record SiloTask(String siloId, String dataUri, int round, long seed, TrainConfig config, Attack attack)
    implements java.io.Serializable {

  /** An honest silo's task. */
  public SiloTask(String siloId, String dataUri, int round, long seed, TrainConfig config) {
    this(siloId, dataUri, round, seed, config, null);
  }
}
