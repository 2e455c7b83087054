package org.fedbeam.pipelines.runners;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import org.apache.beam.sdk.coders.CoderException;
import org.apache.beam.sdk.coders.VarIntCoder;
import org.apache.beam.sdk.util.CoderUtils;
import org.apache.flink.util.MathUtils;
import org.fedbeam.transforms.SiloTask;

/**
 * Which worker trains which silo: the silos are split into one group per worker so that the
 * groups hold about the same amount of data (largest shard first, each to the least loaded worker:
 * the LPT rule, within 4/3 of the best split), and each group gets a shuffle key that Flink's
 * batch runner sends to that worker.
 *
 * <p>Beam's Flink batch runner turns {@code Reshuffle} into a hash partitioning of the key's
 * encoded bytes: partition = {@code murmurHash(Arrays.hashCode(bytes)) % workers}
 * ({@code OutputEmitter} in Flink's DataSet runtime). {@link #keys} searches small integers for
 * one key per partition, so group {@code i} trains on worker {@code i}. On any other runner the
 * keys are just keys: the groups still train in parallel, wherever that runner puts them.
 */
public final class SiloPlacement {
  private SiloPlacement() {}

  /** One key per worker: key {@code i} goes to worker {@code i} on Flink's batch runner. */
  public static int[] keys(int workers) {
    if (workers < 1) {
      throw new IllegalArgumentException("workers must be >= 1, was " + workers);
    }
    int[] keys = new int[workers];
    Arrays.fill(keys, -1);
    int found = 0;
    for (int k = 0; found < workers; k++) {
      int worker = partition(k, workers);
      if (keys[worker] < 0) {
        keys[worker] = k;
        found++;
      }
    }
    return keys;
  }

  /** The Flink DataSet partition of an integer key shuffled with {@link VarIntCoder}. */
  public static int partition(int key, int workers) {
    try {
      return MathUtils.murmurHash(Arrays.hashCode(CoderUtils.encodeToByteArray(VarIntCoder.of(), key))) % workers;
    } catch (CoderException e) {
      throw new IllegalStateException("cannot encode key " + key, e);
    }
  }

  /**
   * The tasks in {@code workers} groups of about equal data, each group largest shard first.
   *
   * @param shardBytes each silo's shard size; a silo without one counts as empty
   */
  public static List<List<SiloTask>> balance(List<SiloTask> tasks, Map<String, Long> shardBytes, int workers) {
    List<SiloTask> largestFirst = new ArrayList<>(tasks);
    largestFirst.sort(Comparator.<SiloTask>comparingLong(t -> -shardBytes.getOrDefault(t.siloId(), 0L))
        .thenComparing(SiloTask::siloId));
    List<List<SiloTask>> groups = new ArrayList<>();
    long[] load = new long[workers];
    for (int w = 0; w < workers; w++) {
      groups.add(new ArrayList<>());
    }
    for (SiloTask task : largestFirst) {
      int least = 0;
      for (int w = 1; w < workers; w++) {
        if (load[w] < load[least]) {
          least = w;
        }
      }
      groups.get(least).add(task);
      // every silo costs at least a little, so empty shards spread out too
      load[least] += Math.max(1, shardBytes.getOrDefault(task.siloId(), 0L));
    }
    return groups;
  }
}
