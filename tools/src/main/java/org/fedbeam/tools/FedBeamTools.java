package org.fedbeam.tools;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.fedbeam.pipelines.cli.FedBeam;
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

  /** Runs a command; returns the process exit code (0 ok, 1 failed, 2 bad usage), as {@link FedBeam#run}. */
  public static int run(String[] args, PrintStream out, PrintStream err) {
    if (args.length == 0 || !List.of("bench", "demo").contains(args[0])) {
      return FedBeam.run(args, out, err);
    }
    List<String> rest = Arrays.asList(args).subList(1, args.length);
    try {
      if (args[0].equals("bench")) {
        return bench(rest, out);
      }
      if (rest.isEmpty() || !rest.get(0).equals("federated")) {
        err.println("usage: fedbeam demo federated --silos 3 --rounds 3 --output DIR [--storage local|azurite]");
        return 2;
      }
      Demo.run(rest.subList(1, rest.size()), out);
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
    if (rest.contains("--help")) {
      PipelineOptionsFactory.printHelp(out, BenchOptions.class);
      return 0;
    }
    List<String> benchArgs = new ArrayList<>(rest);
    if (benchArgs.stream().noneMatch(a -> a.equals("--output") || a.startsWith("--output="))) {
      benchArgs.add("--output=target/bench");
    }
    BenchOptions bench = FedBeam.parse(benchArgs, BenchOptions.class);
    if (bench.getClusters()) {
      ClusterBench.run(bench, out);
    } else {
      Bench.run(bench, out);
    }
    return 0;
  }
}
