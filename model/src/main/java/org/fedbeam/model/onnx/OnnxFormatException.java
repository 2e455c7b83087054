package org.fedbeam.model.onnx;

import org.fedbeam.model.ModelFormatException;

/** An ONNX file that FedBeam cannot read or import: malformed, truncated, hostile or not a dense network. */
public final class OnnxFormatException extends ModelFormatException {
  public OnnxFormatException(String message) {
    super(message);
  }
}
