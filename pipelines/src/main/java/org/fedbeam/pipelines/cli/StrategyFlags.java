package org.fedbeam.pipelines.cli;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.fedbeam.model.strategy.Strategies;
import org.fedbeam.model.strategy.StrategyParam;

/**
 * The strategies' parameters as flags of their own ({@code --server-lr 0.01 --mu 0.1}, from {@link
 * Strategies}), folded into the one option the round loop reads, {@code --strategyParams=server_lr=0.01,mu=0.1}.
 * A parameter whose flag is already an option of the command (Krum's {@code byzantine} against the
 * simulation's {@code --byzantine}) is given as {@code --strategy-params byzantine=2} instead.
 * The values are checked before any work: a number, given once, a parameter of the chosen strategy,
 * in its range.
 */
public final class StrategyFlags {
  private StrategyFlags() {}

  /** The option the parameters are collected into (Beam's spelling). */
  public static final String PARAMS = "strategyParams";

  /** Every strategy parameter that has a flag of its own with this command, by Beam's spelling of the flag. */
  public static Map<String, StrategyParam> flags(Collection<Option> own) {
    Set<String> taken = own.stream().map(Option::property).collect(Collectors.toSet());
    Map<String, StrategyParam> out = new LinkedHashMap<>();
    for (Strategies.Entry e : Strategies.all()) {
      for (StrategyParam p : e.params()) {
        String property = Flags.camel(p.flag().substring(2));
        if (!taken.contains(property)) {
          out.putIfAbsent(property, p);
        }
      }
    }
    return out;
  }

  /** The flags of {@link #flags} as options, for suggestions. */
  public static List<Option> options(Collection<Option> own) {
    return flags(own).values().stream().map(p -> new Option(p.flag().substring(2), p.integer() ? Option.Kind.WHOLE
        : Option.Kind.NUMBER, p.integer() ? "N" : "X", OptionFlags.number(p.defaultValue()), false, p.help())).toList();
  }

  /**
   * {@code args} with every strategy flag (and {@code --strategy-params}) folded into one {@code
   * --strategyParams} argument, after checking each value.
   *
   * @throws IllegalArgumentException naming the flag and the value
   */
  public static List<Flags.Arg> collect(List<Flags.Arg> args, Collection<Option> own) {
    Map<String, StrategyParam> byFlag = flags(own);
    Map<String, String> values = new LinkedHashMap<>(); // parameter name -> value as given
    Map<String, String> writtenAs = new LinkedHashMap<>();
    List<Flags.Arg> rest = new ArrayList<>();
    List<Flags.Arg> explicit = new ArrayList<>();
    String strategy = null;
    for (Flags.Arg a : args) {
      StrategyParam p = byFlag.get(a.name());
      if (p != null) {
        put(values, writtenAs, p.name(), a.written(), a.value());
      } else if (a.name().equals(PARAMS)) {
        explicit.add(a);
      } else {
        if (a.name().equals("strategy")) {
          strategy = a.value();
        }
        rest.add(a);
      }
    }
    if (explicit.size() > 1) {
      throw new IllegalArgumentException(explicit.get(1).written() + " given twice ('" + explicit.get(0).value()
          + "' and '" + explicit.get(1).value() + "')");
    }
    for (Flags.Arg a : explicit) {
      for (String pair : (a.value() == null ? "" : a.value()).split(",")) {
        if (pair.isBlank()) {
          continue;
        }
        int eq = pair.indexOf('=');
        if (eq < 0) {
          throw new IllegalArgumentException(a.written() + " takes NAME=VALUE pairs separated by commas, was '" + pair + "'");
        }
        String name = pair.substring(0, eq).trim().replace('-', '_');
        if (!Strategies.allParameterNames().contains(name)) {
          throw new IllegalArgumentException(a.written() + ": no strategy has a parameter '" + name + "'; known: "
              + String.join(", ", Strategies.allParameterNames()));
        }
        put(values, writtenAs, name, a.written() + " " + name, pair.substring(eq + 1).trim());
      }
    }
    check(strategy, values, writtenAs);
    if (!values.isEmpty()) {
      String joined = values.entrySet().stream().map(e -> e.getKey() + "=" + e.getValue()).collect(Collectors.joining(","));
      rest.add(new Flags.Arg("--strategy-params", PARAMS, joined));
    }
    return rest;
  }

  private static void put(Map<String, String> values, Map<String, String> writtenAs, String name, String written,
      String value) {
    if (value == null || value.isBlank()) {
      throw new IllegalArgumentException(written + " needs a value (a number)");
    }
    if (!Flags.isNumber(value)) {
      throw new IllegalArgumentException(written + " must be a number, was '" + value + "'");
    }
    if (values.containsKey(name)) {
      throw new IllegalArgumentException(written + " given twice ('" + values.get(name) + "' and '" + value + "')"
          + (writtenAs.get(name).equals(written) ? "" : "; also as " + writtenAs.get(name)));
    }
    values.put(name, value.trim());
    writtenAs.put(name, written);
  }

  /** The strategy known, each value one of its parameters and in range. */
  private static void check(String strategy, Map<String, String> values, Map<String, String> writtenAs) {
    if (strategy == null && values.isEmpty()) {
      return;
    }
    Strategies.Entry entry;
    try {
      entry = Strategies.entry(strategy == null ? Strategies.DEFAULT : strategy);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("--strategy must be one of " + Strategies.all().stream()
          .map(Strategies.Entry::name).collect(Collectors.joining(", ")) + "; was '" + strategy + "'");
    }
    Map<String, Double> numbers = new LinkedHashMap<>();
    for (Map.Entry<String, String> v : values.entrySet()) {
      if (entry.params().stream().noneMatch(p -> p.name().equals(v.getKey()))) {
        String owners = Strategies.all().stream().filter(e -> e.params().stream().anyMatch(p -> p.name().equals(v.getKey())))
            .map(Strategies.Entry::name).collect(Collectors.joining(", "));
        throw new IllegalArgumentException(writtenAs.get(v.getKey()) + " is not a parameter of strategy " + entry.name()
            + (strategy == null ? " (the default; choose one with --strategy NAME)" : "") + "; it belongs to " + owners);
      }
      StrategyParam p = entry.params().stream().filter(x -> x.name().equals(v.getKey())).findFirst().orElseThrow();
      double value = Double.parseDouble(v.getValue());
      try {
        p.check(entry.name(), value);
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(writtenAs.get(v.getKey()) + " must be " + (p.integer() ? "a whole number " : "")
            + "in " + p.range() + " for strategy " + entry.name() + ", was '" + v.getValue() + "'");
      }
      numbers.put(v.getKey(), value);
    }
    Strategies.create(entry.name(), numbers); // each value in its range, or a message naming the parameter
  }
}
