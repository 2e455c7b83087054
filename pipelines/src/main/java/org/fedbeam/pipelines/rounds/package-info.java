/**
 * The round pipelines, each one Beam pipeline: the simulation's round ({@link
 * org.fedbeam.pipelines.rounds.RoundPipeline}), a silo's training round ({@link
 * org.fedbeam.pipelines.rounds.SiloPipeline}, whose code the pipeline digest covers) and the
 * orchestrator's aggregation ({@link org.fedbeam.pipelines.rounds.AggregationPipeline}), with what a
 * round reads and writes ({@link org.fedbeam.pipelines.rounds.RoundDescriptor}, {@link
 * org.fedbeam.pipelines.rounds.RoundRecords}). Knows no runner and no process.
 */
package org.fedbeam.pipelines.rounds;
