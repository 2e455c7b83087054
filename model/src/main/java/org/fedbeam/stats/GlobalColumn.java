package org.fedbeam.stats;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalDouble;
import org.apache.datasketches.kll.KllDoublesSketch;
import org.fedbeam.data.table.ColumnFacts;

/**
 * One column's statistics merged over silos. Counts are sums of the released counts, each flagged
 * as a lower bound where a silo suppressed it; moments are merged exactly ({@link Moments#merge});
 * sketches with KLL's own merge; histograms bin by bin (the edges must agree); min and max only if
 * every silo released them. {@code partial}: some silo released no moments, sketch or histogram for
 * it (fewer than k values, or suppressed), so those are of the other silos only.
 */
public record GlobalColumn(
    String name,
    String type,
    Total countTotal,
    Total missingTotal,
    Moments moments,
    boolean partial,
    Double minValue,
    Double maxValue,
    StatsQuery.Bins bins,
    List<Total> histogram,
    String sketch,
    Map<String, Total> categoryTotals,
    Total other) implements ColumnFacts, java.io.Serializable {

  /** @throws IllegalArgumentException if the histogram does not match its bins */
  public GlobalColumn {
    if ((bins == null) != (histogram == null) || histogram != null && histogram.size() != bins.bins() + 2) {
      throw new IllegalArgumentException("column '" + name + "': a histogram needs bins + 2 counts");
    }
    histogram = histogram == null ? null : List.copyOf(histogram);
    categoryTotals = categoryTotals == null ? null : Collections.unmodifiableMap(new LinkedHashMap<>(categoryTotals));
  }

  /** One silo's release of the column. */
  static GlobalColumn of(SiloStats.ColumnStats c) {
    boolean hasValues = c.count() == null || c.count() > 0;
    boolean partial = hasValues && (c.moments() == null && c.categories() == null);
    List<Total> hist = c.histogram() == null ? null : c.histogram().stream().map(Total::of).toList();
    Map<String, Total> cats = null;
    Total other = null;
    if (c.categories() != null) {
      cats = new LinkedHashMap<>();
      for (Map.Entry<String, Long> e : c.categories().values().entrySet()) {
        cats.put(e.getKey(), new Total(e.getValue(), false));
      }
      other = Total.of(c.categories().other());
    }
    return new GlobalColumn(c.name(), c.type(), Total.of(c.count()), Total.of(c.missing()), c.moments(), partial,
        c.min(), c.max(), c.bins(), hist, c.sketch(), cats, other);
  }

  /**
   * Both groups of silos' column merged.
   *
   * @param mine the silos this column is from, named in errors; {@code theirs} those of {@code o}
   */
  GlobalColumn merge(GlobalColumn o, String mine, String theirs) {
    if (!type.equals(o.type)) {
      throw new IllegalArgumentException("column '" + name + "' is " + type + " in silo " + mine + " but " + o.type
          + " in silo " + theirs);
    }
    if (bins != null && o.bins != null && !bins.equals(o.bins)) {
      throw new IllegalArgumentException("column '" + name + "': histogram edges " + bins + " in silo " + mine
          + " but " + o.bins + " in silo " + theirs);
    }
    Moments m = moments == null ? o.moments : o.moments == null ? moments : moments.merge(o.moments);
    boolean part = partial || o.partial || (moments == null) != (o.moments == null) && "numeric".equals(type);
    List<Total> hist = mergeHistograms(o);
    part |= (histogram == null) != (o.histogram == null);
    String sk = sketch == null ? o.sketch : o.sketch == null ? sketch
        : Sketches.encode(Sketches.merge(sketchOf(), o.sketchOf()));
    part |= (sketch == null) != (o.sketch == null) && "numeric".equals(type) && m != null;
    Double lo = minValue != null && o.minValue != null ? Double.valueOf(Math.min(minValue, o.minValue)) : null;
    Double hi = maxValue != null && o.maxValue != null ? Double.valueOf(Math.max(maxValue, o.maxValue)) : null;
    Map<String, Total> cats = null;
    Total oth = null;
    if (categoryTotals != null || o.categoryTotals != null) {
      cats = mergeCategories(o);
      oth = (other == null ? new Total(0, true) : other).plus(o.other == null ? new Total(0, true) : o.other);
    }
    return new GlobalColumn(name, type, countTotal.plus(o.countTotal), missingTotal.plus(o.missingTotal), m, part, lo, hi,
        bins != null ? bins : o.bins, hist, sk, cats, oth);
  }

  private List<Total> mergeHistograms(GlobalColumn o) {
    if (histogram == null || o.histogram == null) {
      List<Total> one = histogram == null ? o.histogram : histogram;
      return one == null ? null : one.stream().map(Total::atLeast).toList();
    }
    List<Total> out = new ArrayList<>(histogram.size());
    for (int i = 0; i < histogram.size(); i++) {
      out.add(histogram.get(i).plus(o.histogram.get(i)));
    }
    return out;
  }

  private Map<String, Total> mergeCategories(GlobalColumn o) {
    Map<String, Total> out = new LinkedHashMap<>();
    Map<String, Total> a = categoryTotals == null ? Map.of() : categoryTotals;
    Map<String, Total> b = o.categoryTotals == null ? Map.of() : o.categoryTotals;
    for (Map.Entry<String, Total> e : a.entrySet()) {
      Total t = b.get(e.getKey());
      out.put(e.getKey(), t != null ? e.getValue().plus(t) : mayHide(o) ? e.getValue().atLeast() : e.getValue());
    }
    for (Map.Entry<String, Total> e : b.entrySet()) {
      if (!a.containsKey(e.getKey())) {
        out.put(e.getKey(), mayHide(this) ? e.getValue().atLeast() : e.getValue());
      }
    }
    return out;
  }

  /** Whether a silo group could hold a value it did not name (folded into a non-empty "other"). */
  private static boolean mayHide(GlobalColumn c) {
    return c.other == null || c.other.value() > 0 || c.other.lowerBound();
  }

  /** The merged sketch, decoded (null if none). */
  public KllDoublesSketch sketchOf() {
    return sketch == null ? null : Sketches.decode(sketch, -1, "column '" + name + "'");
  }

  @Override
  public long count() {
    return countTotal.value();
  }

  @Override
  public long missing() {
    return missingTotal.value();
  }

  @Override
  public double mean() {
    return moments == null || moments.n() == 0 ? Double.NaN : moments.mean();
  }

  @Override
  public double variance() {
    return moments == null ? Double.NaN : moments.variance();
  }

  @Override
  public OptionalDouble min() {
    return minValue == null ? OptionalDouble.empty() : OptionalDouble.of(minValue);
  }

  @Override
  public OptionalDouble max() {
    return maxValue == null ? OptionalDouble.empty() : OptionalDouble.of(maxValue);
  }

  /** From the merged sketch; without one (noise), interpolated in the histogram; else empty. */
  @Override
  public OptionalDouble quantile(double rank) {
    if (!(rank >= 0 && rank <= 1)) {
      throw new IllegalArgumentException("rank must be in [0, 1], was " + rank);
    }
    if (sketch != null) {
      return OptionalDouble.of(sketchOf().getQuantile(rank));
    }
    return histogram == null ? OptionalDouble.empty() : Histograms.quantile(bins, histogram, rank);
  }

  @Override
  public Map<String, Long> categories() {
    Map<String, Long> out = new LinkedHashMap<>();
    if (categoryTotals != null) {
      categoryTotals.forEach((v, t) -> out.put(v, t.value()));
    }
    return out;
  }
}
