package org.fedbeam.pipelines.guide;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.fedbeam.pipelines.cli.FedBeam;

/**
 * Runs a {@link GuideScript} as a reader would: in {@code root}, with one folder per party, each
 * block with {@code bash -euo pipefail} in its party's folder, in order, and a {@code fedbeam} on the
 * {@code PATH} that is this build (a shim running this JVM's java with its class path and the flags
 * {@link org.fedbeam.pipelines.cli.FedBeamProcess} passes on). A block that fails stops the run with
 * an error naming the block, its exit code and its output. Blocks that run until stopped are started
 * in the background, checked to be alive before every later block, and stopped (SIGTERM, then
 * SIGKILL after 30 s) by {@link #close}. Every block's output is kept in {@code root/logs/}.
 */
final class GuideRun implements AutoCloseable {
  /** The longest a foreground block may take. */
  static final long BLOCK_TIMEOUT_S = 600;
  final Path root;
  private final Path logs;
  private final Path bin;
  private final Map<GuideScript.Block, Process> services = new LinkedHashMap<>();
  private final Map<GuideScript.Block, Path> serviceLogs = new LinkedHashMap<>();
  private final List<Result> results = new ArrayList<>();

  /** What a foreground block did: its exit code (0), what it printed, and how long it took. */
  record Result(GuideScript.Block block, String output, double seconds) {}

  /** Makes {@code root} with a folder per party and the shim. */
  GuideRun(Path root, List<String> folders) throws IOException {
    this.root = root;
    this.logs = root.resolve("logs");
    this.bin = root.resolve("bin");
    for (String f : folders) {
      Files.createDirectories(root.resolve(f));
    }
    Files.createDirectories(logs);
    writeShim();
  }

  private void writeShim() throws IOException {
    List<String> command = new ArrayList<>();
    command.add(ProcessHandle.current().info().command().orElse("java"));
    for (String arg : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
      if (arg.startsWith("--add-") || arg.startsWith("-XX:+UseParallelGC") || arg.startsWith("-Xm")) {
        command.add(arg);
      }
    }
    Path tmp = Files.createDirectories(root.resolve("java-tmp"));
    command.add("-Djava.io.tmpdir=" + tmp.toAbsolutePath());
    command.add("-cp");
    command.add(System.getProperty("java.class.path"));
    command.add(FedBeam.class.getName());
    StringBuilder script = new StringBuilder("#!/usr/bin/env bash\n# fedbeam, as the test's build: this JVM's java,"
        + " class path and flags\nexec");
    for (String c : command) {
      script.append(' ').append(quote(c));
    }
    script.append(" \"$@\"\n");
    Files.createDirectories(bin);
    Path shim = bin.resolve("fedbeam");
    Files.writeString(shim, script, StandardCharsets.UTF_8);
    Files.setPosixFilePermissions(shim, PosixFilePermissions.fromString("rwxr-xr-x"));
  }

  private static String quote(String s) {
    return "'" + s.replace("'", "'\\''") + "'";
  }

  /** Runs every block in order; the results of the foreground ones. */
  List<Result> run(GuideScript script) throws Exception {
    int n = 0;
    for (GuideScript.Block b : script.blocks()) {
      n++;
      checkServices(b);
      Path log = logs.resolve(String.format("%02d-%s.log", n, b.party().equals(".") ? "root" : b.party()));
      Process p = start(b, log);
      if (b.background()) {
        services.put(b, p);
        serviceLogs.put(b, log);
        continue;
      }
      long t0 = System.nanoTime();
      boolean done = p.waitFor(BLOCK_TIMEOUT_S, TimeUnit.SECONDS);
      double seconds = (System.nanoTime() - t0) / 1e9;
      if (!done) {
        stop(p);
      }
      String output = Files.readString(log, StandardCharsets.UTF_8);
      if (!done || p.exitValue() != 0) {
        throw new AssertionError("the guide's " + b.describe() + (done ? " failed with exit code " + p.exitValue()
            : " did not end within " + BLOCK_TIMEOUT_S + " s") + " after " + String.format("%.1f", seconds)
            + " s; its output:\n" + output + servicesTail());
      }
      System.out.printf("guide %s: %.1f s%n", b.describe(), seconds);
      results.add(new Result(b, output, seconds));
    }
    return results;
  }

  private Process start(GuideScript.Block b, Path log) throws IOException {
    ProcessBuilder pb = new ProcessBuilder("bash", "-euo", "pipefail", "-c", b.script())
        .directory(root.resolve(b.party()).toFile()).redirectErrorStream(true).redirectOutput(log.toFile());
    pb.environment().put("PATH", bin.toAbsolutePath() + ":" + System.getenv().getOrDefault("PATH", "/usr/bin:/bin"));
    return pb.start();
  }

  /** Fails if a service started earlier ended before {@code next}. */
  private void checkServices(GuideScript.Block next) throws IOException {
    for (var e : services.entrySet()) {
      if (!e.getValue().isAlive()) {
        throw new AssertionError("the guide's " + e.getKey().describe() + " ended (exit code " + e.getValue().exitValue()
            + ") before the " + next.describe() + "; its output:\n" + Files.readString(serviceLogs.get(e.getKey())));
      }
    }
  }

  /** The last lines of every service's output, for a failure's message. */
  String servicesTail() throws IOException {
    StringBuilder b = new StringBuilder();
    for (var e : serviceLogs.entrySet()) {
      List<String> lines = Files.readAllLines(e.getValue(), StandardCharsets.UTF_8);
      b.append("\n--- last lines of the ").append(e.getKey().describe()).append(":\n")
          .append(String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size())));
    }
    return b.toString();
  }

  /** What a service printed so far. */
  String serviceOutput(GuideScript.Block b) throws IOException {
    return Files.readString(serviceLogs.get(b), StandardCharsets.UTF_8);
  }

  List<GuideScript.Block> services() {
    return List.copyOf(services.keySet());
  }

  private static void stop(Process p) throws InterruptedException {
    p.descendants().forEach(ProcessHandle::destroy);
    p.destroy();
    if (!p.waitFor(30, TimeUnit.SECONDS)) {
      p.descendants().forEach(ProcessHandle::destroyForcibly);
      p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    }
  }

  /** Stops the services (SIGTERM to each and its children, SIGKILL after 30 s); their output stays in the logs. */
  @Override
  public void close() throws Exception {
    for (Process p : services.values()) {
      p.descendants().forEach(ProcessHandle::destroy);
      p.destroy();
    }
    for (Process p : services.values()) {
      if (!p.waitFor(30, TimeUnit.SECONDS)) {
        stop(p);
      }
    }
  }
}
