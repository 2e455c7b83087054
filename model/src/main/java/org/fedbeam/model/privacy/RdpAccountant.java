package org.fedbeam.model.privacy;

/**
 * Privacy spend of DP-SGD: the R&eacute;nyi DP of the sampled Gaussian mechanism (Mironov, Talwar
 * and Zhang 2019, "R&eacute;nyi Differential Privacy of the Sampled Gaussian Mechanism") at a fixed
 * list of orders, composed over steps by adding (Mironov 2017, "R&eacute;nyi Differential
 * Privacy", Proposition 1), and converted to (epsilon, delta). An accountant is a running total: a
 * silo keeps one for its whole life (every job, every submitter) and persists {@link #rdp()}.
 *
 * <p>One step with sampling rate q and noise multiplier sigma has, at order alpha, RDP
 * {@code log(A_alpha) / (alpha - 1)} with {@code A_alpha = E_{z ~ N(0, sigma^2)}[((1 - q) + q
 * exp((2z - 1) / (2 sigma^2)))^alpha]}: for integer alpha by the exact binomial expansion, for
 * fractional alpha by the two series of Mironov, Talwar and Zhang (2019, Section 3.3), both in log
 * space; q = 1 is the plain Gaussian mechanism, {@code alpha / (2 sigma^2)}. This is the analysis
 * of TensorFlow Privacy and Opacus (fractional orders with signed coefficients, as Opacus).
 *
 * <p>The conversion to (epsilon, delta) is the improved one of Balle et al. 2020 ("Hypothesis
 * testing interpretations and R&eacute;nyi differential privacy", Theorem 21) and Canonne, Kamath
 * and Steinke 2020, as Opacus's {@code get_privacy_spent} and Google's {@code dp_accounting} do:
 * {@code epsilon = min over alpha of rdp + log((alpha - 1) / alpha) - (log delta + log alpha) /
 * (alpha - 1)}, never below 0. It is tighter than Mironov 2017's {@code rdp - log(delta) /
 * (alpha - 1)} ({@link #classicEpsilon}) and equally rigorous.
 *
 * <p>Instances are not thread-safe.
 */
public final class RdpAccountant {
  private static final double[] ORDERS = buildOrders();
  /** Terms of the fractional-order series before giving up on an order (it then counts as infinite). */
  private static final int MAX_SERIES_TERMS = 1000;

  private final double[] rdp;

  /** The RDP orders the accountant tracks (fixed: a persisted {@link #rdp()} is indexed by them). */
  public static double[] orders() {
    return ORDERS.clone();
  }

  /**
   * 1.1, 1.2, ..., 10.9 (as Opacus and TF Privacy: {@code 1 + x / 10}), then every integer 11 to 64,
   * then 80, 96, 128 and 256 for the long tail of small spends.
   */
  private static double[] buildOrders() {
    double[] o = new double[99 + 54 + 4];
    int n = 0;
    for (int x = 1; x < 100; x++) {
      o[n++] = 1 + x / 10.0;
    }
    for (int a = 11; a <= 64; a++) {
      o[n++] = a;
    }
    for (int a : new int[] {80, 96, 128, 256}) {
      o[n++] = a;
    }
    return o;
  }

  /** A fresh accountant: nothing spent. */
  public RdpAccountant() {
    this.rdp = new double[ORDERS.length];
  }

  private RdpAccountant(double[] rdp) {
    this.rdp = rdp;
  }

  /**
   * An accountant that continues from a persisted {@link #rdp()} (one value per order).
   *
   * @throws IllegalArgumentException if there is not one value per order, or a value is negative or NaN
   */
  public static RdpAccountant fromRdp(double[] rdp) {
    if (rdp == null || rdp.length != ORDERS.length) {
      throw new IllegalArgumentException("a persisted RDP must have one value per order (" + ORDERS.length + "), had "
          + (rdp == null ? "none" : rdp.length));
    }
    for (int i = 0; i < rdp.length; i++) {
      if (!(rdp[i] >= 0)) {
        throw new IllegalArgumentException("persisted RDP at order " + ORDERS[i] + " must be >= 0, was " + rdp[i]);
      }
    }
    return new RdpAccountant(rdp.clone());
  }

  /**
   * Adds {@code steps} steps of the sampled Gaussian mechanism, sampling rate {@code q}, noise
   * multiplier {@code sigma}. Returns this accountant.
   *
   * @throws IllegalArgumentException if q is not in [0, 1], sigma is not a finite number > 0, or steps < 0
   */
  public RdpAccountant add(double q, double sigma, long steps) {
    if (!(q >= 0 && q <= 1)) {
      throw new IllegalArgumentException("sampling rate q must be in [0, 1], was " + q);
    }
    if (!(sigma > 0) || !Double.isFinite(sigma)) {
      throw new IllegalArgumentException("noise multiplier sigma must be a finite number > 0, was " + sigma);
    }
    if (steps < 0) {
      throw new IllegalArgumentException("steps must be >= 0, was " + steps);
    }
    if (steps == 0 || q == 0) {
      return this;
    }
    for (int i = 0; i < ORDERS.length; i++) {
      rdp[i] += steps * rdpOfOneStep(q, sigma, ORDERS[i]);
    }
    return this;
  }

