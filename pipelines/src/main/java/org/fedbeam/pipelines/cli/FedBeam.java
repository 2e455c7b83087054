package org.fedbeam.pipelines.cli;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.apache.beam.runners.flink.FlinkRunner;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.fedbeam.pipelines.federated.AgentOptions;
import org.fedbeam.pipelines.federated.OrchestrateOptions;
import org.fedbeam.pipelines.loop.TrainOptions;
import org.fedbeam.pipelines.rounds.RoundRecords;
import org.fedbeam.pipelines.rounds.SiloPipeline;
import org.fedbeam.transforms.Errors;

/**
 * The command line: {@code fedbeam COMMAND [flags]} ({@code train}, {@code agent}, {@code orchestrate},
 * {@code keys}, {@code audit}, {@code pipeline}, {@code cluster}, {@code predict}), {@code fedbeam COMMAND --help} and
 * {@code fedbeam --version}.
 *
 * <p>Flags may be written the friendly way ({@code --batch-size 64}, {@code --no-baselines}) or the
 * Beam way ({@code --batchSize=64}, {@code --baselines=false}). They are checked first against the
 * command's options interface ({@link Flags}: unknown, repeated, or of the wrong kind, each an error
 * naming the flag and the value), then parsed and validated by Beam's {@link PipelineOptionsFactory},
 * whose messages are translated too. The runner is Flink on an embedded cluster unless {@code --runner}
 * or {@code --flink-master} says otherwise. Exit codes: 0 done, 1 failed, 2 bad usage.
 */
public final class FedBeam {
  private FedBeam() {}

  public static void main(String[] args) {
    System.exit(run(args, System.out, System.err));
  }

  static final String TRAIN_USAGE = "usage: fedbeam train --output DIR [flags]   a federated training simulation with baselines";
  static final String AGENT_USAGE = "usage: fedbeam agent --policy POLICY.json [flags]   a silo agent (until SIGTERM; --once answers"
      + " what waits)";
  static final String FINETUNE_USAGE = "usage: fedbeam finetune --model FILE --dataset DATA --output DIR [flags]"
      + "   continues training a model on the orchestrator's own data";
  static final String ORCHESTRATE_USAGE = "usage: fedbeam orchestrate --job JOB.json [flags]   runs a federated job across"
      + " silo agents";
  static final String PREDICT_USAGE = "usage: fedbeam predict --model BUNDLE --input CSV --output CSV [flags]   the class"
      + " and the class probabilities of each row";
  static final List<Option> PREDICT = List.of(
      Option.required("model", "BUNDLE", "The model bundle (.fbmb), e.g. a run's OUTPUT/model-best.fbmb"),
      Option.required("input", "CSV", "CSV file with a header row: one column per raw column of the bundle, by name,"
          + " in any order (a bundle from a CSV run reads the raw export as train did; the label column may be absent)"),
      Option.required("output", "CSV", "CSV file to write (replaced atomically, and only if every row was predicted)"),
      Option.text("id-column", "NAME", "An input column copied to the output as each row's id (not a feature);"
          + " any other column that is not a feature is refused"),
      Option.text("delimiter", "C", "Bundle from a CSV run: the cell delimiter, one character or 'tab'").withDefault(","),
      Option.text("missing-values", "A,B", "Bundle from a CSV run: cell texts that mean 'no value' (imputed as the"
          + " bundle's preprocessing says); default NA,N/A,NaN,nan,null,NULL,?,None"),
      Option.text("drop-columns", "A,B", "Bundle from a CSV run: input columns to skip"),
      Option.text("chunk-rows", "N", "Rows predicted at a time: the most rows held in memory").withDefault("4096")
          .ofKind(Option.Kind.WHOLE));
  static final List<Option> KEYS_NEW = List.of(Option.required("out", "DIR", "Folder for the new Ed25519 key pair"
      + " (private.pem, public.pem)"));
  static final List<Option> KEYS_ROTATE = List.of(Option.required("key", "DIR", "The key pair's folder: a new pair is"
      + " made there and the old one kept in DIR/previous/"));
  static final List<Option> AUDIT_VERIFY = List.of(Option.required("log", "PATH", "The audit log (a silo's"
      + " state/audit.jsonl); its rotated files are checked too"));
  static final List<Option> PIPELINE = List.of(Option.flag("list", "Also list what the digest covers (classes and"
      + " library packages)"));

