package org.fedbeam.pipelines.federated;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.fedbeam.data.table.NumericColumn;
import org.fedbeam.data.table.Table;
import org.fedbeam.data.table.TableColumn;
import org.fedbeam.pipelines.protocol.RefusalReason;
import org.fedbeam.pipelines.protocol.Rejected;
import org.fedbeam.stats.StatsQuery;

/**
 * The silo policy's {@code statistics} section: whether the silo answers federated statistics at all
 * and within which bounds. A silo opts in; without the section it answers none.
 *
 * <pre>
 *   "statistics": {
 *     "allowed": false,                   a silo opts in with true
 *     "min_cell_count": 10,               k: a request may ask a larger k, never a smaller one
 *     "release_min_max": false,           whether a minimum and maximum (single records) may leave
 *     "max_columns": 100,                 columns one request may cover (all columns count when it names none)
 *     "max_bins": 100,                    bins of one histogram
 *     "max_quantile_ranks": 9,            quantile ranks of one request
 *     "significant_digits": 3,            the most digits a sketch's items may keep
 *     "max_stats_requests_per_job": 4,    releases per job (a repeated query's cached answer is free)
 *     "noise": {"required": false,        a request without noise is refused when true
 *               "max_epsilon": 1.0}       the most one release may cost (charged to the lifetime ledger)
 *   }
 * </pre>
 *
 * {@link #check} refuses anything outside it with {@link RefusalReason#OUTSIDE_POLICY} (noise:
 * {@link RefusalReason#PRIVACY_BUDGET}), its detail naming the field: in the silo's audit log only.
 * Any request for a per-record value is outside it: k below the policy's, a minimum or maximum when not
 * allowed, a quantile rank with fewer than k records on one side (0 and 1 always), the label as a column.
 */
