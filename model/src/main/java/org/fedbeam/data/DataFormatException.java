package org.fedbeam.data;

/** Input data that cannot be read as what it claims to be; the message names the file and the place. */
public class DataFormatException extends IllegalArgumentException {
  public DataFormatException(String message) {
    super(message);
  }
}
