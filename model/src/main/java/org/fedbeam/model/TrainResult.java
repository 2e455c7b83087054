package org.fedbeam.model;

/**
 * What one call to local training produced.
 *
 * @param parameters the trained weights
 * @param meanLoss mean cross-entropy over every sample seen during training (before each step)
 * @param samplesSeen samples processed, counting each epoch
 */
public record TrainResult(Parameters parameters, double meanLoss, long samplesSeen) {}
