package org.fedbeam.model.privacy;

/**
 * Privacy spend of DP-SGD: the R&eacute;nyi DP of the sampled Gaussian mechanism (Mironov, Talwar
 * and Zhang 2019) at a fixed list of orders, composed over steps by adding, and converted to
 * (epsilon, delta). An accountant is a running total: a silo keeps one for its whole life (every
 * job, every submitter) and persists {@link #rdp()}.
 *
 * <p>SEAM, to be implemented on branch 'dp': the signatures are fixed so that the silo side can be
 * written against them.
 */
public final class RdpAccountant {
  /** The RDP orders the accountant tracks (fixed: a persisted {@link #rdp()} is indexed by them). */
  public static double[] orders() {
    throw new UnsupportedOperationException("implemented on branch 'dp'");
  }

  /** A fresh accountant: nothing spent. */
  public RdpAccountant() {}

  /** An accountant that continues from a persisted {@link #rdp()} (one value per order). */
  public static RdpAccountant fromRdp(double[] rdp) {
    throw new UnsupportedOperationException("implemented on branch 'dp'");
  }

  /** Adds {@code steps} steps of the sampled Gaussian mechanism, sampling rate {@code q}, noise multiplier {@code sigma}. */
  public RdpAccountant add(double q, double sigma, long steps) {
    throw new UnsupportedOperationException("implemented on branch 'dp'");
  }

  /** The accumulated RDP, one value per {@link #orders()} entry (a copy). */
  public double[] rdp() {
    throw new UnsupportedOperationException("implemented on branch 'dp'");
  }

  /** The smallest epsilon over the orders at which the total spend is (epsilon, delta)-DP. */
  public double epsilon(double delta) {
    throw new UnsupportedOperationException("implemented on branch 'dp'");
  }

  /**
   * The steps and sampling rate of one local training call: {@code q = min(1, batchSize / rows)},
   * {@code steps = epochs * max(1, round(rows / batchSize))}. The learner takes exactly these steps
   * under DP, so a silo can account for a request before it trains.
   */
  public record Plan(double q, long steps) {
    public static Plan of(org.fedbeam.model.TrainConfig config, int rows) {
      double q = Math.min(1.0, (double) config.batchSize() / rows);
      long perEpoch = Math.max(1, Math.round((double) rows / config.batchSize()));
      return new Plan(q, config.epochs() * perEpoch);
    }
  }

  /** Epsilon of one training call (a fresh accountant): a convenience over {@link #add} and {@link #epsilon}. */
  public static double epsilon(org.fedbeam.model.TrainConfig config, int rows, double delta) {
    Plan plan = Plan.of(config, rows);
    return new RdpAccountant().add(plan.q(), config.privacy().noiseMultiplier(), plan.steps()).epsilon(delta);
  }
}
