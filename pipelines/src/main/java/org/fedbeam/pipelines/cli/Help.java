package org.fedbeam.pipelines.cli;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.apache.beam.runners.flink.FlinkPipelineOptions;
import org.apache.beam.sdk.options.PipelineOptions;
import org.fedbeam.model.strategy.Strategies;
import org.fedbeam.model.strategy.StrategyParam;

/**
 * What {@code fedbeam COMMAND --help} prints: the command's own flags first, in kebab-case with
 * their values and defaults, grouped; then the two runner flags a user sets ({@code --runner},
 * {@code --flink-master}); for {@code train} and {@code bench} the strategies with their parameters;
 * and one line pointing at {@code --help-all}, which adds Beam's and Flink's own options.
 */
public final class Help {
  private Help() {}

  private static final int WIDTH = 110;
  private static final int FLAG_COLUMN = 32;

  /**
   * A heading and its flags.
   *
   * @param title the heading
   * @param options its flags, in order
   */
  public record Section(String title, List<Option> options) {}

  /** How FedBeam's own flags are grouped, by Beam's spelling; a flag in no group goes under its command. */
  static final Map<String, List<String>> GROUPS = groups();

  private static Map<String, List<String>> groups() {
    Map<String, List<String>> g = new LinkedHashMap<>();
    g.put("Output and data", List.of("output", "dataset", "fashionMnistDir", "labelColumn", "testShare",
        "validationShare", "maxBadRowShare"));
    g.put("Reading a provider's CSV (docs/prepare.md) and its preprocessing (docs/preprocessing.md)", List.of(
        "delimiter", "idColumn", "dropColumns", "categoricalColumns", "missing", "missingValues", "preprocessing",
        "scaling", "minCategoryCount"));
    g.put("Silos", List.of("silos", "partition", "alpha", "seed"));
    g.put("Model and local training", List.of("model", "hidden", "epochs", "lr", "batchSize", "momentum", "weightDecay"));
    g.put("Rounds and convergence", List.of("rounds", "patience", "tolerance", "baselines"));
    g.put("Resuming, overwriting and slices", List.of("resume", "overwrite", "maxNewRounds"));
    g.put("Strategy and participation (strategies and their parameters below)", List.of("strategy", "strategyParams",
        "fraction", "minSilos"));
    g.put("Byzantine silos (simulation only)", List.of("byzantine", "attack"));
    g.put("Differential privacy", List.of("dpEpsilon", "dpDelta", "dpClip"));
    g.put("Silo secrets (the simulation twin of a federated run)", List.of("siloSecrets", "jobId"));
    g.put("Flink web UI and clusters", List.of("webUiPort", "webUi", "warmUpRuns", "flinkTlsDir"));
    return g;
  }

  /** Beam's and Flink's flags that FedBeam users set, with FedBeam's own words for them. */
  static final List<Option> RUNNER = List.of(
      new Option("runner", Option.Kind.OTHER, "NAME", "FlinkRunner", false, "FlinkRunner runs on Flink: embedded in"
          + " this process, or the cluster --flink-master names; DirectRunner runs on Beam's direct runner"),
      new Option("flink-master", Option.Kind.OTHER, "HOST:PORT", "embedded", false, "Run on this standalone Flink"
          + " cluster ('fedbeam cluster up'; its TLS keys are found by port, or give --flink-tls-dir)"));

  /**
   * The help of a command that has an options interface.
   *
   * @param command the command's name ({@code train})
   * @param usage its usage line(s)
   * @param type its options interface
   * @param all whether to add Beam's and Flink's own options ({@code --help-all})
   */
  public static void options(PrintStream out, String command, String usage, Class<? extends PipelineOptions> type,
      boolean all) {
    out.println(usage);
    List<Option> own = OptionFlags.own(type);
    for (Section s : sections(command, type)) {
      print(out, s);
    }
    print(out, new Section("Runner (Beam's and Flink's flags FedBeam users set)", RUNNER));
    if (own.stream().anyMatch(o -> o.property().equals(StrategyFlags.PARAMS))) {
      strategies(out, own);
    }
    out.println();
    out.println("Flags may also be written Beam's way (--batchSize=64, --baselines=false)."
        + (all ? "" : " Beam's and Flink's other options: fedbeam " + command + " --help-all"));
    if (all) {
      out.println();
      out.println("Beam's and Flink's own options (FedBeam sets what it needs; most runs need none of these):");
      Set<String> shown = RUNNER.stream().map(Option::name).collect(Collectors.toSet());
      List<Class<?>> ifaces = new ArrayList<>(OptionFlags.hierarchy(type));
      OptionFlags.hierarchy(FlinkPipelineOptions.class).stream().filter(c -> !ifaces.contains(c)).forEach(ifaces::add);
      for (Class<?> iface : ifaces) {
        if (!OptionFlags.isOwn(iface)) {
          List<Option> opts = OptionFlags.options(iface).stream().filter(o -> shown.add(o.name())).toList();
          if (!opts.isEmpty()) {
            print(out, new Section(iface.getSimpleName(), opts));
          }
        }
      }
    }
  }

