package org.fedbeam.stats;

/**
 * A global count cell: the sum of the silos' released counts, and whether it is only a lower bound
 * (some silo suppressed its cell, or folded the value into "other").
 *
 * @param value the sum of the released counts, >= 0
 * @param lowerBound whether the true count may be larger
 */
public record Total(long value, boolean lowerBound) implements java.io.Serializable {
  /** @throws IllegalArgumentException if {@code value} is negative */
  public Total {
    if (value < 0) {
      throw new IllegalArgumentException("a total must be >= 0, was " + value);
    }
  }

  /** A silo's cell: its count, or, if suppressed (null), 0 as a lower bound. */
  public static Total of(Long released) {
    return released == null ? new Total(0, true) : new Total(released, false);
  }

  /** The sum of two cells. */
  public Total plus(Total other) {
    return new Total(Math.addExact(value, other.value), lowerBound || other.lowerBound);
  }

  /** The cell as a lower bound. */
  public Total atLeast() {
    return new Total(value, true);
  }

  @Override
  public String toString() {
    return lowerBound ? ">=" + value : Long.toString(value);
  }
}
