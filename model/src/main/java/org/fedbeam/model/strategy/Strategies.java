package org.fedbeam.model.strategy;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Function;

/**
 * The registry of strategies, found by name: each entry says what the strategy does, lists its
 * parameters with their defaults and ranges, and makes an instance from checked values. A new
 * strategy is one class and one line in {@link #ENTRIES}.
 */
public final class Strategies {
  /** The name of the default strategy. */
  public static final String DEFAULT = "fedavg";

  /**
   * One strategy of the registry.
   *
   * @param name the name that {@code --strategy} and the job file's {@code strategy} take
   * @param help one line for {@code --help} and the docs
   * @param params its parameters, in the order {@code --help} lists them
   * @param factory makes an instance from every parameter's checked value, by name
   */
  public record Entry(String name, String help, List<StrategyParam> params,
      Function<Map<String, Double>, Strategy> factory) {
    public Entry {
      params = List.copyOf(params);
    }
  }

  private static final Map<String, Entry> ENTRIES = new LinkedHashMap<>();

  static {
    register(new Entry("fedavg", "federated averaging: the sample-weighted mean of the updates (McMahan et al. 2017),"
        + " each silo's share optionally capped", List.of(FedAvg.MAX_SILO_SHARE), v -> FedAvg.of(v.get("max_silo_share"))));
    register(new Entry(FedAvgM.NAME, "FedAvg with server momentum (Hsu et al. 2019)",
        List.of(FedAvgM.SERVER_LR, FedAvgM.SERVER_MOMENTUM),
        v -> new FedAvgM(v.get("server_lr"), v.get("server_momentum"))));
    register(new Entry(FedProx.NAME, "FedAvg with a proximal term mu in each silo's local objective (Li et al. 2020)",
        List.of(FedProx.MU), v -> new FedProx(v.get("mu"))));
    register(new Entry(FedAdam.NAME, "adaptive server optimizer Adam on the pseudo-gradient (Reddi et al. 2021)",
        FedAdam.params(), v -> new FedAdam(v.get("server_lr"), v.get("beta1"), v.get("beta2"), v.get("tau"))));
    register(new Entry(FedYogi.NAME, "adaptive server optimizer Yogi on the pseudo-gradient (Reddi et al. 2021)",
        FedYogi.params(), v -> new FedYogi(v.get("server_lr"), v.get("beta1"), v.get("beta2"), v.get("tau"))));
    register(new Entry(FedAdagrad.NAME, "adaptive server optimizer Adagrad on the pseudo-gradient (Reddi et al. 2021)",
        FedAdagrad.params(), v -> new FedAdagrad(v.get("server_lr"), v.get("tau"))));
    register(new Entry(FedMedian.NAME, "coordinate-wise median of the updates, unweighted (Yin et al. 2018)",
        List.of(), v -> FedMedian.INSTANCE));
    register(new Entry(FedTrimmedAvg.NAME, "coordinate-wise trimmed mean: drops beta of the values at each end (Yin et al. 2018)",
        List.of(FedTrimmedAvg.BETA), v -> new FedTrimmedAvg(v.get("beta"))));
    register(new Entry(Krum.NAME, "the one update closest to its n - f - 2 nearest others (Blanchard et al. 2017)",
        List.of(Krum.BYZANTINE), v -> new Krum(whole(v.get("byzantine")))));
    register(new Entry(MultiKrum.NAME, "weighted mean of the m best Krum-scored updates (Blanchard et al. 2017)",
        List.of(Krum.BYZANTINE, MultiKrum.SELECTED),
        v -> new MultiKrum(whole(v.get("byzantine")), whole(v.get("selected")))));
  }

  /** A checked whole-number parameter as an int. */
  private static int whole(double value) {
    return (int) Math.rint(value);
  }

  private Strategies() {}

  private static void register(Entry entry) {
    if (ENTRIES.put(entry.name(), entry) != null) {
      throw new IllegalStateException("two strategies named " + entry.name());
    }
  }

  /** Every strategy, in registry order. */
  public static List<Entry> all() {
    return List.copyOf(ENTRIES.values());
  }

  /**
   * The entry named {@code name} (case-insensitive).
   *
   * @throws IllegalArgumentException listing the known names if there is none
   */
  public static Entry entry(String name) {
    Entry entry = name == null ? null : ENTRIES.get(name.trim().toLowerCase(Locale.ROOT));
    if (entry == null) {
      throw new IllegalArgumentException("unknown strategy '" + name + "'; known: " + String.join(", ", ENTRIES.keySet()));
    }
    return entry;
  }

  /**
   * Makes strategy {@code name} with {@code values} (by job-file name; a missing one takes its
   * default).
   *
   * @throws IllegalArgumentException for an unknown strategy, a parameter the strategy does not
   *     have, or a value out of range; the message names the strategy and the parameter
   */
  public static Strategy create(String name, Map<String, Double> values) {
    Entry entry = entry(name);
    Map<String, StrategyParam> known = new LinkedHashMap<>();
    entry.params().forEach(p -> known.put(p.name(), p));
    for (String given : new TreeMap<>(values).keySet()) {
      if (!known.containsKey(given)) {
        throw new IllegalArgumentException("strategy " + entry.name() + " has no parameter '" + given + "'"
            + (known.isEmpty() ? "; it takes none" : "; its parameters: " + String.join(", ", known.keySet())));
      }
    }
    Map<String, Double> checked = new LinkedHashMap<>();
    for (StrategyParam p : entry.params()) {
      Double value = values.get(p.name());
      checked.put(p.name(), p.check(entry.name(), value == null ? p.defaultValue() : value));
    }
    return entry.factory().apply(Collections.unmodifiableMap(checked));
  }

  /** Every parameter name of every strategy, for parsers that must tell a strategy's field from a typo. */
  public static List<String> allParameterNames() {
    List<String> names = new ArrayList<>();
    for (Entry e : ENTRIES.values()) {
      for (StrategyParam p : e.params()) {
        if (!names.contains(p.name())) {
          names.add(p.name());
        }
      }
    }
    return names;
  }
}