  /** The accumulated RDP, one value per {@link #orders()} entry (a copy). */
  public double[] rdp() {
    return rdp.clone();
  }

  /**
   * The smallest epsilon over the orders at which the total spend is (epsilon, delta)-DP, by the
   * improved conversion (see the class comment).
   *
   * @throws IllegalArgumentException if delta is not in (0, 1)
   */
  public double epsilon(double delta) {
    return epsilon(ORDERS, rdp, delta);
  }

  /**
   * The improved conversion of RDP values {@code rdp} at {@code orders} (all > 1) to epsilon at
   * {@code delta}: {@code min over alpha of rdp + log1p(-1/alpha) - log(delta * alpha) / (alpha - 1)},
   * or 0 when the KL bound {@code delta^2 >= 1 - exp(-rdp)} already gives epsilon 0; never below 0.
   */
  public static double epsilon(double[] orders, double[] rdp, double delta) {
    checkConversion(orders, rdp, delta);
    double best = Double.POSITIVE_INFINITY;
    for (int i = 0; i < orders.length; i++) {
      double a = orders[i];
      double r = rdp[i];
      double eps;
      if (delta * delta + Math.expm1(-r) > 0) {
        eps = 0;
      } else {
        eps = r + Math.log1p(-1 / a) - Math.log(delta * a) / (a - 1);
      }
      best = Math.min(best, eps);
    }
    return Math.max(0, best);
  }

  /**
   * Mironov 2017's original conversion (Proposition 3), {@code min over alpha of rdp - log(delta) /
   * (alpha - 1)}: looser than {@link #epsilon(double[], double[], double)}; kept to compare with
   * figures published before the improved conversion.
   */
  public static double classicEpsilon(double[] orders, double[] rdp, double delta) {
    checkConversion(orders, rdp, delta);
    double best = Double.POSITIVE_INFINITY;
    for (int i = 0; i < orders.length; i++) {
      best = Math.min(best, rdp[i] - Math.log(delta) / (orders[i] - 1));
    }
    return Math.max(0, best);
  }

  private static void checkConversion(double[] orders, double[] rdp, double delta) {
    if (!(delta > 0 && delta < 1)) {
      throw new IllegalArgumentException("delta must be in (0, 1), was " + delta);
    }
    if (orders.length != rdp.length || orders.length == 0) {
      throw new IllegalArgumentException("need one RDP value per order, had " + rdp.length + " for " + orders.length);
    }
    for (double a : orders) {
      if (!(a > 1)) {
        throw new IllegalArgumentException("RDP orders must be > 1, was " + a);
      }
    }
  }

  /**
   * RDP at order {@code alpha} (> 1) of ONE step of the sampled Gaussian mechanism; +infinity if
   * the fractional series does not converge.
   */
  public static double rdpOfOneStep(double q, double sigma, double alpha) {
    if (!(alpha > 1)) {
      throw new IllegalArgumentException("RDP order must be > 1, was " + alpha);
    }
    if (q == 0) {
      return 0;
    }
    if (q == 1) {
      return alpha / (2 * sigma * sigma);
    }
    if (Double.isInfinite(alpha)) {
      return Double.POSITIVE_INFINITY;
    }
    double logA = alpha == Math.rint(alpha) ? logAInteger(q, sigma, (int) alpha) : logAFractional(q, sigma, alpha);
    return logA / (alpha - 1);
  }

  /** log A_alpha for integer alpha: log sum_i C(alpha, i) q^i (1-q)^(alpha-i) exp((i^2 - i) / (2 sigma^2)). */
  private static double logAInteger(double q, double sigma, int alpha) {
    double logQ = Math.log(q);
    double log1mQ = Math.log1p(-q);
    double twoSigma2 = 2 * sigma * sigma;
    double logA = Double.NEGATIVE_INFINITY;
    double logBinom = 0; // log C(alpha, i), updated term by term
    for (int i = 0; i <= alpha; i++) {
      if (i > 0) {
        logBinom += Math.log(alpha - i + 1) - Math.log(i);
      }
      double term = logBinom + i * logQ + (alpha - i) * log1mQ + ((double) i * i - i) / twoSigma2;
      logA = LogMath.logAdd(logA, term);
    }
    return logA;
  }

  /**
   * log A_alpha for fractional alpha: A_alpha = A0 + A1, the integrals over z <= z0 and z >= z0
   * with {@code z0 = sigma^2 log(1/q - 1) + 1/2}, each a binomial series (generalised binomial
   * coefficients, whose sign alternates past alpha) whose terms carry a Gaussian tail {@code erfc}.
   * Summed with their signs, as Opacus does, until both series decrease and their terms are below
   * e^-30 of the total. Should a signed partial sum ever fail to stay positive in floating point,
   * the order is computed again with every term counted positive, an upper bound (as Google's
   * dp_accounting always does).
   */
  private static double logAFractional(double q, double sigma, double alpha) {
    double signed = logAFractional(q, sigma, alpha, true);
    return Double.isNaN(signed) ? logAFractional(q, sigma, alpha, false) : signed;
  }

