package org.fedbeam.transforms;

import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.coders.CoderRegistry;
import org.apache.beam.sdk.transforms.Combine;
import org.fedbeam.stats.GlobalStats;
import org.fedbeam.stats.SiloStats;

/**
 * Merges the silos' statistics at the orchestrator. The accumulator is the running {@link
 * GlobalStats} (summed counts, exactly merged moments, merged KLL sketches, summed histograms and
 * categories): O(columns x bins) plus the silos' names, never the list of inputs. A silo whose columns
 * disagree with the others' fails the merge with a message naming both.
 */
public final class MergeStatsCombineFn extends Combine.CombineFn<SiloStats, GlobalStats, GlobalStats> {
  @Override
  public GlobalStats createAccumulator() {
    return GlobalStats.empty();
  }

  @Override
  public GlobalStats addInput(GlobalStats accumulator, SiloStats input) {
    return accumulator.merge(GlobalStats.of(input));
  }

  @Override
  public GlobalStats mergeAccumulators(Iterable<GlobalStats> accumulators) {
    GlobalStats out = GlobalStats.empty();
    for (GlobalStats a : accumulators) {
      out = out.merge(a);
    }
    return out;
  }

  @Override
  public GlobalStats extractOutput(GlobalStats accumulator) {
    return accumulator;
  }

  @Override
  public Coder<GlobalStats> getAccumulatorCoder(CoderRegistry registry, Coder<SiloStats> inputCoder) {
    return StatsCoders.GlobalStatsCoder.of();
  }

  @Override
  public Coder<GlobalStats> getDefaultOutputCoder(CoderRegistry registry, Coder<SiloStats> inputCoder) {
    return StatsCoders.GlobalStatsCoder.of();
  }
}
