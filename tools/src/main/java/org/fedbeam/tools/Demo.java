package org.fedbeam.tools;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.fedbeam.model.Stats;
import org.fedbeam.pipelines.cli.FedBeamProcess;
import org.fedbeam.pipelines.loop.SimulationData;
import org.fedbeam.pipelines.loop.TrainOptions;
import org.fedbeam.pipelines.protocol.Keys;
import org.fedbeam.pipelines.protocol.Signed;
import org.fedbeam.pipelines.rounds.RoundRecords;
import org.fedbeam.pipelines.rounds.SiloPipeline;
import org.fedbeam.transforms.Artifacts;

/**
 * {@code fedbeam demo federated --silos 3 --rounds 3 --output DIR}: the federated mode on one
 * machine. It splits Fashion-MNIST into silo shards, makes a key pair for the orchestrator and one
 * per silo, writes each silo's policy and the job file, then starts one silo agent per silo and
 * the orchestrator, each a separate OS process with its own embedded Flink. When the orchestrator
 * is done it stops the agents with SIGTERM and ends with a {@code SUMMARY} JSON line.
 *
 * <pre>
 *   DIR/silos/silo-NN/       the silo's private side: train.fbds, key/ (key pair, silo-secret), policy.json,
 *                            state/ (audit log), agent.log
 *   DIR/exchange/silo-NN/    the silo's exchange area: requests in, answers out
 *   DIR/orchestrator/        validation and test sets, key/, job.json, run/ (models, rounds, summary), orchestrator.log
 *   DIR/simulation/          the simulation twin's run, and silo-secrets.json (the silos' secrets, for the twin only)
 * </pre>
 *
 * <p>With {@code --storage azurite} the data moves to an Azurite emulator the demo starts and
 * stops ({@link DemoStorage.Azurite}): the shard and the state (audit log) to {@code
 * silo-NN-private}, the exchange to {@code silo-NN-exchange}, the evaluation sets and the run to
 * {@code orchestrator}, each container in an account of its own. Key pairs, policies, the job
 * file, logs and each party's {@code azure-containers.json} (the keys of its containers) stay in
 * the folders above.
 */
public final class Demo {
  private Demo() {}

  /** Runs the demo; returns what its {@code SUMMARY} line says. */
  public static ObjectNode run(List<String> args, PrintStream out) throws Exception {
    Map<String, String> flags = flags(args);
    int silos = Integer.parseInt(flags.getOrDefault("silos", "3"));
    int rounds = Integer.parseInt(flags.getOrDefault("rounds", "3"));
    String output = flags.get("output");
    if (output == null) {
      throw new IllegalArgumentException("demo federated needs --output DIR");
    }
    if (silos < 1 || rounds < 1) {
      throw new IllegalArgumentException("--silos and --rounds must be >= 1");
    }
    String storageName = flags.getOrDefault("storage", "local");
    if (!List.of("local", "azurite").contains(storageName)) {
      throw new IllegalArgumentException("--storage must be local or azurite, was " + storageName);
    }
    if (storageName.equals("azurite")) {
      org.fedbeam.testing.AzuriteServer.findExecutable(System.getenv("PATH")); // before any work
    }
    Path dir = Path.of(output).toAbsolutePath();
    Files.createDirectories(dir);
    out.printf("demo: %d silos, %d rounds, %s storage, everything under %s%n", silos, rounds, storageName, dir);

    String hidden = flags.getOrDefault("hidden", "128");
    TrainOptions data = PipelineOptionsFactory.fromArgs("--output=" + dir, "--silos=" + silos,
        "--seed=" + flags.getOrDefault("seed", "42"), "--alpha=" + flags.getOrDefault("alpha", "0.5"),
        "--fashionMnistDir=" + flags.getOrDefault("fashion-mnist-dir", "/usr/share/datasets/fashion-mnist"),
        "--rounds=" + rounds, "--patience=" + rounds, "--hidden=" + hidden, "--epochs=1", "--batchSize=64", "--lr=0.05",
        "--momentum=0.9", "--weightDecay=0", "--baselines=false", "--runner=FlinkRunner", "--webUiPort=0")
        .as(TrainOptions.class);
    SimulationData local = SimulationData.prepare(data, out);
    out.println("silo sizes: " + local.siloSizes());
    boolean onClusters = Boolean.parseBoolean(flags.getOrDefault("clusters", "false"));
    Path clustersDir = Path.of(flags.getOrDefault("clusters-dir", dir.resolve("clusters").toString())).toAbsolutePath();
    try (DemoStorage storage = DemoStorage.open(storageName, dir, local.silos().keySet(), out);
        DemoClusters clusters = onClusters ? DemoClusters.open(clustersDir, List.copyOf(local.silos().keySet()), out) : null) {
      storage.configure(data);
      return run(dir, silos, rounds, hidden, data, placed(local, storage), storage, clusters, out);
    }
  }

