package org.fedbeam.model.privacy;

/**
 * Log-space arithmetic for the accountant: sums of terms that would overflow or underflow a
 * double, and {@code log(erfc(x))} accurate far into the tail (where {@code erfc} itself underflows).
 */
final class LogMath {
  private static final double LOG_SQRT_PI = 0.5 * Math.log(Math.PI);
  private static final double TWO_OVER_SQRT_PI = 2 / Math.sqrt(Math.PI);
  /** Below this, erfc = 1 - erf with erf from its all-positive series; above, a continued fraction. */
  private static final double SERIES_LIMIT = 3.0;

  private LogMath() {}

  /** log(exp(a) + exp(b)), exact for infinite arguments. */
  static double logAdd(double a, double b) {
    double lo = Math.min(a, b);
    double hi = Math.max(a, b);
    if (lo == Double.NEGATIVE_INFINITY) {
      return hi;
    }
    if (hi == Double.POSITIVE_INFINITY) {
      return hi;
    }
    return hi + Math.log1p(Math.exp(lo - hi));
  }

  /** log(exp(a) - exp(b)); NaN unless a > b (the difference would not be positive); a when b is -infinity. */
  static double logSub(double a, double b) {
    if (b == Double.NEGATIVE_INFINITY) {
      return a;
    }
    if (!(a > b)) {
      return Double.NaN;
    }
    return a + Math.log(-Math.expm1(b - a));
  }

  /** log(erfc(x)) for any finite x, to about 1e-12 relative in erfc. */
  static double logErfc(double x) {
    if (x < 0) {
      return Math.log(2 - Math.exp(logErfc(-x)));
    }
    if (x < SERIES_LIMIT) {
      return Math.log1p(-erf(x));
    }
    return -x * x - LOG_SQRT_PI - Math.log(continuedFraction(x));
  }

  /**
   * erf(x) for 0 <= x < 3 by the series (2/sqrt(pi)) e^{-x^2} sum_n (2x^2)^n x / (2n+1)!!, whose
   * terms are all positive (no cancellation).
   */
  private static double erf(double x) {
    double term = x;
    double sum = x;
    double twoX2 = 2 * x * x;
    for (int n = 0; n < 500 && term > 1e-17 * sum; n++) {
      term *= twoX2 / (2 * n + 3);
      sum += term;
    }
    return TWO_OVER_SQRT_PI * Math.exp(-x * x) * sum;
  }

  /**
   * g(x) = x + (1/2)/(x + (2/2)/(x + (3/2)/(x + ...))), so erfc(x) = e^{-x^2} / (sqrt(pi) g(x))
   * (Laplace's continued fraction), evaluated by the modified Lentz method; converges fast for x >= 3.
   */
  private static double continuedFraction(double x) {
    double tiny = 1e-300;
    double f = x;
    double c = x;
    double d = 0;
    for (int j = 1; j < 1000; j++) {
      double a = j / 2.0;
      d = x + a * d;
      d = d == 0 ? tiny : d;
      c = x + a / c;
      c = c == 0 ? tiny : c;
      d = 1 / d;
      double step = c * d;
      f *= step;
      if (Math.abs(step - 1) < 1e-16) {
        break;
      }
    }
    return f;
  }
}
