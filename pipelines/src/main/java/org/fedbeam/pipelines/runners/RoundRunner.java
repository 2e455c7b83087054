package org.fedbeam.pipelines.runners;

import java.util.function.Supplier;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.fedbeam.pipelines.rounds.RoundPipeline;

/**
 * Runs a run's round pipeline once per round and returns when the round has finished. The
 * pipeline is the same for every round of a run (see {@link RoundPipeline}), so a runner may
 * translate it once ({@link EmbeddedFlink#roundRunner(String)}). A runner made with a run name names
 * each round's job {@code fedbeam-RUN-round-NNNN} ({@link JobNames}), so the Flink web UI tells the
 * rounds apart.
 *
 * <p>A replaying runner runs the job graph of the first pipeline it was given, whatever later
 * suppliers would build: one runner serves one run (one strategy, one model, one plan). A caller that
 * runs several settings whose pipelines differ (another strategy) takes a new session for each.
 */
public interface RoundRunner {
  /**
   * Runs round {@code round}; {@code pipeline} builds the run's pipeline when one is needed.
   *
   * @throws RuntimeException when the round's pipeline fails, with the failure as the cause
   */
  void run(int round, Supplier<Pipeline> pipeline);

  /** Builds the pipeline and runs it with the runner its options select, every round. */
  static RoundRunner beam() {
    return (round, pipeline) -> runWithBeam(round, pipeline.get());
  }

  /**
   * As {@link #beam()}, each round's job named {@link JobNames#of(String, int) fedbeam-RUN-round-NNNN}
   * (the pipeline options' job name is set for the run of the round, and put back after it); null is
   * {@link #beam()}.
   */
  static RoundRunner beam(String runName) {
    if (runName == null) {
      return beam();
    }
    JobNames.checkRun(runName);
    return (round, supplier) -> {
      Pipeline pipeline = supplier.get();
      org.apache.beam.sdk.options.PipelineOptions options = pipeline.getOptions();
      String before = options.getJobName();
      options.setJobName(JobNames.of(runName, round));
      try {
        runWithBeam(round, pipeline);
      } finally {
        options.setJobName(before);
      }
    };
  }

  /** Runs {@code pipeline} and waits for it. */
  static void runWithBeam(int round, Pipeline pipeline) {
    PipelineResult.State state = pipeline.run().waitUntilFinish();
    if (state != PipelineResult.State.DONE) {
      throw new IllegalStateException("round " + round + " pipeline ended in state " + state);
    }
  }
}
