package org.fedbeam.stats;

import java.util.Base64;
import org.apache.datasketches.kll.KllDoublesSketch;
import org.apache.datasketches.memory.Memory;

/**
 * The quantile sketch of federated statistics: Apache DataSketches' KLL sketch of doubles (Karnin,
 * Lang and Liberty 2016), with k = {@value #K}, serialized compactly and base64-encoded. Its
 * normalized rank error is {@link KllDoublesSketch#getNormalizedRankError(int, boolean)} (about 1.33%
 * at k = 200, with 99% confidence), and it stays so when sketches are merged.
 */
public final class Sketches {
  /** The sketch's size parameter. */
  public static final int K = 200;
  /** The longest serialized sketch accepted (base64 characters). */
  public static final int MAX_CHARS = 1 << 20;

  private Sketches() {}

  /**
   * DataSketches draws KLL's compaction coin from one static, unseeded {@link java.util.Random}
   * ({@code KllSketch.random}), so the same values would give a different sketch in every run. FedBeam
   * seeds that coin for each sketch it builds or merges, holding this lock (every use of KLL in FedBeam
   * goes through this class), so a release and its merge are reproducible.
   */
  private static final java.util.Random COIN = kllCoin();

  private static java.util.Random kllCoin() {
    try {
      java.lang.reflect.Field f = Class.forName("org.apache.datasketches.kll.KllSketch").getDeclaredField("random");
      f.setAccessible(true);
      return (java.util.Random) f.get(null);
    } catch (ReflectiveOperationException | RuntimeException e) {
      throw new IllegalStateException("cannot seed DataSketches' KLL coin (KllSketch.random): " + e, e);
    }
  }

  /** A sketch of {@code values}, its compaction coin seeded with {@code seed}. */
  public static KllDoublesSketch of(double[] values, long seed) {
    synchronized (COIN) {
      COIN.setSeed(seed);
      KllDoublesSketch s = KllDoublesSketch.newHeapInstance(K);
      for (double v : values) {
        s.update(v);
      }
      return s;
    }
  }

  /** The sketch, serialized and base64-encoded. */
  public static String encode(KllDoublesSketch sketch) {
    return Base64.getEncoder().encodeToString(sketch.toByteArray());
  }

  /**
   * A sketch decoded from {@link #encode}'s form, checked: its k is {@value #K}, it is not empty, its
   * extreme items are finite and it holds {@code expectedN} items (any number if negative).
   *
   * @throws IllegalArgumentException naming {@code where} if it is malformed or inconsistent
   */
  public static KllDoublesSketch decode(String base64, long expectedN, String where) {
    if (base64.length() > MAX_CHARS) {
      throw new IllegalArgumentException(where + ": sketch must be at most " + MAX_CHARS + " characters, had "
          + base64.length());
    }
    KllDoublesSketch s;
    try {
      s = KllDoublesSketch.heapify(Memory.wrap(Base64.getDecoder().decode(base64)));
    } catch (RuntimeException e) {
      throw new IllegalArgumentException(where + ": sketch is not a KLL doubles sketch (" + e.getMessage() + ")");
    }
    if (s.getK() != K) {
      throw new IllegalArgumentException(where + ": sketch k must be " + K + ", was " + s.getK());
    }
    if (s.isEmpty() || expectedN >= 0 && s.getN() != expectedN) {
      throw new IllegalArgumentException(where + ": sketch must hold the column's count " + expectedN + " of items, held "
          + s.getN());
    }
    if (!Double.isFinite(s.getMinItem()) || !Double.isFinite(s.getMaxItem())) {
      throw new IllegalArgumentException(where + ": sketch items must be finite");
    }
    return s;
  }

  /** The union of two sketches (KLL's own merge); neither is changed. */
  public static KllDoublesSketch merge(KllDoublesSketch a, KllDoublesSketch b) {
    byte[] x = a.toByteArray();
    byte[] y = b.toByteArray();
    synchronized (COIN) {
      // the coin's seed is a function of the two sketches, so the same merge gives the same union
      COIN.setSeed(31L * java.util.Arrays.hashCode(x) + java.util.Arrays.hashCode(y));
      KllDoublesSketch u = KllDoublesSketch.newHeapInstance(K);
      u.merge(a);
      u.merge(b);
      return u;
    }
  }
}
