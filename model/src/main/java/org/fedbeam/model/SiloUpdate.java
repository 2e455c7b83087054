package org.fedbeam.model;

/**
 * What one silo sends back after a round: its identity, the round, the locally trained weights
 * and the system metadata. Nothing else crosses the silo's boundary.
 */
public record SiloUpdate(String siloId, int round, Parameters weights, SystemMetadata metadata) {
  public SiloUpdate {
    if (siloId == null || siloId.isBlank()) {
      throw new IllegalArgumentException("an update needs a silo id");
    }
    if (round < 1) {
      throw new IllegalArgumentException("round must be >= 1, was " + round + " (update from " + siloId + ")");
    }
    if (weights == null || metadata == null) {
      throw new IllegalArgumentException("update from " + siloId + " lacks weights or metadata");
    }
  }
}
