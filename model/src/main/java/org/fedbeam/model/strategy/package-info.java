/**
 * The server side of federated learning as small classes: {@link org.fedbeam.model.strategy.Strategy}
 * (configure a round, choose the aggregator, take the server step, accept a round) and its registry
 * {@link org.fedbeam.model.strategy.Strategies}, the persisted
 * {@link org.fedbeam.model.strategy.ServerState}, {@link org.fedbeam.model.strategy.Participation},
 * the {@link org.fedbeam.model.strategy.StopRule}, and the mechanisms applied to an update in the silo
 * and to the aggregate at the orchestrator. The strategies: FedAvg, FedAvgM, FedProx, FedAdam, FedYogi,
 * FedAdagrad, FedMedian, the trimmed mean, Krum and Multi-Krum. Plain Java, no Beam.
 */
package org.fedbeam.model.strategy;
