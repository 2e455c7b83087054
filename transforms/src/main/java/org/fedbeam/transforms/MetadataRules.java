package org.fedbeam.transforms;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.Serializable;
import java.math.BigDecimal;
import java.math.MathContext;
import java.math.RoundingMode;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The range and precision of every metadata field an update may carry out of a silo, so that no
 * field is a free 64-bit channel: an integer field leaves as an integer within its range; a
 * decimal field leaves rounded to its significant digits (half-even), then checked against its
 * range. The {@link GuardEgress} rebuilds the metadata that leaves from these numbers only.
 *
 * <p>The defaults ({@link #DEFAULTS}) hold one line per known field; a silo's policy may narrow
 * or move a range ({@code metadata_rules}), and {@code samples} is always capped by the sample
 * count the silo declared ({@link #withSamples}).
 */
public record MetadataRules(Map<String, Rule> rules) implements Serializable {
  /**
   * One field's rule.
   *
   * @param min the least value that may leave
   * @param max the largest value that may leave
   * @param significantDigits 0 for an integer field, else the significant digits kept (1 to 15)
   */
  public record Rule(double min, double max, int significantDigits) implements Serializable {
    public Rule {
      if (!(min <= max) || Double.isNaN(min) || Double.isNaN(max)) {
        throw new IllegalArgumentException("a metadata rule's min must be <= max, was [" + min + ", " + max + "]");
      }
      if (significantDigits < 0 || significantDigits > 15) {
        throw new IllegalArgumentException("significant_digits must be 0 (an integer) to 15, was " + significantDigits);
      }
      if (significantDigits == 0 && (Math.abs(min) > MAX_EXACT || Math.abs(max) > MAX_EXACT)) {
        throw new IllegalArgumentException("an integer metadata range must lie within +-2^53, was [" + min + ", " + max + "]");
      }
    }

    /** An integer field within [min, max]. */
    public static Rule integer(long min, long max) {
      return new Rule(min, max, 0);
    }

    /** A decimal field rounded to {@code digits} significant digits, within [min, max]. */
    public static Rule significant(int digits, double min, double max) {
      return new Rule(min, max, digits);
    }

    /**
     * The value that may leave for {@code v}, or null if it may not: not a finite number, not an
     * integer for an integer field, or (after rounding) outside the range.
     */
    public Number apply(JsonNode v) {
      if (v == null || !v.isNumber() || !Double.isFinite(v.asDouble())) {
        return null;
      }
      if (significantDigits == 0) {
        if (!v.isIntegralNumber() || !v.canConvertToLong()) {
          return null;
        }
        long x = v.asLong();
        return x >= min && x <= max ? x : null;
      }
      double rounded = new BigDecimal(v.asDouble()).round(new MathContext(significantDigits, RoundingMode.HALF_EVEN))
          .doubleValue();
      return rounded >= min && rounded <= max ? rounded : null;
    }
  }

  /** 2^53: integers beyond it are not exact as the doubles metadata travels as. */
  static final double MAX_EXACT = 9007199254740992.0;

  /**
   * The rule of every known field when the policy writes none: one line each. {@code samples}'s
   * upper bound is replaced by the silo's declared count.
   */
  public static final Map<String, Rule> DEFAULTS = Map.of(
      "samples", Rule.integer(1, (long) MAX_EXACT),
      "train_loss", Rule.significant(4, 0, 1e6),
      "train_ms", Rule.integer(0, 7L * 24 * 3600 * 1000),
      "epsilon_spent", Rule.significant(4, 0, 1000));

  public MetadataRules {
    rules = Map.copyOf(rules);
  }

  /** The defaults. */
  public static MetadataRules defaults() {
    return new MetadataRules(DEFAULTS);
  }

  /** These rules with {@code field}'s rule replaced. */
  public MetadataRules with(String field, Rule rule) {
    Map<String, Rule> all = new LinkedHashMap<>(rules);
    all.put(field, rule);
    return new MetadataRules(all);
  }

  /** These rules with {@code samples} an integer in [minSamples, declared]. */
  public MetadataRules withSamples(long minSamples, long declared) {
    if (declared < minSamples) {
      throw new IllegalArgumentException("the declared sample count " + declared + " is below min_samples " + minSamples);
    }
    return with("samples", Rule.integer(minSamples, declared));
  }

  /** The rule of {@code field}, or null if it has none (and then may not leave). */
  public Rule rule(String field) {
    return rules.get(field);
  }
}