  /** The prepared data moved to where the storage keeps it: each shard in its silo's place, evaluation sets with the orchestrator. */
  private static SimulationData placed(SimulationData local, DemoStorage storage) {
    Map<String, String> silos = new LinkedHashMap<>();
    local.silos().forEach((id, uri) -> silos.put(id, storage.siloData(id, uri)));
    Map<String, String> evaluation = new LinkedHashMap<>();
    local.evaluationSets().forEach((name, uri) -> evaluation.put(name, storage.evaluationSet(name, uri)));
    return new SimulationData(silos, evaluation, local.featureCount(), local.classes(), local.siloSizes(), local.source(),
        local.featureNames(), local.scaling(), local.classLabels());
  }

  private static ObjectNode run(Path dir, int silos, int rounds, String hidden, TrainOptions data,
      SimulationData prepared, DemoStorage storage, DemoClusters clusters, PrintStream out) throws Exception {
    long since = System.currentTimeMillis();
    Keys.Identity submitter = Keys.create(dir.resolve("orchestrator/key"));
    ArrayNode jobSilos = Signed.JSON.createArrayNode();
    List<Path> policies = new ArrayList<>();
    ObjectNode secrets = Signed.JSON.createObjectNode();
    for (var silo : prepared.silos().entrySet()) {
      String id = silo.getKey();
      Path siloDir = dir.resolve("silos").resolve(id);
      Keys.Identity key = Keys.create(siloDir.resolve("key"));
      // the silo's own secret: its agent draws its training seeds from it
      secrets.put(id, java.util.Base64.getEncoder().encodeToString(Keys.siloSecret(siloDir.resolve("key"))));
      long samples = prepared.siloSizes().get(id);
      String exchange = storage.exchange(id);
      Path policyFile = siloDir.resolve("policy.json");
      Files.write(policyFile, RoundRecords.JSON.writeValueAsBytes(policy(id, silo.getValue(), exchange,
          storage.siloState(id), siloDir.resolve("key"), submitter, pollMillis(storage), samples)));
      policies.add(policyFile);
      jobSilos.addObject().put("id", id).put("exchange", exchange).put("public_key", key.publicKeyBase64())
          .put("samples", samples);
    }
    ObjectNode job = job(dir, silos, rounds, hidden, data, prepared, storage, jobSilos);
    Path jobFile = dir.resolve("orchestrator/job.json");
    Files.createDirectories(jobFile.getParent());
    Files.write(jobFile, RoundRecords.JSON.writeValueAsBytes(job));
    twinSeeds(dir, data, secrets, job.get("job_id").asText());

    List<Process> agents = new ArrayList<>();
    Map<Process, Path> agentLogs = new LinkedHashMap<>();
    // on Ctrl-C or SIGTERM the finally below does not run: the agents and the orchestrator get SIGTERM here
    Thread stopChildren = new Thread(() -> ProcessHandle.current().children().forEach(ProcessHandle::destroy),
        "fedbeam-demo-stop");
    Runtime.getRuntime().addShutdownHook(stopChildren);
    try {
      for (Path policy : policies) {
        String silo = policy.getParent().getFileName().toString();
        List<String> args = new ArrayList<>(List.of("agent", "--policy=" + policy, "--parallelism=1"));
        if (clusters != null) {
          args.add("--flinkMaster=" + clusters.flinkMaster(silo));
          args.add("--flinkTlsDir=" + clusters.flinkTlsDir(silo));
        }
        args.addAll(storage.siloFlags(silo));
        Path log = policy.getParent().resolve("agent.log");
        Process agent = FedBeamProcess.start(args, log, tempFolder(storage, policy.getParent()));
        agents.add(agent);
        agentLogs.put(agent, log);
        out.println("silo agent started, pid " + agent.pid() + ": fedbeam " + String.join(" ", args));
      }
      List<String> args = new ArrayList<>(List.of("orchestrate", "--job=" + jobFile, "--parallelism=1"));
      if (clusters != null) {
        args.add("--flinkMaster=" + clusters.flinkMaster(DemoClusters.ORCHESTRATOR));
        args.add("--flinkTlsDir=" + clusters.flinkTlsDir(DemoClusters.ORCHESTRATOR));
      }
      args.addAll(storage.orchestratorFlags());
      runOrchestrator(args, dir.resolve("orchestrator"), storage, agentLogs, out);
    } finally {
      for (Process agent : agents) {
        agent.destroy(); // SIGTERM: the agent finishes the request in hand and exits
      }
      for (Process agent : agents) {
        if (!agent.waitFor(60, TimeUnit.SECONDS)) {
          agent.destroyForcibly();
        }
      }
      policies.forEach(p -> deleteTempFolder(storage, p.getParent()));
      deleteTempFolder(storage, dir.resolve("orchestrator"));
      try {
        Runtime.getRuntime().removeShutdownHook(stopChildren);
      } catch (IllegalStateException e) {
        // the JVM is exiting: the hook runs
      }
    }
    JsonNode summary = RoundRecords.readJson(org.fedbeam.transforms.Artifacts.resolve(storage.orchestratorOutput(),
        "run-summary.json"), "run summary");
    ObjectNode result = result(summary, storage, agents, policies);
    if (clusters != null) {
      result.set("cluster_web_uis", clusters.webUis());
      ObjectNode jobs = clusters.jobsSince(since);
      ObjectNode ids = result.putObject("cluster_jobs");
      jobs.fields().forEachRemaining(f -> {
        var list = ids.putArray(f.getKey());
        f.getValue().forEach(j -> list.add(j.path("id").asText()));
      });
      RoundRecords.write(dir.resolve("cluster-jobs.json").toString(), jobs);
    }
    simulationTwin(data, prepared, summary, result, out);
    result.put("output", dir.toString());
    out.println("SUMMARY " + RoundRecords.oneLine(result));
    return result;
  }

