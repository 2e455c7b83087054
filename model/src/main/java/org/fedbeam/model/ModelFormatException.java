package org.fedbeam.model;

/** A model or update file that is not a whole, valid FedBeam model: truncated, corrupted or foreign. */
public class ModelFormatException extends IllegalArgumentException {
  public ModelFormatException(String message) {
    super(message);
  }
}
