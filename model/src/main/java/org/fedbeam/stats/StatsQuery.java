package org.fedbeam.stats;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * What federated statistics ask of every silo. A full run is two passes over the silos, each a
 * {@link StatsComputation} with the same query but another {@link Pass}: {@code SUMMARY} (counts,
 * moments, the quantile sketch, category and label counts), then {@code HISTOGRAM} (counts in bins whose
 * edges are fixed and shared: given per column in {@link #histograms}, or derived by {@link
 * #forHistograms} from the first pass's merged sketch). Validated on construction; every bound is
 * named in the error.
 *
 * @param pass which pass this is
 * @param columns the feature columns wanted (empty: all)
 * @param bins how many bins a derived histogram has, 1..{@value #MAX_BINS}
 * @param histograms per numeric column, the fixed edges of its histogram (the HISTOGRAM pass computes
 *     one only for the columns named here)
 * @param ranks the quantile ranks to report, each in [0, 1], at most {@value #MAX_RANKS}
 * @param k the minimum count of a released cell, 1..{@value #MAX_K}
 * @param releaseMinMax whether a silo may release its minimum and maximum (its policy decides)
 * @param significantDigits the significant digits a sketch's items are rounded to, 1..15
 * @param noise the noise added to the release, or {@link Noise#NONE}
 * @param clipping per numeric column, the bounds its values are clipped to before noisy sums
 *     (required for every numeric column when noise is on)
 */
public record StatsQuery(
    Pass pass,
    List<String> columns,
    int bins,
    Map<String, Bins> histograms,
    List<Double> ranks,
    int k,
    boolean releaseMinMax,
    int significantDigits,
    Noise noise,
    Map<String, Clip> clipping) implements java.io.Serializable {
  private static final long serialVersionUID = 1L;
  /** The most bins a histogram may have. */
  public static final int MAX_BINS = 1000;
  /** The most quantile ranks a query may ask for. */
  public static final int MAX_RANKS = 99;
  /** The most columns a query may name. */
  public static final int MAX_COLUMNS = 10_000;
  /** The largest k. */
  public static final int MAX_K = 1_000_000;
  /** The longest column name. */
  public static final int MAX_NAME = 256;
  /** The default quantile ranks. */
  public static final List<Double> DEFAULT_RANKS = List.of(0.05, 0.25, 0.5, 0.75, 0.95);
  /** The ranks whose quantiles bound a derived histogram's edges. */
  public static final double EDGE_LOW_RANK = 0.01;
  /** The ranks whose quantiles bound a derived histogram's edges. */
  public static final double EDGE_HIGH_RANK = 0.99;

  /** The two passes of a statistics run. */
  public enum Pass { SUMMARY, HISTOGRAM }

  /**
   * Fixed histogram edges: {@code bins} equal bins over [lo, hi), plus an underflow bin (below lo) and
   * an overflow bin (hi and above), so a histogram has {@code bins + 2} counts.
   */
  public record Bins(double lo, double hi, int bins) implements java.io.Serializable {
    /** @throws IllegalArgumentException if the edges are not finite, lo >= hi or bins out of range */
    public Bins {
      if (!Double.isFinite(lo) || !Double.isFinite(hi) || !(lo < hi)) {
        throw new IllegalArgumentException("histogram edges must be finite with lo < hi, were " + lo + ", " + hi);
      }
      if (bins < 1 || bins > MAX_BINS) {
        throw new IllegalArgumentException("bins must be in 1.." + MAX_BINS + ", was " + bins);
      }
    }

    /** The index of {@code v}'s count: 0 underflow, 1..bins the bins, bins + 1 overflow. */
    public int index(double v) {
      if (v < lo) {
        return 0;
      }
      if (v >= hi) {
        return bins + 1;
      }
      int i = (int) Math.floor((v - lo) / (hi - lo) * bins);
      return 1 + Math.min(bins - 1, Math.max(0, i));
    }

    /** The lower edge of bin {@code i} in 1..bins (bins + 1: hi). */
    public double edge(int i) {
      return i > bins ? hi : lo + (hi - lo) * (i - 1) / bins;
    }
  }

  /** Clipping bounds for a column's values in noisy sums: lo <= hi, both finite. */
  public record Clip(double lo, double hi) implements java.io.Serializable {
    /** @throws IllegalArgumentException if the bounds are not finite or lo > hi */
    public Clip {
      if (!Double.isFinite(lo) || !Double.isFinite(hi) || lo > hi) {
        throw new IllegalArgumentException("clipping bounds must be finite with lo <= hi, were " + lo + ", " + hi);
      }
    }

    /** The largest absolute value a clipped value can take: a sum's sensitivity. */
    public double bound() {
      return Math.max(Math.abs(lo), Math.abs(hi));
    }
  }

  /**
   * The noise added to a release: none, Laplace (pure epsilon-DP) or Gaussian ((epsilon, delta)-DP,
   * the classic calibration, epsilon < 1). {@code epsilon} is what the whole release of one pass costs.
   */
  public record Noise(String mechanism, double epsilon, double delta) implements java.io.Serializable {
    /** No noise. */
    public static final Noise NONE = new Noise("none", 0, 0);

    /** @throws IllegalArgumentException naming the mechanism, epsilon or delta at fault */
    public Noise {
      switch (mechanism == null ? "" : mechanism) {
        case "none" -> {
          if (epsilon != 0 || delta != 0) {
            throw new IllegalArgumentException("noise 'none' takes no epsilon or delta, had " + epsilon + ", " + delta);
          }
        }
        case "laplace" -> {
          if (!(epsilon > 0 && epsilon <= 100)) {
            throw new IllegalArgumentException("noise.epsilon must be in (0, 100], was " + epsilon);
          }
          if (delta != 0) {
            throw new IllegalArgumentException("noise.delta must be 0 for laplace, was " + delta);
          }
        }
        case "gaussian" -> {
          if (!(epsilon > 0 && epsilon < 1)) {
            throw new IllegalArgumentException("noise.epsilon must be in (0, 1) for gaussian (classic calibration), was "
                + epsilon);
          }
          if (!(delta > 0 && delta < 1e-3)) {
            throw new IllegalArgumentException("noise.delta must be in (0, 0.001), was " + delta);
          }
        }
        default -> throw new IllegalArgumentException("noise.mechanism must be none, laplace or gaussian, was '"
            + mechanism + "'");
      }
    }

    /** Whether any noise is added. */
    public boolean on() {
      return !"none".equals(mechanism);
    }
  }

  /** @throws IllegalArgumentException naming the field out of range */
  public StatsQuery {
    if (pass == null) {
      throw new IllegalArgumentException("pass must be SUMMARY or HISTOGRAM, was null");
    }
    columns = List.copyOf(columns);
    if (columns.size() > MAX_COLUMNS) {
      throw new IllegalArgumentException("columns: at most " + MAX_COLUMNS + ", was " + columns.size());
    }
    if (new HashSet<>(columns).size() != columns.size()) {
      throw new IllegalArgumentException("columns: a column is named twice in " + columns);
    }
    columns.forEach(c -> requireName("columns", c));
    if (bins < 1 || bins > MAX_BINS) {
      throw new IllegalArgumentException("bins must be in 1.." + MAX_BINS + ", was " + bins);
    }
    histograms = sorted("histograms", histograms);
    ranks = List.copyOf(ranks);
    if (ranks.size() > MAX_RANKS) {
      throw new IllegalArgumentException("ranks: at most " + MAX_RANKS + ", was " + ranks.size());
    }
    for (double r : ranks) {
      if (!(r >= 0 && r <= 1)) {
        throw new IllegalArgumentException("ranks: each must be in [0, 1], was " + r);
      }
    }
    if (k < 1 || k > MAX_K) {
      throw new IllegalArgumentException("k must be in 1.." + MAX_K + ", was " + k);
    }
    if (significantDigits < 1 || significantDigits > 15) {
      throw new IllegalArgumentException("significantDigits must be in 1..15, was " + significantDigits);
    }
    if (noise == null) {
      throw new IllegalArgumentException("noise must be given (none, laplace or gaussian), was null");
    }
    clipping = sorted("clipping", clipping);
  }

  private static <V> Map<String, V> sorted(String field, Map<String, V> map) {
    if (map.size() > MAX_COLUMNS) {
      throw new IllegalArgumentException(field + ": at most " + MAX_COLUMNS + " columns, was " + map.size());
    }
    Map<String, V> out = new TreeMap<>();
    map.forEach((name, v) -> {
      requireName(field, name);
      if (v == null) {
        throw new IllegalArgumentException(field + "." + name + " must be given, was null");
      }
      out.put(name, v);
    });
    return java.util.Collections.unmodifiableMap(out);
  }

  static String requireName(String field, String name) {
    if (name == null || name.isBlank() || name.length() > MAX_NAME) {
      throw new IllegalArgumentException(field + ": a column name must be 1.." + MAX_NAME + " characters, was '"
          + name + "'");
    }
    return name;
  }

  /** A first-pass query over all columns: default bins (10) and ranks, no noise, no min/max. */
  public static StatsQuery summary(int k) {
    return new StatsQuery(Pass.SUMMARY, List.of(), 10, Map.of(), DEFAULT_RANKS, k, false, 3, Noise.NONE, Map.of());
  }

  /** This query with {@code pass} and {@code histograms}. */
  public StatsQuery withPass(Pass newPass, Map<String, Bins> newHistograms) {
    return new StatsQuery(newPass, columns, bins, newHistograms, ranks, k, releaseMinMax, significantDigits, noise,
        clipping);
  }

  /**
   * The second pass: this query's histogram edges where given, else, per numeric column of {@code
   * summary}, {@link #bins} bins between the merged sketch's 1% and 99% quantiles (with noise, no
   * sketch is released: the column's clipping bounds). A column whose bounds coincide gets one bin
   * around its value.
   */
  public StatsQuery forHistograms(GlobalStats summary) {
    Map<String, Bins> edges = new TreeMap<>(histograms);
    for (GlobalColumn c : summary.globalColumns()) {
      if (!"numeric".equals(c.type()) || edges.containsKey(c.name())) {
        continue;
      }
      double lo;
      double hi;
      if (c.sketch() != null) {
        lo = c.quantile(EDGE_LOW_RANK).orElseThrow();
        hi = c.quantile(EDGE_HIGH_RANK).orElseThrow();
      } else if (clipping.containsKey(c.name())) {
        lo = clipping.get(c.name()).lo();
        hi = clipping.get(c.name()).hi();
      } else {
        continue;
      }
      int b = bins;
      if (!(hi > lo)) {
        double pad = Math.max(Math.abs(lo) * 1e-6, 1e-9);
        lo -= pad;
        hi = lo + 2 * pad;
        b = 1;
      }
      edges.put(c.name(), new Bins(lo, hi, b));
    }
    return withPass(Pass.HISTOGRAM, edges);
  }

  /** The names of the wanted columns in {@code available}'s order (all when {@link #columns} is empty). */
  public List<String> select(List<String> available) {
    return columns.isEmpty() ? available : new ArrayList<>(columns);
  }
}