  /**
   * The simulation twin draws each silo's seeds from that silo's secret, as the silo's agent does:
   * the demo runs every party on this machine, so it may hand the twin the secrets (in a file
   * readable by its owner only, {@code DIR/simulation/silo-secrets.json}). A real silo's secret
   * never leaves it.
   */
  private static void twinSeeds(Path dir, TrainOptions data, ObjectNode secrets, String jobId) throws IOException {
    Path file = dir.resolve("simulation/silo-secrets.json");
    Files.createDirectories(file.getParent());
    Files.deleteIfExists(file);
    Files.createFile(file);
    try {
      Files.setPosixFilePermissions(file, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
    } catch (UnsupportedOperationException e) {
      // not a POSIX file system: the demo folder's own permissions protect it
    }
    Files.write(file, RoundRecords.JSON.writeValueAsBytes(secrets));
    data.setSiloSecrets(file.toString());
    data.setJobId(jobId);
  }

  /**
   * How often the parties check the exchange: often on local folders, where a check is a stat;
   * less often on Azurite, where each is a request.
   */
  private static long pollMillis(DemoStorage storage) {
    return "local".equals(storage.name()) ? 25 : 100;
  }

  /**
   * A silo's policy: its own locations, the demo's orchestrator as the one trusted submitter, its
   * declared sample count, and differential privacy explicitly not required (so that, with DP off,
   * the federated run matches its simulation twin bit for bit). The job's training settings (epochs
   * 1, batch 64, learning rate 0.05, momentum 0.9, no weight decay) are within the policy's default
   * bounds.
   */
  static ObjectNode policy(String id, String data, String exchange, String state, Path keyDir,
      Keys.Identity submitter, long pollMillis, long samples) {
    ObjectNode policy = Signed.JSON.createObjectNode();
    policy.put("silo", id);
    policy.put("data", data);
    policy.put("exchange", exchange);
    policy.put("state", state);
    policy.put("key", keyDir.toString());
    policy.putArray("trusted_submitters").addObject().put("name", "demo-orchestrator")
        .put("public_key", submitter.publicKeyBase64());
    policy.putArray("approved_pipelines").addObject().put("name", SiloPipeline.NAME).put("version", SiloPipeline.VERSION)
        .put("sha256", SiloPipeline.definitionSha256());
    policy.putArray("approved_models").add("mlp").add("logreg");
    policy.put("max_parameters", 5_000_000);
    policy.put("min_samples", 50);
    policy.put("max_rounds_per_job", 100);
    policy.putArray("allowed_metadata").add("samples").add("train_loss").add("train_ms");
    policy.put("max_update_norm", 1000.0);
    policy.put("poll_ms", pollMillis);
    policy.put("declared_samples", samples);
    policy.putObject("differential_privacy").put("required", false);
    return policy;
  }

  /** The orchestrator's job: it names each silo by id, exchange, public key and declared sample count only. */
  private static ObjectNode job(Path dir, int silos, int rounds, String hidden, TrainOptions data,
      SimulationData prepared, DemoStorage storage, ArrayNode jobSilos) {
    ObjectNode job = Signed.JSON.createObjectNode();
    job.put("job_id", "demo-" + System.currentTimeMillis());
    job.put("submitter_key", dir.resolve("orchestrator/key").toString());
    job.put("output", storage.orchestratorOutput());
    ObjectNode model = job.putObject("model");
    model.put("kind", "mlp");
    model.putArray("layers").add(prepared.featureCount()).add(Integer.parseInt(hidden)).add(prepared.classes());
    job.putObject("train").put("epochs", 1).put("batch_size", 64).put("learning_rate", 0.05).put("momentum", 0.9)
        .put("weight_decay", 0.0);
    job.put("rounds", rounds);
    job.put("min_silos", Math.max(1, silos - 1));
    job.put("round_timeout_s", 180);
    job.put("grace_s", 10);
    job.put("max_attempts", 2);
    job.put("seed", data.getSeed());
    job.put("poll_ms", pollMillis(storage));
    job.set("silos", jobSilos);
    ObjectNode evaluation = job.putObject("evaluation");
    prepared.evaluationSets().forEach(evaluation::put);
    return job;
  }

  /**
   * Runs {@code fedbeam ARGS} (the orchestrator) to the end; fails with its log's tail unless it
   * exits 0, or with an agent's log's tail as soon as an agent exits before it.
   */
  private static void runOrchestrator(List<String> args, Path orchestratorDir, DemoStorage storage,
      Map<Process, Path> agentLogs, PrintStream out) throws Exception {
    Path log = orchestratorDir.resolve("orchestrator.log");
    Process orchestrator = FedBeamProcess.start(args, log, tempFolder(storage, orchestratorDir));
    try {
      out.println("orchestrator started, pid " + orchestrator.pid() + ": fedbeam " + String.join(" ", args));
      out.println("its log: " + log);
      long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(30);
      while (!orchestrator.waitFor(1, TimeUnit.SECONDS)) {
        for (var agent : agentLogs.entrySet()) {
          if (!agent.getKey().isAlive()) {
            throw new IllegalStateException("silo agent pid " + agent.getKey().pid() + " exited (code "
                + agent.getKey().exitValue() + ") before the job ended: " + tail(agent.getValue()));
          }
        }
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException("the orchestrator did not finish within 30 minutes");
        }
      }
      if (orchestrator.exitValue() != 0) {
        throw new IllegalStateException("the orchestrator failed (exit " + orchestrator.exitValue() + "): " + tail(log));
      }
    } finally {
      if (orchestrator.isAlive()) {
        orchestrator.destroyForcibly();
      }
    }
  }

