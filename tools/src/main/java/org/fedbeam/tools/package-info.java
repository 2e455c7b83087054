/**
 * The demo ({@code fedbeam demo federated}: silo agents and an orchestrator as separate processes,
 * on local or Azurite storage, optionally on standalone Flink clusters) and the benchmarks ({@code
 * fedbeam bench}, with its NumPy reference), run through {@link org.fedbeam.tools.FedBeamTools},
 * {@code bin/fedbeam}'s main class. Not part of the job jar that clusters run.
 */
package org.fedbeam.tools;