  /** The two series; NaN if {@code signed} and a partial sum stops being positive. */
  private static double logAFractional(double q, double sigma, double alpha, boolean signed) {
    double logA0 = Double.NEGATIVE_INFINITY;
    double logA1 = Double.NEGATIVE_INFINITY;
    double z0 = sigma * sigma * Math.log(1 / q - 1) + 0.5;
    double logQ = Math.log(q);
    double log1mQ = Math.log1p(-q);
    double twoSigma2 = 2 * sigma * sigma;
    double sqrt2Sigma = Math.sqrt(2) * sigma;
    double logHalf = Math.log(0.5);
    double lastS0 = Double.NEGATIVE_INFINITY;
    double lastS1 = Double.NEGATIVE_INFINITY;
    double logBinom = 0; // log |C(alpha, i)|, generalised binomial coefficient
    boolean positive = true; // the sign of C(alpha, i)
    for (int i = 0; i < MAX_SERIES_TERMS; i++) {
      if (i > 0) {
        logBinom += Math.log(Math.abs(alpha - i + 1)) - Math.log(i);
        positive = positive == (alpha - i + 1 > 0);
      }
      double j = alpha - i;
      double logT0 = logBinom + i * logQ + j * log1mQ;
      double logT1 = logBinom + j * logQ + i * log1mQ;
      double logE0 = logHalf + LogMath.logErfc((i - z0) / sqrt2Sigma);
      double logE1 = logHalf + LogMath.logErfc((z0 - j) / sqrt2Sigma);
      double logS0 = logT0 + ((double) i * i - i) / twoSigma2 + logE0;
      double logS1 = logT1 + (j * j - j) / twoSigma2 + logE1;
      if (positive || !signed) {
        logA0 = LogMath.logAdd(logA0, logS0);
        logA1 = LogMath.logAdd(logA1, logS1);
      } else {
        logA0 = LogMath.logSub(logA0, logS0);
        logA1 = LogMath.logSub(logA1, logS1);
        if (Double.isNaN(logA0) || Double.isNaN(logA1)) {
          return Double.NaN;
        }
      }
      double total = LogMath.logAdd(logA0, logA1);
      if (logS0 < lastS0 && logS1 < lastS1 && Math.max(logS0, logS1) < total - 30) {
        return total;
      }
      lastS0 = logS0;
      lastS1 = logS1;
    }
    return Double.POSITIVE_INFINITY;
  }

  /**
   * The steps and sampling rate of one local training call: {@code q = min(1, batchSize / rows)},
   * {@code steps = epochs * max(1, round(rows / batchSize))}. The learner takes exactly these steps
   * under DP, so a silo can account for a request before it trains.
   */
  public record Plan(double q, long steps) {
    /** The plan of {@code epochs} epochs over {@code rows} rows in batches of {@code batchSize} (expected). */
    public static Plan of(int batchSize, int epochs, int rows) {
      double q = Math.min(1.0, (double) batchSize / rows);
      long perEpoch = Math.max(1, Math.round((double) rows / batchSize));
      return new Plan(q, epochs * perEpoch);
    }
  }

  /**
   * The smallest noise multiplier (to within 0.1%) at which {@code calls} training calls of
   * {@code plan} each, from a fresh accountant, spend at most {@code epsilon} at {@code delta}
   * (binary search; the spend falls as sigma grows).
   *
   * @throws IllegalArgumentException if epsilon is not > 0 or no sigma up to 1e4 reaches it
   */
  public static double calibrateSigma(Plan plan, long calls, double epsilon, double delta) {
    if (!(epsilon > 0) || !Double.isFinite(epsilon)) {
      throw new IllegalArgumentException("target epsilon must be a finite number > 0, was " + epsilon);
    }
    if (calls < 1) {
      throw new IllegalArgumentException("calls must be >= 1, was " + calls);
    }
    long steps = Math.multiplyExact(plan.steps(), calls);
    double lo = 0.01;
    double hi = 1e4;
    if (spend(plan.q(), hi, steps, delta) > epsilon) {
      throw new IllegalArgumentException("no noise multiplier up to " + hi + " keeps " + steps + " steps at q="
          + plan.q() + " within epsilon " + epsilon + " at delta " + delta);
    }
    while (hi / lo > 1.001) {
      double mid = Math.sqrt(lo * hi);
      if (spend(plan.q(), mid, steps, delta) > epsilon) {
        lo = mid;
      } else {
        hi = mid;
      }
    }
    return hi;
  }

  private static double spend(double q, double sigma, long steps, double delta) {
    return new RdpAccountant().add(q, sigma, steps).epsilon(delta);
  }
}
