package org.fedbeam.transforms;

import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.values.PCollection;
import org.fedbeam.data.table.Table;
import org.fedbeam.stats.SiloStats;
import org.fedbeam.stats.StatsComputation;

/**
 * Computes each silo's federated statistics inside the silo: per {@link StatsTask}, loads the silo's
 * prepared table ({@link SiloData#loadTable}) and runs the {@link StatsComputation} (its disclosure
 * rules and noise included), so only the {@link SiloStats} leaves the step. A bad table or column
 * fails the bundle with a message naming the silo, the file and the column.
 *
 * <p>Metrics (namespace {@code fedbeam}): {@code silosComputed}, {@code rowsSummarised}.
 */
public final class ComputeStats extends PTransform<PCollection<StatsTask>, PCollection<SiloStats>> {
  private ComputeStats() {}

  /** The transform. */
  public static ComputeStats perSilo() {
    return new ComputeStats();
  }

  @Override
  public PCollection<SiloStats> expand(PCollection<StatsTask> tasks) {
    return tasks.apply("ComputeSiloStats", ParDo.of(new ComputeSiloStatsFn()))
        .setCoder(StatsCoders.SiloStatsCoder.of());
  }

  /** One silo's statistics. */
  static final class ComputeSiloStatsFn extends DoFn<StatsTask, SiloStats> {
    private final Counter silos = Metrics.counter("fedbeam", "silosComputed");
    private final Counter rows = Metrics.counter("fedbeam", "rowsSummarised");

    @ProcessElement
    public void process(@Element StatsTask task, OutputReceiver<SiloStats> out) {
      Table table = SiloData.loadTable(task.tableUri(), task.silo()).withSource(task.silo());
      SiloStats stats;
      try {
        stats = StatsComputation.INSTANCE.compute(task.query(), table, task.seed());
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(e.getMessage() + " [file " + task.tableUri() + "]", e);
      }
      silos.inc();
      rows.inc(table.rows());
      out.output(stats);
    }
  }
}
