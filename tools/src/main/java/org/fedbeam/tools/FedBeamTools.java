package org.fedbeam.tools;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.fedbeam.pipelines.cli.FedBeam;
import org.fedbeam.pipelines.cli.Flags;
import org.fedbeam.pipelines.cli.Help;
import org.fedbeam.pipelines.cli.Option;
import org.fedbeam.transforms.Errors;

/**
 * {@code bin/fedbeam}'s main class: {@code fedbeam bench [flags]} and {@code fedbeam demo federated
 * [flags]} run here; every other command (and {@code --help}) goes to the command line of the core,
 * {@link FedBeam}, unchanged. The core cannot depend on this module, which is why the two commands
 * live in a main class of their own.
 */
public final class FedBeamTools {
  private FedBeamTools() {}

  public static void main(String[] args) {
    System.exit(run(args, System.out, System.err));
  }

  static final String BENCH_USAGE = "usage: fedbeam bench [--output DIR] [flags]   performance figures; the last line is"
      + " BENCH {json}. Takes the main job's flags too (fedbeam train --help)";
  static final String DEMO_USAGE = "usage: fedbeam demo federated --silos 3 --rounds 3 --output DIR [--storage local|azurite]"
      + " [--clusters]";

  /** The flags of {@code demo federated}, which {@link Demo} reads by these names. */
  static final List<Option> DEMO = List.of(
      Option.required("output", "DIR", "Folder for everything: the silos' private sides, their exchange areas, the"
          + " orchestrator's run"),
      new Option("silos", Option.Kind.WHOLE, "N", "3", false, "Silo agents started, one process each"),
      new Option("rounds", Option.Kind.WHOLE, "N", "3", false, "Federated rounds"),
      new Option("storage", Option.Kind.CHOICE, "local|azurite", "local", false, "Where the data and the exchange"
          + " live: local folders, or containers in an Azurite emulator the demo starts and stops"),
      new Option("seed", Option.Kind.WHOLE, "N", "42", false, "Seed of the data split and the initial model"),
      new Option("alpha", Option.Kind.NUMBER, "X", "0.5", false, "Dirichlet concentration of the label skew"),
      Option.text("hidden", "N[,N...]", "Hidden layer widths of the MLP").withDefault("128"),
      Option.text("fashion-mnist-dir", "DIR", "Folder holding Fashion-MNIST's IDX files")
          .withDefault("/usr/share/datasets/fashion-mnist"),
      Option.flag("clusters", "Run each party's pipelines on a standalone Flink cluster of its own (started for"
          + " the demo unless running)"),
      Option.text("clusters-dir", "DIR", "Where those clusters live").withDefault("OUTPUT/clusters"));

  /** Runs a command; returns the process exit code (0 ok, 1 failed, 2 bad usage), as {@link FedBeam#run}. */
  public static int run(String[] args, PrintStream out, PrintStream err) {
    if (args.length == 0 || !List.of("bench", "demo").contains(args[0])) {
      return FedBeam.run(args, out, err);
    }
    List<String> rest = Arrays.asList(args).subList(1, args.length);
    boolean help = rest.contains("--help") || rest.contains("-h") || rest.contains("--help-all");
    try {
      if (args[0].equals("bench") && !rest.isEmpty() && rest.get(0).equals("tabular")) {
        if (help) {
          out.println(TabularBench.USAGE);
          Help.print(out, new Help.Section("bench tabular", TabularBench.FLAGS));
          return 0;
        }
        TabularBench.run(Flags.values("bench tabular", rest.subList(1, rest.size()), TabularBench.FLAGS), out);
        return 0;
      }
      if (args[0].equals("bench")) {
        if (help) {
          Help.options(out, "bench", BENCH_USAGE, BenchOptions.class, rest.contains("--help-all"));
          return 0;
        }
        return bench(rest, out);
      }
      if (help) {
        out.println(DEMO_USAGE);
        Help.print(out, new Help.Section("demo federated", DEMO));
        return 0;
      }
      if (rest.isEmpty() || !rest.get(0).equals("federated")) {
        err.println(DEMO_USAGE);
        return 2;
      }
      Map<String, String> flags = Flags.values("demo federated", rest.subList(1, rest.size()), DEMO);
      Demo.run(flags.entrySet().stream().map(e -> "--" + e.getKey() + "=" + e.getValue()).toList(), out);
      return 0;
    } catch (IllegalArgumentException e) {
      err.println("error: " + Errors.messages(e));
      return 2;
    } catch (Exception e) {
      err.println("error: " + Errors.messages(e));
      return 1;
    }
  }

  private static int bench(List<String> rest, PrintStream out) throws Exception {
    List<String> benchArgs = new ArrayList<>(rest);
    if (benchArgs.stream().noneMatch(a -> a.equals("--output") || a.startsWith("--output="))) {
      benchArgs.add("--output=target/bench");
    }
    BenchOptions bench = FedBeam.parse("bench", benchArgs, BenchOptions.class);
    if (bench.getClusters()) {
      ClusterBench.run(bench, out);
    } else {
      Bench.run(bench, out);
    }
    return 0;
  }
}
