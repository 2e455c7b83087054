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
    // copy into natural order: the coder writes participants in map order, so it must not follow the caller's
    java.util.TreeMap<String, SystemMetadata> sorted = new java.util.TreeMap<>();
    sorted.putAll(participants);
    participants = java.util.Collections.unmodifiableSortedMap(sorted);
  }
}
