package org.fedbeam.stats;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.IOException;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * A strict, bounded reader of one JSON object's fields: a duplicate key, trailing data, a field not
 * known, a wrong type or a value out of range is an error naming where it is ({@code "silo A:
 * columns[2].histogram[3]"}). Documents are bounded in bytes, nesting and string length before they
 * are parsed.
 */
final class JsonFields {
  static final ObjectMapper MAPPER = JsonMapper.builder()
      .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
      .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
      .disable(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS)
      .build();

  static {
    MAPPER.getFactory().setStreamReadConstraints(StreamReadConstraints.builder()
        .maxNestingDepth(16).maxNumberLength(64).maxStringLength(Sketches.MAX_CHARS + 16).build());
  }

  private final JsonNode node;
  private final String where;

  /** The object {@code node} at {@code where}, whose keys must all be among {@code known}. */
  JsonFields(JsonNode node, String where, Set<String> known) {
    if (node == null || !node.isObject()) {
      throw new IllegalArgumentException(where + " must be a JSON object");
    }
    for (Iterator<String> it = node.fieldNames(); it.hasNext();) {
      String f = it.next();
      if (!known.contains(f)) {
        throw new IllegalArgumentException(where + ": field '" + clip(f) + "' is not known (known: " + known + ")");
      }
    }
    this.node = node;
    this.where = where;
  }

  /** The parsed document, at most {@code maxBytes} long. */
  static JsonNode parse(byte[] json, int maxBytes, String where) {
    if (json.length > maxBytes) {
      throw new IllegalArgumentException(where + ": at most " + maxBytes + " bytes, was " + json.length);
    }
    try {
      return MAPPER.readTree(json);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException(where + ": not valid JSON (" + e.getOriginalMessage() + ")");
    } catch (IOException e) {
      throw new IllegalArgumentException(where + ": unreadable (" + e.getMessage() + ")");
    }
  }

  static String clip(String s) {
    return s.length() > 64 ? s.substring(0, 64) + "..." : s;
  }

  String where() {
    return where;
  }

  String at(String field) {
    return where + "." + field;
  }

  boolean has(String field) {
    return node.has(field);
  }

  boolean isNull(String field) {
    return !node.has(field) || node.get(field).isNull();
  }

  JsonNode required(String field) {
    if (!node.has(field)) {
      throw new IllegalArgumentException(at(field) + " is required");
    }
    return node.get(field);
  }

  String string(String field, int maxLength) {
    JsonNode v = required(field);
    if (!v.isTextual() || v.asText().length() > maxLength) {
      throw new IllegalArgumentException(at(field) + " must be a string of at most " + maxLength + " characters");
    }
    return v.asText();
  }

  long integer(String field, long lo, long hi) {
    return integer(required(field), at(field), lo, hi);
  }

  static long integer(JsonNode v, String at, long lo, long hi) {
    if (!v.isIntegralNumber() || !v.canConvertToLong() || v.asLong() < lo || v.asLong() > hi) {
      throw new IllegalArgumentException(at + " must be an integer in " + lo + ".." + hi + ", was " + clip(v.toString()));
    }
    return v.asLong();
  }

  /** A count: null (suppressed) or an integer in 0..2^53. */
  Long count(String field) {
    JsonNode v = required(field);
    return v.isNull() ? null : integer(v, at(field), 0, 1L << 53);
  }

  double number(String field) {
    JsonNode v = required(field);
    if (!v.isNumber() || !Double.isFinite(v.asDouble())) {
      throw new IllegalArgumentException(at(field) + " must be a finite number, was " + clip(v.toString()));
    }
    return v.asDouble();
  }

  Double optionalNumber(String field) {
    return isNull(field) ? null : number(field);
  }

  boolean bool(String field) {
    JsonNode v = required(field);
    if (!v.isBoolean()) {
      throw new IllegalArgumentException(at(field) + " must be true or false, was " + clip(v.toString()));
    }
    return v.asBoolean();
  }

  JsonNode array(String field, int maxSize) {
    JsonNode v = required(field);
    if (!v.isArray() || v.size() > maxSize) {
      throw new IllegalArgumentException(at(field) + " must be an array of at most " + maxSize + " items");
    }
    return v;
  }

  /** An object's entries, at most {@code maxSize}, in document order. */
  Map<String, JsonNode> map(String field, int maxSize) {
    JsonNode v = required(field);
    if (!v.isObject() || v.size() > maxSize) {
      throw new IllegalArgumentException(at(field) + " must be an object of at most " + maxSize + " entries");
    }
    Map<String, JsonNode> out = new LinkedHashMap<>();
    v.fields().forEachRemaining(e -> out.put(e.getKey(), e.getValue()));
    return out;
  }

  JsonFields object(String field, Set<String> known) {
    return new JsonFields(required(field), at(field), known);
  }
}
