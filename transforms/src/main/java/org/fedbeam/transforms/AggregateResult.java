package org.fedbeam.transforms;

import java.util.SortedMap;
import org.fedbeam.model.Parameters;
import org.fedbeam.model.SystemMetadata;

/**
 * The outcome of aggregating one round: the new global model, the total weight (samples) behind
 * it, and each participating silo's system metadata, by silo id.
 */
public record AggregateResult(int round, Parameters model, long totalSamples,
    SortedMap<String, SystemMetadata> participants) {
  public AggregateResult {
    participants = java.util.Collections.unmodifiableSortedMap(new java.util.TreeMap<>(participants));
  }
}
