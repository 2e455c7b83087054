package org.fedbeam.preprocess;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;

/**
 * The JSON form of a {@link Preprocessing}:
 *
 * <pre>
 * {"format": "fedbeam-preprocessing", "version": 1, "label": "y", "classes": ["a", "b"],
 *  "columns": [{"name": "age", "type": "numeric", "scaling": "standardize",
 *               "impute": 41.5, "center": 41.5, "scale": 12.25},
 *              {"name": "colour", "type": "categorical", "vocabulary": ["blue", "red"], "missing_to": "red"}]}
 * </pre>
 *
 * Reading is strict and bounded: at most {@link #MAX_BYTES} bytes, nesting depth 8, strings of at most
 * 64 Ki characters, numbers of at most 64 digits, no repeated or unknown field, no field missing or
 * of the wrong JSON type, nothing after the document; then every value is checked as the
 * constructors check a fitted one. Any failure is a {@link PreprocessingFormatException} naming the
 * source and the field.
 */
final class PreprocessingJson {
  /** Largest document read: 8 MiB (a 64 Ki-value vocabulary of long values fits; a hostile array cannot grow the tree past a few hundred MB). */
  static final int MAX_BYTES = 8 << 20;
  static final String FORMAT = "fedbeam-preprocessing";
  static final int VERSION = 1;
  private static final ObjectMapper MAPPER = new ObjectMapper(JsonFactory.builder()
      .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(8).maxStringLength(1 << 16)
          .maxNumberLength(64).build())
      .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION).build())
      .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

  private PreprocessingJson() {}

  static byte[] write(Preprocessing p) {
    ObjectNode root = MAPPER.createObjectNode();
    root.put("format", FORMAT);
    root.put("version", VERSION);
    root.put("label", p.labelName());
    ArrayNode classes = root.putArray("classes");
    p.classes().forEach(classes::add);
    ArrayNode columns = root.putArray("columns");
    for (ColumnSpec c : p.columns()) {
      ObjectNode o = columns.addObject();
      o.put("name", c.name());
      o.put("type", c.type());
      if (c instanceof NumericSpec n) {
        o.put("scaling", n.scaling().name().toLowerCase(Locale.ROOT));
        o.put("impute", n.impute());
        o.put("center", n.center());
        o.put("scale", n.scale());
      } else {
        CategoricalSpec cat = (CategoricalSpec) c;
        ArrayNode vocabulary = o.putArray("vocabulary");
        cat.vocabulary().forEach(vocabulary::add);
        o.put("missing_to", cat.missingTo());
      }
    }
    try {
      return MAPPER.writeValueAsBytes(root);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot write a preprocessing as JSON", e);
    }
  }

  static Preprocessing read(byte[] json, String source) {
    if (json == null || json.length > MAX_BYTES) {
      throw new PreprocessingFormatException(source + ": a preprocessing document must be at most " + MAX_BYTES
          + " bytes, was " + (json == null ? "absent" : json.length + " bytes"));
    }
    JsonNode root;
    try {
      root = MAPPER.readTree(json);
    } catch (IOException e) {
      String why = e instanceof JsonProcessingException j ? j.getOriginalMessage() : e.getMessage();
      throw new PreprocessingFormatException(source + ": not valid preprocessing JSON: " + why);
    }
    try {
      fields(root, "the document", Set.of("format", "version", "label", "classes", "columns"));
      if (!FORMAT.equals(text(root, "format"))) {
        throw new PreprocessingFormatException("field 'format' must be \"" + FORMAT + "\"");
      }
      JsonNode version = root.get("version");
      if (!version.isInt() || version.intValue() != VERSION) {
        throw new PreprocessingFormatException("field 'version' must be " + VERSION + ", was " + version);
      }
      List<ColumnSpec> columns = new ArrayList<>();
      JsonNode cols = array(root, "columns", Preprocessing.MAX_COLUMNS);
      for (int i = 0; i < cols.size(); i++) {
        columns.add(column(cols.get(i), "columns[" + i + "]"));
      }
      return new Preprocessing(text(root, "label"), texts(root, "classes", Preprocessing.MAX_CLASSES), columns);
    } catch (IllegalArgumentException e) {
      throw new PreprocessingFormatException(source + ": invalid preprocessing: " + e.getMessage());
    }
  }

  private static ColumnSpec column(JsonNode node, String where) {
    if (!node.isObject()) {
      throw new PreprocessingFormatException(where + " must be an object");
    }
    String type = text(node, "type");
    if (type.equals("numeric")) {
      fields(node, where, Set.of("name", "type", "scaling", "impute", "center", "scale"));
      Preprocessing.Scaling scaling;
      try {
        scaling = Preprocessing.Scaling.valueOf(text(node, "scaling").toUpperCase(Locale.ROOT));
      } catch (IllegalArgumentException e) {
        throw new PreprocessingFormatException(where + ".scaling must be standardize, minmax or none");
      }
      return new NumericSpec(text(node, "name"), scaling, number(node, "impute", where), number(node, "center", where),
          number(node, "scale", where));
    }
    if (type.equals("categorical")) {
      fields(node, where, Set.of("name", "type", "vocabulary", "missing_to"));
      JsonNode missing = node.get("missing_to");
      if (!missing.isNull() && !missing.isTextual()) {
        throw new PreprocessingFormatException(where + ".missing_to must be a text or null");
      }
      return new CategoricalSpec(text(node, "name"), texts(node, "vocabulary", CategoricalSpec.MAX_VOCABULARY),
          missing.isNull() ? null : missing.textValue());
    }
    throw new PreprocessingFormatException(where + ".type must be numeric or categorical");
  }

  private static void fields(JsonNode node, String where, Set<String> expected) {
    if (!node.isObject()) {
      throw new PreprocessingFormatException(where + " must be a JSON object");
    }
    Set<String> seen = new TreeSet<>();
    for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
      String f = it.next();
      if (!expected.contains(f)) {
        throw new PreprocessingFormatException(where + " has an unknown field '" + truncate(f) + "'");
      }
      seen.add(f);
    }
    for (String f : new TreeSet<>(expected)) {
      if (!seen.contains(f)) {
        throw new PreprocessingFormatException(where + " lacks the field '" + f + "'");
      }
    }
  }

  private static String text(JsonNode node, String field) {
    JsonNode v = node.get(field);
    if (v == null || !v.isTextual()) {
      throw new PreprocessingFormatException("field '" + field + "' must be a text");
    }
    return v.textValue();
  }

  private static double number(JsonNode node, String field, String where) {
    JsonNode v = node.get(field);
    if (!v.isNumber()) {
      throw new PreprocessingFormatException(where + "." + field + " must be a number");
    }
    return v.doubleValue();
  }

  private static JsonNode array(JsonNode node, String field, int max) {
    JsonNode v = node.get(field);
    if (v == null || !v.isArray()) {
      throw new PreprocessingFormatException("field '" + field + "' must be an array");
    }
    if (v.size() > max) {
      throw new PreprocessingFormatException("field '" + field + "' has " + v.size() + " elements, at most " + max
          + " are accepted");
    }
    return v;
  }

  private static List<String> texts(JsonNode node, String field, int max) {
    JsonNode v = array(node, field, max);
    List<String> out = new ArrayList<>(v.size());
    for (JsonNode e : v) {
      if (!e.isTextual()) {
        throw new PreprocessingFormatException("field '" + field + "' must hold only texts");
      }
      out.add(e.textValue());
    }
    return out;
  }

  private static String truncate(String s) {
    return s.length() <= 40 ? s : s.substring(0, 40) + "...";
  }
}
