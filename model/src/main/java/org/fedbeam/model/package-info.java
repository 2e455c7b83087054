/**
 * Model math in plain Java, with no Beam and no I/O beyond byte arrays: model specs and immutable
 * parameter vectors with their checksummed binary format ({@link org.fedbeam.model.ModelFormat}),
 * the dense-network learner ({@link org.fedbeam.model.DenseNetwork}), evaluation metrics, the
 * FedAvg accumulator ({@link org.fedbeam.model.WeightedSum}) and the values a silo sends back
 * ({@link org.fedbeam.model.SiloUpdate}).
 */
package org.fedbeam.model;
