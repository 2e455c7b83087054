package org.fedbeam.pipelines.federated;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Set;
import java.util.TreeSet;
import org.fedbeam.transforms.TablePreparation;

/**
 * The silo policy's optional {@code preprocessing} section: the bounds a request's preprocessing must
 * keep for a silo whose data is a prepared table, and how the silo disarms a crafted one
 * ({@link TablePreparation}):
 *
 * <pre>
 *   "preprocessing": {"max_columns": 1024, "max_vocabulary": 1000, "min_category_count": 10, "max_abs_input": 1000}
 * </pre>
 *
 * Every field is optional (these are the defaults). {@code min_category_count} is k: a category value
 * or a class the silo holds in fewer than k records is folded into "other" (a class: its rows are
 * left out) before training; {@code max_abs_input} bounds every model input. A field not listed, or
 * a value out of range, is an error naming the policy file and the field.
 */
final class PreprocessingPolicy {
  static final Set<String> FIELDS = Set.of("max_columns", "max_vocabulary", "min_category_count", "max_abs_input");

  private PreprocessingPolicy() {}

  static TablePreparation.Limits parse(JsonNode policy, String where) {
    JsonNode n = policy.get("preprocessing");
    TablePreparation.Limits d = TablePreparation.Limits.defaults();
    if (n == null) {
      return d;
    }
    String at = where + ": preprocessing";
    if (!n.isObject()) {
      throw new IllegalArgumentException(at + " must be an object with " + new TreeSet<>(FIELDS));
    }
    n.fieldNames().forEachRemaining(f -> {
      if (!FIELDS.contains(f)) {
        throw new IllegalArgumentException(at + " has an unknown field \"" + f + "\"; known: " + new TreeSet<>(FIELDS));
      }
    });
    try {
      return new TablePreparation.Limits((int) whole(n, "max_columns", d.maxColumns(), 1, 1 << 16, at),
          (int) whole(n, "max_vocabulary", d.maxVocabulary(), 0, 1 << 16, at),
          whole(n, "min_category_count", d.minCategoryCount(), 1, Long.MAX_VALUE, at),
          number(n, "max_abs_input", d.maxAbsInput(), at));
    } catch (IllegalArgumentException e) {
      throw e.getMessage().startsWith(where) ? e : new IllegalArgumentException(where + ": " + e.getMessage(), e);
    }
  }

  private static long whole(JsonNode n, String field, long fallback, long min, long max, String at) {
    JsonNode v = n.get(field);
    if (v == null) {
      return fallback;
    }
    if (!v.isIntegralNumber() || !v.canConvertToLong() || v.asLong() < min || v.asLong() > max) {
      throw new IllegalArgumentException(at + "." + field + " must be a whole number in [" + min + ", " + max + "], was "
          + v);
    }
    return v.asLong();
  }

  private static double number(JsonNode n, String field, double fallback, String at) {
    JsonNode v = n.get(field);
    if (v == null) {
      return fallback;
    }
    if (!v.isNumber() || !(v.asDouble() > 0) || !Double.isFinite(v.asDouble())) {
      throw new IllegalArgumentException(at + "." + field + " must be a finite number > 0, was " + v);
    }
    return v.asDouble();
  }
}
