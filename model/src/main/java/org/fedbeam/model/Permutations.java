package org.fedbeam.model;

import java.util.SplittableRandom;

/** Seeded random orders of row indices. */
public final class Permutations {
  private Permutations() {}

  /** {@code 0, 1, ..., n-1}. */
  public static int[] identity(int n) {
    int[] order = new int[n];
    for (int i = 0; i < n; i++) {
      order[i] = i;
    }
    return order;
  }

  /** Shuffles {@code order} in place (Fisher-Yates), drawing from {@code random}. */
  public static void shuffle(int[] order, SplittableRandom random) {
    for (int i = order.length - 1; i > 0; i--) {
      int j = random.nextInt(i + 1);
      int t = order[i];
      order[i] = order[j];
      order[j] = t;
    }
  }
}
