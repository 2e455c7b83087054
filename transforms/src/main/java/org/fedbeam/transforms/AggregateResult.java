package org.fedbeam.transforms;

import java.util.SortedMap;
import org.fedbeam.model.Parameters;
import org.fedbeam.model.SystemMetadata;

/**
 * The outcome of aggregating one round: the aggregate, the total weight (samples) behind it, and
 * each participating silo's system metadata, by silo id. When the aggregator cannot give an
 * aggregate from what it holds (Krum with fewer updates than it needs), {@code model} is null and
 * {@code failure} says why: a failure is a value here, because a CombineFn's output may be asked for
 * before every input is in; whoever writes the round's model refuses a failed result.
 */
public record AggregateResult(int round, Parameters model, long totalSamples,
    SortedMap<String, SystemMetadata> participants, String failure) {
  public AggregateResult {
    // copy into natural order: the coder writes participants in map order, so it must not follow the caller's
    java.util.TreeMap<String, SystemMetadata> sorted = new java.util.TreeMap<>();
    sorted.putAll(participants);
    participants = java.util.Collections.unmodifiableSortedMap(sorted);
    if (failure != null && failure.length() > MAX_FAILURE) {
      // the coder writes it as modified UTF-8 (at most 64 KB); the start says what went wrong
      failure = failure.substring(0, MAX_FAILURE) + "... (" + (failure.length() - MAX_FAILURE) + " more characters)";
    }
    if ((model == null) == (failure == null)) {
      throw new IllegalArgumentException("an aggregate result has either a model or a failure, not both or neither");
    }
  }

  /** The longest failure text kept, in characters. */
  static final int MAX_FAILURE = 4000;

  /** A successful aggregation. */
  public AggregateResult(int round, Parameters model, long totalSamples, SortedMap<String, SystemMetadata> participants) {
    this(round, model, totalSamples, participants, null);
  }

  /** Whether the aggregator gave an aggregate. */
  public boolean succeeded() {
    return failure == null;
  }
}
