package org.fedbeam.pipelines.protocol;

import com.fasterxml.jackson.databind.JsonNode;

/** Required fields of the parties' own JSON files (policy, job): errors name the file and the field. */
public final class ConfigFields {
  private ConfigFields() {}

  /**
   * The bytes of a party's own file ({@code what} names it in errors), read only if it is a regular file
   * (a link to one is followed) of at most {@code max} bytes: so a file that is a link to {@code /dev/zero},
   * a FIFO or a huge file is refused by name, not read until memory runs out.
   */
  public static byte[] readBounded(java.nio.file.Path file, int max, String what) throws java.io.IOException {
    if (!java.nio.file.Files.exists(file)) {
      throw new IllegalArgumentException(what + ": cannot read " + file + ": no such file");
    }
    if (!java.nio.file.Files.isRegularFile(file)) {
      throw new IllegalArgumentException(what + ": " + file + " is not a regular file");
    }
    try (java.io.InputStream in = java.nio.file.Files.newInputStream(file)) {
      byte[] bytes = in.readNBytes(max + 1);
      if (bytes.length > max) {
        throw new IllegalArgumentException(what + ": " + file + " is larger than " + max + " bytes");
      }
      return bytes;
    }
  }

  public static Iterable<JsonNode> array(JsonNode n, String field, String where) {
    JsonNode v = n.get(field);
    if (v == null || !v.isArray()) {
      throw new IllegalArgumentException(where + ": " + field + " is missing or not a list");
    }
    return v;
  }

  public static String text(JsonNode n, String field, String where) {
    JsonNode v = n.get(field);
    if (v == null || !v.isTextual() || v.asText().isBlank()) {
      throw new IllegalArgumentException(where + ": " + field + " is missing or not text");
    }
    return v.asText();
  }

  public static long positiveLong(JsonNode n, String field, String where) {
    JsonNode v = n.get(field);
    if (v == null || !v.isIntegralNumber() || v.asLong() < 1) {
      throw new IllegalArgumentException(where + ": " + field + " must be an integer >= 1");
    }
    return v.asLong();
  }
}
