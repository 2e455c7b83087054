/**
 * Beam transforms of one federated round, built on {@code fedbeam-model}: {@link
 * org.fedbeam.transforms.TrainLocally} (per-silo local training), {@link
 * org.fedbeam.transforms.AggregateUpdates} (federated averaging as a CombineFn), {@link
 * org.fedbeam.transforms.EvaluateModel}, their explicit coders ({@link
 * org.fedbeam.transforms.FedBeamCoders}) and URI-addressed artifact I/O ({@link
 * org.fedbeam.transforms.Artifacts}). Nothing here knows which runner executes it.
 */
package org.fedbeam.transforms;
