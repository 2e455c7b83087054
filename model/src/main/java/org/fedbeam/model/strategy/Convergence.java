package org.fedbeam.model.strategy;

import java.util.List;
import java.util.Locale;

/**
 * Stops when the validation loss has improved by less than {@code tolerance} on its best so far for
 * {@code patience} rounds in a row. Rounds without a validation loss (NaN) neither improve nor
 * count as stale.
 *
 * @param patience rounds without improvement that stop the loop, >= 1
 * @param tolerance the least improvement that counts, >= 0
 */
public record Convergence(int patience, double tolerance) implements StopRule {
  private static final long serialVersionUID = 1L;

  public Convergence {
    if (patience < 1) {
      throw new IllegalArgumentException("patience must be >= 1, was " + patience);
    }
    if (!(tolerance >= 0) || !Double.isFinite(tolerance)) {
      throw new IllegalArgumentException("tolerance must be a finite number >= 0, was " + tolerance);
    }
  }

  @Override
  public String stop(List<Double> validationLosses) {
    double best = Double.POSITIVE_INFINITY;
    int stale = 0;
    for (double loss : validationLosses) {
      if (Double.isNaN(loss)) {
        continue;
      }
      if (loss < best - tolerance) {
        best = loss;
        stale = 0;
      } else if (++stale >= patience) {
        return String.format(Locale.ROOT, "converged: validation loss improved by less than %g for %d rounds", tolerance,
            patience);
      }
    }
    return null;
  }
}