  /** Runs a command; returns the process exit code (0 ok, 1 failed, 2 bad usage). */
  public static int run(String[] args, PrintStream out, PrintStream err) {
    if (args.length == 0) {
      usage(err);
      return 2;
    }
    String command = args[0];
    if (List.of("-h", "--help", "help", "--help-all").contains(command)) {
      usage(out);
      return 0;
    }
    if (List.of("--version", "version").contains(command)) {
      out.println(Version.line());
      return 0;
    }
    List<String> rest = Arrays.asList(args).subList(1, args.length);
    try {
      if (rest.contains("--help") || rest.contains("-h") || rest.contains("--help-all")) {
        return help(command, rest, out, err);
      }
      switch (command) {
        case "train" -> {
          var summary = TrainJob.run(parse("train", rest, TrainOptions.class), out,
              org.fedbeam.pipelines.loop.RunOptions.resumeCommand("train", rest));
          return haltedExitCode(summary.path("halted").asText(""));
        }
        case "finetune" -> FinetuneJob.run(parse("finetune", rest, FinetuneOptions.class), out);
        case "keys" -> {
          return keys(rest, out, err);
        }
        case "audit" -> {
          return verifyAudit(rest, out, err);
        }
        case "pipeline" -> {
          Map<String, String> flags = Flags.values("pipeline", rest, PIPELINE);
          out.println(SiloPipeline.NAME + " version " + SiloPipeline.VERSION + " sha256 " + SiloPipeline.definitionSha256());
          if (flags.containsKey("list") && !"false".equals(flags.get("list"))) {
            org.fedbeam.pipelines.digest.DigestListing.print(SiloPipeline.definition(), out);
          } else { // the statistics pipeline, approved separately (docs/federated.md)
            out.println(org.fedbeam.pipelines.rounds.SiloStatsPipeline.NAME + " version " + org.fedbeam.pipelines.rounds.SiloStatsPipeline.VERSION + " sha256 " + org.fedbeam.pipelines.rounds.SiloStatsPipeline.definitionSha256());
          }
        }
        case "agent" -> org.fedbeam.pipelines.federated.SiloAgent.run(parse("agent", rest, AgentOptions.class), out);
        case "orchestrate" -> {
          var summary = org.fedbeam.pipelines.federated.Orchestrator.run(
              parse("orchestrate", rest, OrchestrateOptions.class), out);
          summary.remove("rounds"); // per round and per silo in OUTPUT/run-summary.json
          out.println("SUMMARY " + RoundRecords.oneLine(summary));
          return haltedExitCode(summary.path("halted").asText(""));
        }
        case "cluster" -> {
          return ClusterCommand.run(rest, out);
        }
        case "export" -> {
          return ExportCommand.run(rest, out);
        }
        case "job" -> { return JobCommand.run(rest, out, err); }
        case "preprocess" -> { return PreprocessCommand.run(rest, out, err); }
        case "prepare", "sample-data" -> { return PrepareCommand.run(command, rest, out); }
        case "stats" -> {
          // the deployment (--job: real silos through the exchange) or the simulation (--dataset)
          if (rest.stream().anyMatch(a -> a.equals("--job") || a.startsWith("--job="))) {
            out.println("SUMMARY " + RoundRecords.oneLine(org.fedbeam.pipelines.federated.StatsOrchestrator.run(
                parse("stats", rest, org.fedbeam.pipelines.federated.StatsJobOptions.class), out)));
          } else {
            return StatsCommand.run(rest, out);
          }
        }
        case "predict" -> {
          Map<String, String> f = Flags.values("predict", rest, PREDICT);
          org.fedbeam.pipelines.predict.Predict.run(new org.fedbeam.pipelines.predict.Predict.Request(
              java.nio.file.Path.of(f.get("model")), java.nio.file.Path.of(f.get("input")),
              java.nio.file.Path.of(f.get("output")), org.fedbeam.pipelines.predict.Predict.Reading.parse(
                  f.get("id-column"), f.getOrDefault("delimiter", ","), f.get("missing-values"), f.get("drop-columns")),
              Integer.parseInt(f.getOrDefault("chunk-rows", "4096"))), out);
        }
        case "bench", "demo" -> {
          return toolsOnly(command, err);
        }
        default -> {
          return unknownCommand(command, err);
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

  /**
   * The exit code of a run that {@code halted} (empty: it finished): 0 for a finished run or a
   * slice that paused, 128 + the signal's number for a run a signal stopped (130 for SIGINT, 143 for
   * SIGTERM), as a shell reports a process the signal ended.
   */
  static int haltedExitCode(String halted) {
    if (halted.contains("SIGINT")) {
      return 130;
    }
    if (halted.contains("SIGTERM")) {
      return 143;
    }
    return 0;
  }

  /** {@code fedbeam COMMAND --help} (or {@code --help-all}): the command's flags, its own first. */
  static int help(String command, List<String> rest, PrintStream out, PrintStream err) {
    boolean all = rest.contains("--help-all");
    switch (command) {
      case "train" -> Help.options(out, "train", TRAIN_USAGE, TrainOptions.class, all);
      case "finetune" -> Help.options(out, "finetune", FINETUNE_USAGE, FinetuneOptions.class, all);
      case "agent" -> Help.options(out, "agent", AGENT_USAGE, AgentOptions.class, all);
      case "orchestrate" -> Help.options(out, "orchestrate", ORCHESTRATE_USAGE, OrchestrateOptions.class, all);
      case "keys" -> {
        out.println("usage: fedbeam keys new --out DIR      an Ed25519 key pair for a submitter or a silo");
        out.println("       fedbeam keys rotate --key DIR   a new key pair in DIR, the old one kept in DIR/previous/");
        Help.print(out, new Help.Section("keys new", KEYS_NEW));
        Help.print(out, new Help.Section("keys rotate", KEYS_ROTATE));
      }
      case "audit" -> {
        out.println("usage: fedbeam audit verify --log PATH   checks an audit log's hash chain (and its rotated files);"
            + " exit code 0 if it holds, 1 if it is broken");
        Help.print(out, new Help.Section("audit verify", AUDIT_VERIFY));
      }
      case "pipeline" -> {
        out.println("usage: fedbeam pipeline [--list]   the silo pipeline's name, version and SHA-256 (the value a"
            + " silo policy approves)");
        Help.print(out, new Help.Section("pipeline", PIPELINE));
      }
      case "export" -> {
        out.println(ExportCommand.USAGE);
        Help.print(out, new Help.Section("export", ExportCommand.OPTIONS));
      }
      case "cluster" -> ClusterCommand.help(rest.isEmpty() ? null : rest.get(0), out);
      case "job" -> { out.println(JobCommand.USAGE); Help.print(out, new Help.Section("job new", JobCommand.NEW)); }
      case "preprocess" -> PreprocessCommand.help(out);
      case "prepare", "sample-data" -> PrepareCommand.help(command, all, out);
      case "stats" -> StatsCommand.help(all, out);
      case "predict" -> {
        out.println(PREDICT_USAGE);
        Help.print(out, new Help.Section("predict", PREDICT));
      }
      case "bench", "demo" -> {
        return toolsOnly(command, err);
      }
      default -> {
        return unknownCommand(command, err);
      }
    }
    return 0;
  }

  private static int unknownCommand(String command, PrintStream err) {
    String close = Flags.closest(command, COMMANDS);
    err.println("error: unknown command '" + command + "'" + (close == null ? "" : "; did you mean " + close + "?"));
    usage(err);
    return 2;
  }

  private static int toolsOnly(String command, PrintStream err) {
    // tools/ (fedbeam-tools) runs these; bin/fedbeam's main class org.fedbeam.tools.FedBeamTools
    err.println("error: '" + command + "' is in the fedbeam-tools module: run it with bin/fedbeam"
        + " (main class org.fedbeam.tools.FedBeamTools)");
    return 2;
  }

  /** Every command, for "did you mean". */
  static final List<String> COMMANDS = List.of("train", "finetune", "bench", "keys", "audit", "pipeline", "agent",
      "orchestrate", "demo", "cluster", "export", "version", "help", "predict", "prepare", "sample-data", "stats",
      "preprocess", "job");

  /** {@code fedbeam keys new --out DIR} and {@code fedbeam keys rotate --key DIR}. */
  static int keys(List<String> rest, PrintStream out, PrintStream err) throws java.io.IOException {
    if (!rest.isEmpty() && rest.get(0).equals("rotate")) {
      return rotateKeys(rest.subList(1, rest.size()), out, err);
    }
    if (rest.isEmpty() || !rest.get(0).equals("new")) {
      err.println("usage: fedbeam keys new --out DIR | fedbeam keys rotate --key DIR");
      return 2;
    }
    String dir = Flags.values("keys new", rest.subList(1, rest.size()), KEYS_NEW).get("out");
    var identity = org.fedbeam.pipelines.protocol.Keys.create(java.nio.file.Path.of(dir));
    out.println("key pair written to " + dir + " (private.pem, public.pem)");
    out.println("key id     " + identity.keyId());
    out.println("public key " + identity.publicKeyBase64());
    return 0;
  }

  /** {@code fedbeam audit verify --log PATH}: 0 if the log's chain holds, 1 if it is broken, 2 on bad usage. */
  static int verifyAudit(List<String> args, PrintStream out, PrintStream err) {
    if (args.isEmpty() || !args.get(0).equals("verify")) {
      err.println("usage: fedbeam audit verify --log PATH");
      return 2;
    }
    String log = Flags.values("audit verify", args.subList(1, args.size()), AUDIT_VERIFY).get("log");
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
    String dir = Flags.values("keys rotate", args, KEYS_ROTATE).get("key");
    var r = org.fedbeam.pipelines.protocol.Keys.rotate(java.nio.file.Path.of(dir));
    out.println("key pair in " + dir + " rotated; the previous pair is in " + dir + "/previous");
    out.println("previous key id     " + r.previous().keyId());
    out.println("previous public key " + r.previous().publicKeyBase64());
    out.println("new key id          " + r.current().keyId());
    out.println("new public key      " + r.current().publicKeyBase64());
    return 0;
  }

  /** {@link #parse(String, List, Class)} for a command named after its options interface. */
  public static <T extends PipelineOptions> T parse(List<String> args, Class<T> type) {
    return parse(type.getSimpleName().replace("Options", "").toLowerCase(java.util.Locale.ROOT), args, type);
  }

  /**
   * {@code args} (friendly or Beam flags) checked and parsed as {@code type}: each flag known (else the
   * closest is suggested), given once, with a value of its kind, the required ones present; the
   * strategies' parameter flags folded into {@code --strategyParams}; the runner is Flink unless
   * {@code --runner} says otherwise, and Beam's file systems know the options at once.
   *
   * @param command the command, for messages
   * @throws IllegalArgumentException naming the flag and the value, never a Java class
   */
  public static <T extends PipelineOptions> T parse(String command, List<String> args, Class<T> type) {
    List<Flags.Arg> parsed = Flags.parse(args);
    List<Option> own = new ArrayList<>(OptionFlags.own(type));
    if (own.stream().anyMatch(o -> o.property().equals(StrategyFlags.PARAMS))) {
      parsed = StrategyFlags.collect(parsed, own);
      own.addAll(StrategyFlags.options(own));
    }
    Flags.check(command, parsed, own, OptionFlags.others(type));
    List<String> beam = new ArrayList<>(parsed.stream().map(Flags.Arg::beam).toList());
    if (parsed.stream().noneMatch(a -> a.name().equals("runner"))) {
      beam.add("--runner=" + FlinkRunner.class.getSimpleName());
    }
    PipelineOptionsFactory.register(type);
    T options;
    try {
      options = PipelineOptionsFactory.fromArgs(beam.toArray(String[]::new)).withValidation().as(type);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(Flags.translate(command, e.getMessage()));
    }
    // Beam registers file systems for the options only when a pipeline is created; a command that
    // reads or writes azfs:// before its first pipeline (the agent, the orchestrator) needs them now.
    org.apache.beam.sdk.io.FileSystems.setDefaultPipelineOptions(options);
    return options;
  }

  /** {@code --batch-size 64} -> {@code --batchSize=64}; {@code --no-baselines} -> {@code --baselines=false}. */
  public static List<String> toBeamArgs(List<String> args) {
    return new ArrayList<>(Flags.parse(args).stream().map(Flags.Arg::beam).toList());
  }

  /** What {@code fedbeam --help} prints: every command, {@code bench} and {@code demo} (fedbeam-tools) included. */
  public static void usage(PrintStream out) {
    out.println("usage: fedbeam COMMAND [flags]");
    out.println();
    out.println("  fedbeam train --output DIR [flags]      federated training on Fashion-MNIST or a CSV file, with baselines");
    out.println("  fedbeam finetune --model FILE --dataset DATA --output DIR   continues training a model on your own data");
    out.println("  fedbeam bench [--output DIR]            performance figures; the last line is BENCH {json}");
    out.println("  fedbeam demo federated --output DIR     silo agents and an orchestrator as processes on this machine");
    out.println("  fedbeam agent --policy POLICY.json      a silo agent (until SIGTERM; --once answers what waits)");
    out.println("  fedbeam orchestrate --job JOB.json      runs a federated job across silo agents");
    out.println("  fedbeam prepare --input CSV --output FILE --label-column C   a provider's CSV export as its silo's data");
    out.println("  fedbeam stats --job JOB.json            federated statistics through the silos' agents (only aggregates leave)");
    out.println("  fedbeam stats --dataset CSV --silos K --output DIR   federated statistics, simulated on one machine");
    out.println("  fedbeam preprocess fit --stats STATS.json --output FILE   a preprocessing fitted from federated statistics");
    out.println("  fedbeam job new|check                   writes a commented job file; checks one, naming every bad field");
    out.println("  fedbeam sample-data --dataset NAME --output CSV   a real CSV export (breast-cancer, wine, credit-g)");
    out.println("  fedbeam predict --model BUNDLE --input CSV --output CSV   a trained model's predictions for a CSV file");
    out.println("  fedbeam keys new --out DIR              an Ed25519 key pair for a submitter or a silo");
    out.println("  fedbeam keys rotate --key DIR           a new key pair in DIR, the old one kept in DIR/previous/");
    out.println("  fedbeam audit verify --log PATH         checks an audit log's hash chain (and its rotated files)");
    out.println("  fedbeam pipeline [--list]               the silo pipeline's name, version and digest (for policies)");
    out.println("  fedbeam cluster up|down|status|tls|tls-conf   standalone Flink session clusters on this machine");
    out.println("  fedbeam export --onnx --model B --output F   a model bundle as ONNX (preprocessing included)");
    out.println();
    out.println("  fedbeam COMMAND --help       the command's flags, with their defaults (--help-all adds Beam's and Flink's)");
    out.println("  fedbeam --version            the version and the commit it was built from");
  }
}
