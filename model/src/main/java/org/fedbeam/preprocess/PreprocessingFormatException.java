package org.fedbeam.preprocess;

/** A preprocessing's JSON is malformed, out of bounds or inconsistent; the message names the source. */
public final class PreprocessingFormatException extends IllegalArgumentException {
  private static final long serialVersionUID = 1L;

  public PreprocessingFormatException(String message) {
    super(message);
  }
}