  /** The SUMMARY's federated part: the run summary's figures, the storage, the agents' pids and exit codes. */
  private static ObjectNode result(JsonNode summary, DemoStorage storage, List<Process> agents, List<Path> policies) {
    ObjectNode result = Signed.JSON.createObjectNode();
    result.put("mode", "federated");
    result.put("storage", storage.name());
    for (String key : List.of("job_id", "rounds_completed", "silos", "updates_accepted", "updates_refused",
        "updates_invalid", "silos_timed_out", "fl_accuracy", "round_wall_s_median", "final_model_sha256",
        "orchestrator_pid")) {
      result.set(key, summary.get(key));
    }
    ArrayNode pids = result.putArray("silo_pids");
    agents.forEach(a -> pids.add(a.pid()));
    ObjectNode exits = result.putObject("agent_exit_codes");
    for (int i = 0; i < agents.size(); i++) {
      exits.put(policies.get(i).getParent().getFileName().toString(), agents.get(i).exitValue());
    }
    result.set("silo_latency_s_median", summary.get("silo_latency_s_median"));
    return result;
  }

  /**
   * Runs the same job in the simulation mode (same silos, data, model, seeds and rounds, embedded
   * Flink, in this process once the agents are gone) and adds the comparison to {@code result}:
   * the round wall times, each silo's request-to-update time in the deployment against its
   * training time in the simulation, and whether both modes produced the same final model.
   */
  private static void simulationTwin(TrainOptions options, SimulationData data, JsonNode federated, ObjectNode result,
      PrintStream out) throws Exception {
    out.println("simulation mode, same silos, data, model and rounds, for comparison:");
    org.fedbeam.pipelines.loop.RoundLoop.Settings settings = org.fedbeam.pipelines.loop.Simulation.settings(options,
        data.featureCount(), data.classes());
    String simOutput = Path.of(options.getOutput()).resolve("simulation").toString();
    org.fedbeam.pipelines.loop.RoundLoop.Result sim;
    try (org.fedbeam.pipelines.runners.Runners.Session session = org.fedbeam.pipelines.runners.Runners.prepare(options, simOutput, "0", out)) {
      sim = org.fedbeam.pipelines.loop.Simulation.run(options, session.roundRunner(), data, settings, simOutput, out);
    }
    double simWall = sim.median(org.fedbeam.pipelines.loop.RoundLoop.RoundStats::wallSeconds);
    double fedWall = federated.path("round_wall_s_median").asDouble();
    result.put("simulation_round_wall_s_median", simWall);
    result.put("deployment_added_s_per_round", fedWall - simWall);
    ObjectNode perSilo = result.putObject("silo_request_to_update_vs_simulation_train_s");
    for (String silo : data.silos().keySet()) {
      double[] train = sim.rounds().stream().filter(r -> r.participants().containsKey(silo))
          .mapToDouble(r -> r.participants().get(silo).trainMillis() / 1000.0).toArray();
      double simTrain = Stats.median(train);
      double latency = federated.path("silo_latency_s_median").path(silo).asDouble(Double.NaN);
      perSilo.putObject(silo).put("deployment_request_to_update_s", latency).put("simulation_train_s", simTrain)
          .put("added_s", latency - simTrain);
    }
    String simSha = Artifacts.sha256Hex(
        org.fedbeam.transforms.Artifacts.read(sim.finalModelUri(), "simulation's final model"));
    result.put("simulation_final_model_sha256", simSha);
    result.put("same_model_as_simulation", simSha.equals(federated.path("final_model_sha256").asText()));
  }

