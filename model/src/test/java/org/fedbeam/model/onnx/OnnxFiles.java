package org.fedbeam.model.onnx;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/** The committed ONNX test files (made by src/test/resources/onnx/generator/make_onnx.py) and their expected weights. */
final class OnnxFiles {
  private OnnxFiles() {}

  static byte[] bytes(String name) {
    try (InputStream in = OnnxFiles.class.getResourceAsStream("/onnx/" + name)) {
      if (in == null) {
        throw new IllegalStateException("test resource /onnx/" + name + " is missing");
      }
      return in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** One expected array: its shape and row-major values, as the generator wrote them with numpy. */
  record Expected(long[] shape, float[] values) {
    float at(int row, int col) {
      return values[row * (int) shape[1] + col];
    }
  }

  static List<Expected> expected(String name) {
    List<Expected> arrays = new ArrayList<>();
    for (String line : new String(bytes(name), StandardCharsets.UTF_8).split("\n")) {
      if (line.isBlank()) {
        continue;
      }
      String[] parts = line.split("\\|");
      String[] dims = parts[0].trim().split(" ");
      String[] vals = parts[1].trim().split(" ");
      long[] shape = new long[dims.length];
      for (int i = 0; i < dims.length; i++) {
        shape[i] = Long.parseLong(dims[i]);
      }
      float[] values = new float[vals.length];
      for (int i = 0; i < vals.length; i++) {
        values[i] = Float.parseFloat(vals[i]);
      }
      arrays.add(new Expected(shape, values));
    }
    return arrays;
  }
}
