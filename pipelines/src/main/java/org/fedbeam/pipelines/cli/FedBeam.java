package org.fedbeam.pipelines.cli;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.beam.runners.flink.FlinkRunner;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.fedbeam.pipelines.loop.TrainOptions;
import org.fedbeam.pipelines.rounds.RoundRecords;
import org.fedbeam.transforms.Errors;

/**
 * The command line: {@code fedbeam train [flags]} and {@code fedbeam bench [flags]}.
 *
 * <p>Flags may be written the friendly way ({@code --batch-size 64}, {@code --no-baselines}) or the
 * Beam way ({@code --batchSize=64}, {@code --baselines=false}); they are parsed and validated by
 * Beam's {@link PipelineOptionsFactory} against each command's options interface. The runner is
 * Flink on an embedded cluster unless {@code --runner} or {@code --flinkMaster} says otherwise.
 */
public final class FedBeam {
  private FedBeam() {}

  public static void main(String[] args) {
    System.exit(run(args, System.out, System.err));
  }

  /** Runs a command; returns the process exit code (0 ok, 1 failed, 2 bad usage). */
  public static int run(String[] args, PrintStream out, PrintStream err) {
    if (args.length == 0 || List.of("-h", "--help", "help").contains(args[0])) {
      usage(out);
      return args.length == 0 ? 2 : 0;
    }
    String command = args[0];
    List<String> rest = Arrays.asList(args).subList(1, args.length);
    try {
      switch (command) {
        case "train" -> {
          if (rest.contains("--help")) {
            PipelineOptionsFactory.printHelp(out, TrainOptions.class);
            return 0;
          }
          TrainJob.run(parse(rest, TrainOptions.class), out);
        }
        case "keys" -> {
          if (rest.size() >= 1 && rest.get(0).equals("rotate")) {
            return rotateKeys(rest.subList(1, rest.size()), out, err);
          }
          if (rest.size() < 1 || !rest.get(0).equals("new")) {
            err.println("usage: fedbeam keys new --out DIR | fedbeam keys rotate --key DIR");
            return 2;
          }
          List<String> flags = toBeamArgs(rest.subList(1, rest.size()));
          String dir = flags.stream().filter(f -> f.startsWith("--out=")).map(f -> f.substring(6)).findFirst()
              .orElseThrow(() -> new IllegalArgumentException("keys new needs --out DIR"));
          var identity = org.fedbeam.pipelines.protocol.Keys.create(java.nio.file.Path.of(dir));
          out.println("key pair written to " + dir + " (private.pem, public.pem)");
          out.println("key id     " + identity.keyId());
          out.println("public key " + identity.publicKeyBase64());
        }
        case "audit" -> {
          return verifyAudit(rest, out, err);
        }
        case "pipeline" -> {
          if (!rest.isEmpty() && !rest.equals(List.of("--list"))) {
            err.println("usage: fedbeam pipeline [--list]");
            return 2;
          }
          out.println(org.fedbeam.pipelines.rounds.SiloPipeline.NAME + " version "
              + org.fedbeam.pipelines.rounds.SiloPipeline.VERSION + " sha256 "
              + org.fedbeam.pipelines.rounds.SiloPipeline.definitionSha256());
          if (rest.contains("--list")) {
            org.fedbeam.pipelines.digest.DigestListing.print(org.fedbeam.pipelines.rounds.SiloPipeline.definition(), out);
          }
        }
        case "agent" -> {
          if (rest.contains("--help")) {
            PipelineOptionsFactory.printHelp(out, org.fedbeam.pipelines.federated.AgentOptions.class);
            return 0;
          }
          org.fedbeam.pipelines.federated.SiloAgent.run(parse(rest, org.fedbeam.pipelines.federated.AgentOptions.class), out);
        }
        case "orchestrate" -> {
          if (rest.contains("--help")) {
            PipelineOptionsFactory.printHelp(out, org.fedbeam.pipelines.federated.OrchestrateOptions.class);
            return 0;
          }
          var summary = org.fedbeam.pipelines.federated.Orchestrator.run(
              parse(rest, org.fedbeam.pipelines.federated.OrchestrateOptions.class), out);
          summary.remove("rounds"); // per round and per silo in OUTPUT/run-summary.json
          out.println("SUMMARY " + RoundRecords.oneLine(summary));
        }
        case "cluster" -> {
          return org.fedbeam.pipelines.cli.ClusterCommand.run(rest, out);
        }
        case "bench", "demo" -> {
          // tools/ (fedbeam-tools) runs these; bin/fedbeam's main class org.fedbeam.tools.FedBeamTools
          err.println("error: '" + command + "' is in the fedbeam-tools module: run it with bin/fedbeam"
              + " (main class org.fedbeam.tools.FedBeamTools)");
          return 2;
        }
        default -> {
          err.println("error: unknown command '" + command + "'");
          usage(err);
          return 2;
        }
      }
      return 0;
    } catch (IllegalArgumentException e) {
      err.println("error: " + Errors.messages(e));
      return 2;
    } catch (Exception e) {
      err.println("error: " + Errors.messages(e));
      return 1;
    }
  }

