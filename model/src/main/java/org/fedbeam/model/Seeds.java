package org.fedbeam.model;

/**
 * Derives independent, reproducible seeds from the run's one seed, so every silo and every round
 * draws its own stream of random numbers (SplitMix64 finalizer; Steele, Lea and Flood 2014).
 */
public final class Seeds {
  private Seeds() {}

  /** A seed for the stream named by {@code purpose} and the given coordinates (round, silo, ...). */
  public static long derive(long seed, String purpose, long... coordinates) {
    long h = mix(seed ^ 0x9E3779B97F4A7C15L);
    for (int i = 0; i < purpose.length(); i++) {
      h = mix(h ^ purpose.charAt(i));
    }
    for (long c : coordinates) {
      h = mix(h ^ c);
    }
    return h;
  }

  private static long mix(long z) {
    z += 0x9E3779B97F4A7C15L;
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }
}