  /** FedBeam's own flags of {@code type}, grouped: the command's own first, then {@link #GROUPS}, then the rest. */
  public static List<Section> sections(String command, Class<? extends PipelineOptions> type) {
    List<OptionFlags.Declared> declared = OptionFlags.declared(type, true);
    Map<String, Option> byProperty = new LinkedHashMap<>();
    declared.forEach(d -> byProperty.put(d.option().property(), d.option()));
    Set<String> grouped = GROUPS.values().stream().flatMap(List::stream).collect(Collectors.toSet());
    List<Section> out = new ArrayList<>();
    List<Option> commandOwn = declared.stream().filter(d -> d.declaredBy() == type && !grouped.contains(d.option().property()))
        .map(OptionFlags.Declared::option).sorted(Comparator.comparing((Option o) -> !o.required())).toList();
    if (!commandOwn.isEmpty()) {
      out.add(new Section(command.substring(0, 1).toUpperCase(Locale.ROOT) + command.substring(1), commandOwn));
    }
    GROUPS.forEach((title, names) -> {
      List<Option> opts = names.stream().filter(byProperty::containsKey).map(byProperty::get).toList();
      if (!opts.isEmpty()) {
        out.add(new Section(title, opts));
      }
    });
    List<Option> rest = declared.stream().filter(d -> d.declaredBy() != type && !grouped.contains(d.option().property()))
        .map(OptionFlags.Declared::option).toList();
    if (!rest.isEmpty()) {
      out.add(new Section("More options", rest));
    }
    return out;
  }

  /** Every strategy of the registry with its parameters' flags, defaults and ranges. */
  static void strategies(PrintStream out, List<Option> own) {
    out.println();
    out.println("Strategies (--strategy NAME; each parameter is a flag of its own, e.g. --strategy fedadam --server-lr 0.01):");
    Set<String> ownFlags = StrategyFlags.flags(own).values().stream().map(StrategyParam::name).collect(Collectors.toSet());
    for (Strategies.Entry e : Strategies.all()) {
      row(out, "  " + e.name() + (e.name().equals(Strategies.DEFAULT) ? " (default)" : ""), e.help());
      for (StrategyParam p : e.params()) {
        String flag = ownFlags.contains(p.name()) ? p.flag() + (p.integer() ? " N" : " X")
            : "--strategy-params " + p.name() + "=" + (p.integer() ? "N" : "X");
        row(out, "      " + flag, p.help() + " (default " + OptionFlags.number(p.defaultValue()) + ", in " + p.range() + ")");
      }
    }
  }

  /** A section: its heading, then one row per flag. */
  public static void print(PrintStream out, Section s) {
    out.println();
    out.println(s.title() + ":");
    for (Option o : s.options()) {
      String flag = o.kind() == Option.Kind.SWITCH && "true".equals(o.defaultText()) ? "--[no-]" + o.name() : o.flag();
      String value = o.placeholder().isEmpty() || o.kind() == Option.Kind.SWITCH ? "" : " " + o.placeholder();
      String text = o.text() + (o.required() ? " (required)"
          : o.defaultText() == null || (o.kind() == Option.Kind.SWITCH && "false".equals(o.defaultText())) ? ""
          : o.defaultText().isEmpty() ? "" : " (default " + o.defaultText() + ")");
      row(out, "  " + flag + value, text);
    }
  }

  /** {@code left} in the flag column, {@code text} wrapped beside it. */
  static void row(PrintStream out, String left, String text) {
    List<String> lines = wrap(text.strip(), WIDTH - FLAG_COLUMN);
    if (left.length() >= FLAG_COLUMN - 1) {
      out.println(left);
    } else {
      out.print(String.format("%-" + FLAG_COLUMN + "s", left));
      out.println(lines.isEmpty() ? "" : lines.remove(0));
    }
    lines.forEach(l -> out.println(" ".repeat(FLAG_COLUMN) + l));
  }

  private static List<String> wrap(String text, int width) {
    List<String> lines = new ArrayList<>();
    StringBuilder line = new StringBuilder();
    for (String word : text.split("\\s+")) {
      if (line.length() > 0 && line.length() + 1 + word.length() > width) {
        lines.add(line.toString());
        line.setLength(0);
      }
      line.append(line.length() > 0 ? " " : "").append(word);
    }
    if (line.length() > 0) {
      lines.add(line.toString());
    }
    return lines;
  }
}
