package org.fedbeam.pipelines.protocol;

import com.fasterxml.jackson.databind.JsonNode;

/** Required fields of the parties' own JSON files (policy, job): errors name the file and the field. */
public final class ConfigFields {
  private ConfigFields() {}

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
