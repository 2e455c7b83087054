package org.fedbeam.pipelines.federated;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.fedbeam.pipelines.cli.FedBeam;
import org.fedbeam.pipelines.cli.FedBeamProcess;
import org.fedbeam.pipelines.loop.RoundLoop;
import org.fedbeam.pipelines.rounds.RoundRecords;
import org.fedbeam.transforms.Artifacts;

/**
 * One copy of a federated job of three silos whose agents run as their own OS processes, for the
 * resume tests. Every copy made from one {@link World} has the same job id, orchestrator key, silo
 * keys and secrets (a silo's training seed is drawn from its secret, the job id and the round) and
 * the same data, but its own exchange areas, silo state folders and orchestrator output: so an
 * uninterrupted copy is the reference that an interrupted copy must match byte for byte.
 */
final class ProcessFederation implements AutoCloseable {
  static final String JOB = "long-job";
  static final List<String> SILOS = List.of("alpha", "beta", "gamma");
  final World world;
  final Path home;
  final Path jobFile;
  final Path output;
  final int rounds;
  private final Map<String, Path> policies = new LinkedHashMap<>();
  private final Map<String, Process> agents = new LinkedHashMap<>();
  private int restarts;

  /** A copy named {@code name} of job {@link #JOB} with {@code rounds} rounds; {@code adjust} may change the job file. */
  ProcessFederation(World world, String name, int rounds, Consumer<ObjectNode> adjust) throws IOException {
    this.world = world;
    this.home = world.dir.resolve(name);
    this.rounds = rounds;
    this.output = home.resolve("output");
    for (String silo : SILOS) {
      ObjectNode p = world.policy(silo);
      p.put("exchange", exchange(silo).toString());
      p.put("state", home.resolve("silo-state").resolve(silo).toString());
      Path file = home.resolve("policy-" + silo + ".json");
      Files.createDirectories(home);
      Files.write(file, RoundRecords.JSON.writeValueAsBytes(p));
      policies.put(silo, file);
    }
    // every silo must answer every round (min_silos 3), so each round aggregates the same three updates
    Path written = world.job(JOB, rounds, SILOS.size(), 120, j -> {
      j.put("output", output.toString());
      for (JsonNode s : j.get("silos")) {
        ((ObjectNode) s).put("exchange", exchange(s.get("id").asText()).toString());
      }
      adjust.accept(j);
    });
    this.jobFile = Files.move(written, home.resolve("job.json"));
  }

  static World world(Path dir) throws IOException {
    return new World(dir, SILOS);
  }

  Path exchange(String silo) {
    return home.resolve("exchange").resolve(silo);
  }

  /** Starts the three agents, each in its own JVM (DirectRunner), and waits until each watches its exchange. */
  void startAgents() throws Exception {
    for (String silo : SILOS) {
      startAgent(silo);
    }
    for (String silo : SILOS) {
      waitForLog(agentLog(silo), "watching", agents.get(silo), 120);
    }
  }

  Process startAgent(String silo) throws IOException {
    Path log = agentLog(silo);
    Process p = FedBeamProcess.start(List.of("agent", "--policy=" + policies.get(silo), "--runner=DirectRunner"), log,
        home.resolve("tmp-" + silo));
    agents.put(silo, p);
    return p;
  }

  /** SIGKILLs {@code silo}'s agent and starts it again (its log goes on in a new file). */
  void killAndRestartAgent(String silo) throws Exception {
    Process p = agents.get(silo);
    p.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
    restarts++;
    startAgent(silo);
  }

  Path agentLog(String silo) {
    return home.resolve("agent-" + silo + (restarts == 0 ? "" : "-" + restarts) + ".log");
  }

  /** {@code fedbeam orchestrate --job JOB ARGS} in a JVM of its own, on the DirectRunner, without warm-up. */
  Process orchestrateProcess(Path log, String... args) throws IOException {
    List<String> command = new ArrayList<>(List.of("orchestrate", "--job", jobFile.toString(), "--runner=DirectRunner",
        "--warmUpRuns=0"));
    command.addAll(List.of(args));
    return FedBeamProcess.start(command, log, home.resolve("tmp-orchestrator"));
  }

  /** {@code fedbeam orchestrate --job JOB ARGS} in this JVM; the exit code with what it printed. */
  Run orchestrate(String... args) {
    List<String> command = new ArrayList<>(List.of("orchestrate", "--job", jobFile.toString(), "--runner=DirectRunner",
        "--warmUpRuns=0"));
    command.addAll(List.of(args));
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int code = FedBeam.run(command.toArray(String[]::new), new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8));
    Run run = new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    System.out.print(run.stdout);
    System.err.print(run.stderr);
    return run;
  }

  record Run(int code, String stdout, String stderr) {}

  /** Round {@code round}'s global model as the orchestrator wrote it. */
  byte[] model(int round) throws IOException {
    return Files.readAllBytes(Path.of(RoundLoop.modelUri(output.toString(), round)));
  }

  /** Every file under the exchanges and the orchestrator's output, with its SHA-256: what a refused run must not change. */
  Map<String, String> listing() throws IOException {
    Map<String, String> files = new TreeMap<>();
    for (Path root : List.of(home.resolve("exchange"), output)) {
      if (!Files.exists(root)) {
        continue;
      }
      try (Stream<Path> walk = Files.walk(root)) {
        for (Path f : walk.toList()) {
          files.put(home.relativize(f).toString(), Files.isRegularFile(f)
              ? Artifacts.sha256Hex(Files.readAllBytes(f)) : "dir");
        }
      }
    }
    return files;
  }

  /** Waits until {@code log} holds {@code text}; fails, quoting the log, if {@code process} ends first or time runs out. */
  static void waitForLog(Path log, String text, Process process, int seconds) throws Exception {
    long deadline = System.currentTimeMillis() + seconds * 1000L;
    while (!(Files.exists(log) && Files.readString(log).contains(text))) {
      if (!process.isAlive()) {
        throw new AssertionError("the process ended (exit " + process.exitValue() + ") before '" + text + "':\n"
            + Files.readString(log));
      }
      if (System.currentTimeMillis() > deadline) {
        throw new AssertionError("no '" + text + "' in " + seconds + " s:\n" + Files.readString(log));
      }
      Thread.sleep(10);
    }
  }

  /** Stops the agents: SIGTERM, then SIGKILL for any still running after 30 s. */
  @Override
  public void close() throws Exception {
    agents.values().forEach(Process::destroy);
    for (Process p : agents.values()) {
      if (!p.waitFor(30, TimeUnit.SECONDS)) {
        p.destroyForcibly();
      }
    }
  }
}
