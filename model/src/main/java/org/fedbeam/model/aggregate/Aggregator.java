package org.fedbeam.model.aggregate;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import org.fedbeam.model.ModelSpec;
import org.fedbeam.model.Parameters;

/**
 * How a round's updates become one aggregate: a mergeable accumulator in the shape of Beam's
 * {@code CombineFn} (create, add, merge, result), in plain Java, with its own deterministic binary
 * form. {@code transforms/} wraps every aggregator once, in one generic CombineFn and coder; the
 * wrapper checks each update's round, silo, shape and finiteness before it reaches
 * {@link #add}, so an aggregator sees only well-formed updates of one round.
 *
 * <p>An aggregator either keeps a running summary whose size does not depend on the number of
 * updates (the weighted mean: O(parameters)) or says {@link #keepsEveryInput()} (median, trimmed
 * mean, Krum: O(silos x parameters)), so the caller knows what a round costs in memory.
 *
 * <p>Implementations must be deterministic: the same updates, added and merged in any order, give
 * a result that depends only on the multiset of (silo, update, weight) — the wrapper adds updates
 * with their silo ids, and aggregators that keep inputs sort them by silo before they compute.
 *
 * @param <A> the accumulator; mutable, not thread-safe
 */
public interface Aggregator<A> extends java.io.Serializable {
  /** The name recorded in provenance and shown in the Flink web UI. */
  String name();

  /** Whether the accumulator holds every input (memory O(inputs x parameters)). */
  boolean keepsEveryInput();

  /** An empty accumulator for updates of {@code spec}. */
  A create(ModelSpec spec);

  /** Adds the update of silo {@code silo} with weight {@code weight} (> 0, finite). */
  void add(A accumulator, String silo, Parameters update, double weight);

  /** Adds everything of {@code other} into {@code into}; {@code other} is not used afterwards. */
  void merge(A into, A other);

  /** Shrinks the accumulator before it is encoded (a weighted sum folds its pending inputs). */
  default void compact(A accumulator) {}

  /** The number of updates added so far. */
  long count(A accumulator);

  /** The aggregate of everything added; at least one update must have been added. */
  Parameters result(A accumulator);

  /** Writes the accumulator deterministically. */
  void write(A accumulator, DataOutputStream out) throws IOException;

  /** Reads what {@link #write} wrote, for updates of {@code spec}. */
  A read(ModelSpec spec, DataInputStream in) throws IOException;
}
