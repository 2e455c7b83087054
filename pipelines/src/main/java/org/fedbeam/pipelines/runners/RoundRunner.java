package org.fedbeam.pipelines.runners;

import java.util.function.Supplier;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.fedbeam.pipelines.rounds.RoundPipeline;

/**
 * Runs a run's round pipeline once per round and returns when the round has finished. The
 * pipeline is the same for every round of a run (see {@link RoundPipeline}), so a runner may
 * translate it once ({@link EmbeddedFlink#roundRunner()}).
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

  /** Runs {@code pipeline} and waits for it. */
  static void runWithBeam(int round, Pipeline pipeline) {
    PipelineResult.State state = pipeline.run().waitUntilFinish();
    if (state != PipelineResult.State.DONE) {
      throw new IllegalStateException("round " + round + " pipeline ended in state " + state);
    }
  }
}
