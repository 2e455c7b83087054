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

  /**
   * A silo's seed for one round of one job, drawn from the silo's own secret: the first 8 bytes of
   * HMAC-SHA256(secret, "fedbeam-silo-seed\n" + job + "\n" + round). The silo can reproduce it; a
   * party without the secret cannot predict it (so it cannot choose how the silo shuffles, samples
   * or noises its data). The simulation mode uses it too when it is given the silos' secrets.
   *
   * @throws IllegalArgumentException if the secret is shorter than 16 bytes
   */
  public static long fromSecret(byte[] secret, String jobId, int round) {
    if (secret == null || secret.length < 16) {
      throw new IllegalArgumentException("a silo secret must have at least 16 bytes, had "
          + (secret == null ? 0 : secret.length));
    }
    try {
      javax.crypto.Mac mac = javax.crypto.Mac.getInstance("HmacSHA256");
      mac.init(new javax.crypto.spec.SecretKeySpec(secret, "HmacSHA256"));
      byte[] h = mac.doFinal(("fedbeam-silo-seed\n" + jobId + "\n" + round)
          .getBytes(java.nio.charset.StandardCharsets.UTF_8));
      return java.nio.ByteBuffer.wrap(h, 0, 8).getLong();
    } catch (java.security.GeneralSecurityException e) {
      throw new IllegalStateException("this JDK has no HmacSHA256: " + e.getMessage(), e);
    }
  }

  private static long mix(long z) {
    z += 0x9E3779B97F4A7C15L;
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }
}
