package org.fedbeam.pipelines.loop;

import java.io.PrintStream;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.fedbeam.model.ModelKind;
import org.fedbeam.model.ModelSpec;
import org.fedbeam.model.TrainConfig;
import org.fedbeam.model.strategy.Convergence;
import org.fedbeam.model.strategy.Participation;
import org.fedbeam.model.strategy.Strategies;
import org.fedbeam.model.strategy.Strategy;
import org.fedbeam.pipelines.runners.RoundRunner;

/**
 * A simulation's run of the {@link RoundLoop} from {@link TrainOptions}: the settings (model,
 * training config, strategy and its parameters, participation, stop rule), the silos' seeds, the
 * Byzantine silos if any, and the {@link SimulationRounds} executor.
 */
public final class Simulation {
  private Simulation() {}

  /** The loop's settings from the options, for data of {@code features} features and {@code classes} classes. */
  public static RoundLoop.Settings settings(TrainOptions o, int features, int classes) {
    TrainConfig config = new TrainConfig(o.getEpochs(), o.getBatchSize(), o.getLr(), o.getMomentum(), o.getWeightDecay());
    List<Integer> hidden = ModelKind.parse(o.getModel()) == ModelKind.LOGREG ? List.of() : parseHidden(o.getHidden());
    ModelSpec spec = ModelSpec.of(features, hidden, classes);
    Strategy strategy = Strategies.create(o.getStrategy(), strategyParams(o.getStrategyParams()));
    Participation participation = participation(o.getFraction(), o.getMinSilos());
    if (o.getRounds() < 1) {
      throw new IllegalArgumentException("--rounds must be >= 1, was " + o.getRounds());
    }
    return new RoundLoop.Settings(spec, config, strategy, participation, o.getRounds(),
        convergence(o.getPatience(), o.getTolerance()), o.getSeed());
  }

  /** {@code settings} starting from {@code --initial-model} when it is given (checked against the settings' model). */
  public static RoundLoop.Settings withInitialModel(RoundLoop.Settings settings, TrainOptions o, PrintStream out) {
    return InitialModel.apply(settings, o.getInitialModel(), "--model " + o.getModel() + " --hidden " + o.getHidden(), out);
  }

  /** Runs the simulation; metrics.csv reports each silo's epsilon at {@code dpDelta} under DP. */
  public static RoundLoop.Result run(TrainOptions options, RoundRunner runner, SimulationData data,
      RoundLoop.Settings settings, PrintStream progress) throws Exception {
    return run(options, runner, data, settings, options.getOutput(), progress);
  }

  /** As {@link #run(TrainOptions, RoundRunner, SimulationData, RoundLoop.Settings, PrintStream)}, writing under {@code output}. */
  public static RoundLoop.Result run(TrainOptions options, RoundRunner runner, SimulationData data,
      RoundLoop.Settings settings, String output, PrintStream progress) throws Exception {
    SimulationRounds rounds = executor(options, runner, data, settings, output);
    return RoundLoop.run(settings, rounds, output, progress, options.getDpDelta());
  }

  /** The simulation's executor for {@code data}, with the options' silo seeds and Byzantine silos. */
  public static SimulationRounds executor(TrainOptions options, RoundRunner runner, SimulationData data,
      RoundLoop.Settings settings) {
    return executor(options, runner, data, settings, options.getOutput());
  }

  private static SimulationRounds executor(TrainOptions options, RoundRunner runner, SimulationData data,
      RoundLoop.Settings settings, String output) {
    List<String> silos = List.copyOf(data.silos().keySet());
    SiloSeeds seeds = SiloSeeds.from(options, silos, settings.seed());
    SiloAttacks attacks = SiloAttacks.choose(options.getByzantine(), options.getAttack(), silos, settings.seed());
    return new SimulationRounds(options, runner, data, settings, seeds, attacks, output);
  }

  /**
   * Parses {@code name=value,name=value} (the launcher's form of the strategy's flags).
   *
   * @throws IllegalArgumentException naming the pair that is not {@code name=number}
   */
  public static Map<String, Double> strategyParams(String text) {
    Map<String, Double> values = new LinkedHashMap<>();
    if (text == null || text.isBlank()) {
      return values;
    }
    for (String pair : text.split(",")) {
      int eq = pair.indexOf('=');
      if (eq <= 0) {
        throw new IllegalArgumentException("strategy parameter '" + pair.trim() + "' must be name=number");
      }
      String name = pair.substring(0, eq).trim().replace('-', '_');
      String value = pair.substring(eq + 1).trim();
      double number;
      try {
        number = Double.parseDouble(value);
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("--" + name.replace('_', '-') + " must be a number, was '" + value + "'");
      }
      if (values.put(name, number) != null) {
        throw new IllegalArgumentException("--" + name.replace('_', '-') + " is given twice");
      }
    }
    return values;
  }

  /** The participation of {@code --fraction} and {@code --min-silos}, naming the flag that is wrong. */
  public static Participation participation(double fraction, int minSilos) {
    if (!(fraction > 0 && fraction <= 1)) {
      throw new IllegalArgumentException("--fraction must be in (0, 1], was " + fraction);
    }
    if (minSilos < 1) {
      throw new IllegalArgumentException("--min-silos must be >= 1, was " + minSilos);
    }
    return new Participation(fraction, minSilos);
  }

  private static Convergence convergence(int patience, double tolerance) {
    if (patience < 1) {
      throw new IllegalArgumentException("--patience must be >= 1, was " + patience);
    }
    if (!(tolerance >= 0)) {
      throw new IllegalArgumentException("--tolerance must be >= 0, was " + tolerance);
    }
    return new Convergence(patience, tolerance);
  }

  /** Parses {@code --hidden}: comma-separated layer widths. */
  public static List<Integer> parseHidden(String text) {
    try {
      List<Integer> widths = Arrays.stream(text.split(",")).map(String::trim).filter(s -> !s.isEmpty())
          .map(Integer::parseInt).toList();
      if (widths.isEmpty() || widths.stream().anyMatch(w -> w < 1)) {
        throw new NumberFormatException();
      }
      return widths;
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("--hidden must be a comma-separated list of layer widths >= 1, was '" + text + "'");
    }
  }
}
