/**
 * Entry points and runners: the round pipeline, the federated driver loop, the embedded Flink
 * cluster, the baselines, the benchmark and the {@code fedbeam} command line. The only package
 * that knows which runner executes a pipeline.
 */
package org.fedbeam.pipelines;