  /**
   * With its storage on azfs a process puts Flink's temporary files in {@code java.io.tmpdir}
   * (see Runners.prepare): keep them in the party's own folder. On local storage they already are.
   */
  private static Path tempFolder(DemoStorage storage, Path partyDir) {
    return storage instanceof DemoStorage.Local ? null : partyDir.resolve("tmp");
  }

  /** Flink leaves its RPC jar (35 MB) in each process's temporary folder: gone with the processes. */
  private static void deleteTempFolder(DemoStorage storage, Path partyDir) {
    Path tmp = tempFolder(storage, partyDir);
    if (tmp == null || !Files.exists(tmp)) {
      return;
    }
    try (java.util.stream.Stream<Path> paths = Files.walk(tmp)) {
      for (Path p : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    } catch (IOException e) {
      // runs in a finally block: a leftover temporary file must not hide why the demo stopped
      System.err.println("warning: cannot delete the temporary folder " + tmp + ": " + e.getMessage());
    }
  }

  private static String tail(Path log) {
    try {
      List<String> lines = Files.readAllLines(log);
      return String.join("\n", lines.subList(Math.max(0, lines.size() - 15), lines.size()));
    } catch (IOException e) {
      return "(no log: " + e.getMessage() + ")";
    }
  }

  private static Map<String, String> flags(List<String> args) {
    Map<String, String> flags = new LinkedHashMap<>();
    for (int i = 0; i < args.size(); i++) {
      String a = args.get(i);
      if (!a.startsWith("--")) {
        throw new IllegalArgumentException("unexpected argument '" + a + "'");
      }
      String name = a.substring(2);
      String value;
      int eq = name.indexOf('=');
      if (eq >= 0) {
        value = name.substring(eq + 1);
        name = name.substring(0, eq);
      } else if (i + 1 < args.size() && !args.get(i + 1).startsWith("--")) {
        value = args.get(++i);
      } else if (name.equals("clusters")) {
        value = "true";
      } else {
        throw new IllegalArgumentException("--" + name + " needs a value");
      }
      if (!List.of("silos", "rounds", "output", "storage", "seed", "alpha", "hidden", "fashion-mnist-dir", "clusters",
          "clusters-dir").contains(name)) {
        throw new IllegalArgumentException("unknown flag --" + name + " for demo federated");
      }
      flags.put(name, value);
    }
    return flags;
  }
}