  /** {@code fedbeam audit verify --log PATH}: 0 if the log's chain holds, 1 if it is broken, 2 on bad usage. */
  static int verifyAudit(List<String> args, PrintStream out, PrintStream err) {
    List<String> flags = toBeamArgs(args.isEmpty() ? args : args.subList(1, args.size()));
    String log = flags.stream().filter(f -> f.startsWith("--log=")).map(f -> f.substring(6)).findFirst().orElse(null);
    if (args.isEmpty() || !args.get(0).equals("verify") || log == null) {
      err.println("usage: fedbeam audit verify --log PATH");
      return 2;
    }
    var v = org.fedbeam.pipelines.federated.Audit.verify(log);
    if (v.ok()) {
      out.printf("OK %d lines in %d file(s); head sha256 %s%n", v.lines(), v.files(), v.head());
      return 0;
    }
    out.printf("BROKEN after %d good lines: %s%n", v.lines(), v.problem());
    return 1;
  }

  /** {@code fedbeam keys rotate --key DIR}: a new key pair in DIR, the old one kept in DIR/previous/. */
  static int rotateKeys(List<String> args, PrintStream out, PrintStream err) throws java.io.IOException {
    String dir = toBeamArgs(args).stream().filter(f -> f.startsWith("--key=")).map(f -> f.substring(6)).findFirst()
        .orElse(null);
    if (dir == null) {
      err.println("usage: fedbeam keys rotate --key DIR");
      return 2;
    }
    var r = org.fedbeam.pipelines.protocol.Keys.rotate(java.nio.file.Path.of(dir));
    out.println("key pair in " + dir + " rotated; the previous pair is in " + dir + "/previous");
    out.println("previous key id     " + r.previous().keyId());
    out.println("previous public key " + r.previous().publicKeyBase64());
    out.println("new key id          " + r.current().keyId());
    out.println("new public key      " + r.current().publicKeyBase64());
    return 0;
  }

  /**
   * {@code args} (friendly or Beam flags) parsed and validated as {@code type}; the runner is Flink
   * unless {@code --runner} says otherwise, and Beam's file systems know the options at once.
   */
  public static <T extends org.apache.beam.sdk.options.PipelineOptions> T parse(List<String> args, Class<T> type) {
    List<String> beam = toBeamArgs(args);
    if (beam.stream().noneMatch(a -> a.startsWith("--runner="))) {
      beam.add("--runner=" + FlinkRunner.class.getSimpleName());
    }
    PipelineOptionsFactory.register(type);
    T options = PipelineOptionsFactory.fromArgs(beam.toArray(String[]::new)).withValidation().as(type);
    // Beam registers file systems for the options only when a pipeline is created; a command that
    // reads or writes azfs:// before its first pipeline (the agent, the orchestrator) needs them now.
    org.apache.beam.sdk.io.FileSystems.setDefaultPipelineOptions(options);
    return options;
  }

  /** {@code --batch-size 64} -> {@code --batchSize=64}; {@code --no-baselines} -> {@code --baselines=false}. */
  public static List<String> toBeamArgs(List<String> args) {
    List<String> out = new ArrayList<>();
    for (int i = 0; i < args.size(); i++) {
      String arg = args.get(i);
      if (!arg.startsWith("--")) {
        throw new IllegalArgumentException("unexpected argument '" + arg + "': flags start with --");
      }
      String body = arg.substring(2);
      int eq = body.indexOf('=');
      String name = eq < 0 ? body : body.substring(0, eq);
      String value = eq < 0 ? null : body.substring(eq + 1);
      if (value == null && name.startsWith("no-")) {
        out.add("--" + camel(name.substring(3)) + "=false");
        continue;
      }
      if (value == null && i + 1 < args.size() && !args.get(i + 1).startsWith("--")) {
        value = args.get(++i);
      }
      out.add("--" + camel(name) + (value == null ? "" : "=" + value));
    }
    return out;
  }

  static String camel(String kebab) {
    StringBuilder sb = new StringBuilder();
    boolean upper = false;
    for (char c : kebab.toCharArray()) {
      if (c == '-') {
        upper = true;
      } else {
        sb.append(upper ? Character.toUpperCase(c) : c);
        upper = false;
      }
    }
    return sb.toString();
  }

  /** What {@code fedbeam --help} prints: every command, {@code bench} and {@code demo} (fedbeam-tools) included. */
  public static void usage(PrintStream out) {
    out.println("usage: fedbeam train --output DIR [--silos 10 --alpha 0.5 --partition dirichlet --seed 42");
    out.println("                     --model mlp --hidden 128 --epochs 1 --rounds 50 --lr 0.05 --batch-size 64");
    out.println("                     --dataset fashion-mnist|FILE.csv --label-column label --no-baselines]");
    out.println("       fedbeam bench [--output DIR]");
    out.println("       fedbeam keys new --out DIR               an Ed25519 key pair for a submitter or a silo");
    out.println("       fedbeam keys rotate --key DIR            a new key pair in DIR, the old one kept in DIR/previous/");
    out.println("       fedbeam audit verify --log PATH          checks an audit log's hash chain (and its rotated files)");
    out.println("       fedbeam pipeline [--list]                the silo pipeline's name, version and digest (for policies); --list: what it covers");
    out.println("       fedbeam agent --policy POLICY.json       a silo agent (until SIGTERM; --once answers what waits)");
    out.println("       fedbeam orchestrate --job JOB.json       runs a federated job across silo agents");
    out.println("       fedbeam demo federated --silos 3 --rounds 3 --output DIR [--clusters]");
    out.println("       fedbeam cluster up|down --name NAME      a standalone Flink session cluster on this machine");
    out.println("       fedbeam cluster status [--json]          the clusters, their web UIs and process ids");
    out.println("       fedbeam COMMAND --help   lists every flag of a command");
  }
}
