/**
 * Aggregators: how a round's updates become one aggregate, each a small mergeable class behind
 * {@link org.fedbeam.model.aggregate.Aggregator}: the weighted mean of FedAvg, and the robust rules that
 * keep every update in a {@link org.fedbeam.model.aggregate.KeptUpdates} (coordinate-wise median,
 * trimmed mean, Krum and Multi-Krum).
 * Plain Java, no Beam: {@code transforms/} wraps them in one generic CombineFn.
 */
package org.fedbeam.model.aggregate;
