/**
 * Aggregators: how a round's updates become one aggregate, each a small mergeable class behind
 * {@link org.fedbeam.model.aggregate.Aggregator} (the weighted mean of FedAvg; the robust rules).
 * Plain Java, no Beam: {@code transforms/} wraps them in one generic CombineFn.
 */
package org.fedbeam.model.aggregate;