public record StatsPolicy(boolean allowed, int minCellCount, boolean releaseMinMax, int maxColumns, int maxBins,
    int maxQuantileRanks, int significantDigits, int maxRequestsPerJob, boolean noiseRequired, double maxEpsilon) {
  /** The fields of the section. */
  static final Set<String> FIELDS = Set.of("allowed", "min_cell_count", "release_min_max", "max_columns", "max_bins",
      "max_quantile_ranks", "significant_digits", "max_stats_requests_per_job", "noise");
  /** Without a {@code statistics} section: no statistics. */
  public static final StatsPolicy NONE = new StatsPolicy(false, 10, false, 100, 100, 9, 3, 4, false, 1.0);

  /** @throws IllegalArgumentException naming the field out of range */
  public StatsPolicy {
    within("min_cell_count", minCellCount, 2, StatsQuery.MAX_K);
    within("max_columns", maxColumns, 1, StatsQuery.MAX_COLUMNS);
    within("max_bins", maxBins, 1, StatsQuery.MAX_BINS);
    within("max_quantile_ranks", maxQuantileRanks, 0, StatsQuery.MAX_RANKS);
    within("significant_digits", significantDigits, 1, 15);
    within("max_stats_requests_per_job", maxRequestsPerJob, 1, 1000);
    if (!(maxEpsilon > 0 && maxEpsilon <= 100)) {
      throw new IllegalArgumentException("statistics.noise.max_epsilon must be in (0, 100], was " + maxEpsilon);
    }
  }

  private static void within(String field, long v, long min, long max) {
    if (v < min || v > max) {
      throw new IllegalArgumentException("statistics." + field + " must be in [" + min + ", " + max + "], was " + v);
    }
  }

  /** The section of a policy file ({@link #NONE} if absent); errors name the field. */
  static StatsPolicy parse(JsonNode policy, String where) {
    JsonNode s = policy.get("statistics");
    if (s == null) {
      return NONE;
    }
    String at = where + ": statistics";
    if (!s.isObject()) {
      throw new IllegalArgumentException(at + " must be an object");
    }
    s.fieldNames().forEachRemaining(f -> {
      if (!FIELDS.contains(f)) {
        throw new IllegalArgumentException(at + " has an unknown field '" + f + "'; known: " + new java.util.TreeSet<>(FIELDS));
      }
    });
    JsonNode noise = s.path("noise");
    if (!noise.isMissingNode() && !noise.isObject()) {
      throw new IllegalArgumentException(at + ".noise must be an object {required, max_epsilon}");
    }
    noise.fieldNames().forEachRemaining(f -> {
      if (!Set.of("required", "max_epsilon").contains(f)) {
        throw new IllegalArgumentException(at + ".noise has an unknown field '" + f + "'; known: max_epsilon, required");
      }
    });
    try {
      return new StatsPolicy(bool(s, "allowed", NONE.allowed, at), whole(s, "min_cell_count", NONE.minCellCount, at),
          bool(s, "release_min_max", NONE.releaseMinMax, at), whole(s, "max_columns", NONE.maxColumns, at),
          whole(s, "max_bins", NONE.maxBins, at), whole(s, "max_quantile_ranks", NONE.maxQuantileRanks, at),
          whole(s, "significant_digits", NONE.significantDigits, at),
          whole(s, "max_stats_requests_per_job", NONE.maxRequestsPerJob, at),
          bool(noise, "required", NONE.noiseRequired, at + ".noise"),
          noise.has("max_epsilon") ? number(noise, "max_epsilon", at + ".noise") : NONE.maxEpsilon);
    } catch (IllegalArgumentException e) {
      throw e.getMessage().startsWith(where) ? e : new IllegalArgumentException(where + ": " + e.getMessage(), e);
    }
  }

  private static boolean bool(JsonNode n, String f, boolean fallback, String at) {
    JsonNode v = n.get(f);
    if (v == null) {
      return fallback;
    }
    if (!v.isBoolean()) {
      throw new IllegalArgumentException(at + "." + f + " must be true or false, was " + v);
    }
    return v.asBoolean();
  }

  private static int whole(JsonNode n, String f, int fallback, String at) {
    JsonNode v = n.get(f);
    if (v == null) {
      return fallback;
    }
    if (!v.isIntegralNumber() || !v.canConvertToInt()) {
      throw new IllegalArgumentException(at + "." + f + " must be a whole number, was " + v);
    }
    return v.asInt();
  }

  private static double number(JsonNode n, String f, String at) {
    JsonNode v = n.get(f);
    if (!v.isNumber()) {
      throw new IllegalArgumentException(at + "." + f + " must be a number, was " + v);
    }
    return v.asDouble();
  }

  /**
   * Refuses a query this policy does not allow on {@code table}: outside the policy
   * ({@link RefusalReason#OUTSIDE_POLICY}) or, for noise, its privacy rules
   * ({@link RefusalReason#PRIVACY_BUDGET}); the detail names the field and the value.
   */
  void check(StatsQuery q, Table table) throws Rejected {
    if (!allowed) {
      throw outside("statistics.allowed is false: this silo answers no statistics");
    }
    if (q.k() < minCellCount) {
      throw outside("k " + q.k() + " is below the policy's min_cell_count " + minCellCount);
    }
    if (q.releaseMinMax() && !releaseMinMax) {
      throw outside("release_min_max asks for the minimum and maximum, which the policy does not release");
    }
    if (q.significantDigits() > significantDigits) {
      throw outside("significant_digits " + q.significantDigits() + " is above the policy's " + significantDigits);
    }
    if (q.bins() > maxBins) {
      throw outside("bins " + q.bins() + " is above the policy's max_bins " + maxBins);
    }
    for (var e : q.histograms().entrySet()) {
      if (e.getValue().bins() > maxBins) {
        throw outside("histograms." + e.getKey() + ".bins " + e.getValue().bins() + " is above max_bins " + maxBins);
      }
    }
    if (q.ranks().size() > maxQuantileRanks) {
      throw outside("ranks: " + q.ranks().size() + " quantile ranks, the policy's max_quantile_ranks is "
          + maxQuantileRanks);
    }
    for (double r : q.ranks()) {
      // a quantile with fewer than k records below or above it is (close to) one record's value
      if (!(r * table.rows() >= q.k() && (1 - r) * table.rows() >= q.k())) {
        throw outside(String.format(Locale.ROOT, "ranks: rank %s leaves fewer than k = %d of the %d records on one"
            + " side (a quantile that close to 0 or 1 is a single record's value)", r, q.k(), table.rows()));
      }
    }
    List<String> columns = q.select(table.columnNames());
    if (columns.size() > maxColumns) {
      throw outside("columns: " + columns.size() + " columns, the policy's max_columns is " + maxColumns);
    }
    String label = table.label().name();
    for (String name : q.columns()) {
      if (name.equals(label)) {
        throw outside("columns: '" + name + "' is the label; its distribution is released as labels, never as a column");
      }
      if (table.column(name) == null) {
        throw outside("columns: no column '" + name + "' in this silo's table (it has " + table.columnNames() + ")");
      }
    }
    for (String name : q.histograms().keySet()) {
      if (!columns.contains(name) || !(table.column(name) instanceof NumericColumn)) {
        throw outside("histograms: '" + name + "' is not a numeric column of the request");
      }
    }
    for (String name : columns) {
      TableColumn c = table.column(name);
      if (c.missingCount() == c.rows()) {
        throw outside("columns: '" + name + "' has no value in the " + c.rows() + " rows of this silo's table");
      }
    }
    checkNoise(q);
  }

  private void checkNoise(StatsQuery q) throws Rejected {
    if (noiseRequired && !q.noise().on()) {
      throw new Rejected(RefusalReason.PRIVACY_BUDGET, "noise: the policy requires noise (statistics.noise.required),"
          + " the request asks for none");
    }
    if (q.noise().on() && q.noise().epsilon() > maxEpsilon) {
      throw new Rejected(RefusalReason.PRIVACY_BUDGET, "noise.epsilon " + q.noise().epsilon()
          + " is above the policy's statistics.noise.max_epsilon " + maxEpsilon);
    }
  }

  private static Rejected outside(String detail) {
    return new Rejected(RefusalReason.OUTSIDE_POLICY, detail);
  }
}
