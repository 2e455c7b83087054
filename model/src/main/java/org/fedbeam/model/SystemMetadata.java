package org.fedbeam.model;

/**
 * The fixed, numeric system metadata (SM) that travels with a silo's update: nothing about the
 * data beyond how much of it there was, how training went, and how long it took.
 *
 * @param sampleCount local training samples (the update's weight in the average)
 * @param trainLoss mean training cross-entropy over the local epochs
 * @param trainMillis wall time of local training
 */
public record SystemMetadata(long sampleCount, double trainLoss, long trainMillis) {
  public SystemMetadata {
    if (sampleCount < 0) {
      throw new IllegalArgumentException("sampleCount must be >= 0, was " + sampleCount);
    }
    if (trainMillis < 0) {
      throw new IllegalArgumentException("trainMillis must be >= 0, was " + trainMillis);
    }
  }
}
