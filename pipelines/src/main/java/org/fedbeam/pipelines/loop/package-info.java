/**
 * The round loop of the simulation mode: {@link org.fedbeam.pipelines.loop.FederatedDriver}
 * (configure, run a round, aggregate, evaluate, record, stop?), its settings ({@link
 * org.fedbeam.pipelines.loop.TrainOptions}), the simulation's data and seeds per silo, the records it
 * writes ({@code metrics.csv}, provenance), the baselines and the DP noise calibration. Runs the round
 * pipelines of {@code rounds} through a runner of {@code runners}.
 */
package org.fedbeam.pipelines.loop;
