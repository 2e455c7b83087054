package org.fedbeam.model.strategy;

import java.util.Locale;

/**
 * One parameter of a strategy: its job-file name ({@code server_lr}; the command line's flag is the
 * kebab-case {@code --server-lr}), its default, the range it must lie in and what it means.
 *
 * @param name the job-file name, snake_case
 * @param defaultValue the value when none is given
 * @param min the lower bound
 * @param minOpen whether {@code min} itself is excluded
 * @param max the upper bound
 * @param maxOpen whether {@code max} itself is excluded
 * @param integer whether the value must be a whole number
 * @param help one line for {@code --help} and the docs
 */
public record StrategyParam(String name, double defaultValue, double min, boolean minOpen, double max,
    boolean maxOpen, boolean integer, String help) implements java.io.Serializable {

  /** A number in {@code [min, max]}, either end excluded as flagged. */
  public static StrategyParam real(String name, double defaultValue, double min, boolean minOpen, double max,
      boolean maxOpen, String help) {
    return new StrategyParam(name, defaultValue, min, minOpen, max, maxOpen, false, help);
  }

  /** A whole number in {@code [min, max]}. */
  public static StrategyParam whole(String name, int defaultValue, int min, int max, String help) {
    return new StrategyParam(name, defaultValue, min, false, max, false, true, help);
  }

  /** The command line's flag: {@code --server-lr} for {@code server_lr}. */
  public String flag() {
    return "--" + name.replace('_', '-');
  }

  /** The range in interval notation, e.g. {@code (0, 1]}. */
  public String range() {
    return (minOpen ? "(" : "[") + number(min) + ", " + number(max) + (maxOpen ? ")" : "]");
  }

  /**
   * Checks {@code value} for strategy {@code strategy}.
   *
   * @throws IllegalArgumentException naming the strategy, the parameter, the range and the value
   */
  public double check(String strategy, double value) {
    boolean ok = Double.isFinite(value) && (minOpen ? value > min : value >= min) && (maxOpen ? value < max : value <= max);
    if (!ok) {
      throw new IllegalArgumentException("strategy " + strategy + ": " + name + " must be " + (integer ? "a whole number " : "")
          + "in " + range() + ", was " + number(value));
    }
    if (integer && value != Math.rint(value)) {
      throw new IllegalArgumentException("strategy " + strategy + ": " + name + " must be a whole number, was " + number(value));
    }
    return value;
  }

  static String number(double v) {
    if (v == Math.rint(v) && Math.abs(v) < 1e15) {
      return String.valueOf((long) v);
    }
    if (Double.isInfinite(v)) {
      return v > 0 ? "inf" : "-inf";
    }
    return String.format(Locale.ROOT, "%s", v);
  }
}
