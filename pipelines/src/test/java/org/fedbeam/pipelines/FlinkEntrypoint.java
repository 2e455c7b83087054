package org.fedbeam.pipelines;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.GlobalConfiguration;

/**
 * The image's entrypoint ({@code flink-conf/docker/entrypoint.sh}) run on this host, without Docker,
 * up to the moment it starts a Flink process: what that process would be started with. The entrypoint
 * runs as it is, with the FedBeam CLI it calls ({@code fedbeam cluster tls}, {@code cluster tls-conf})
 * on the test class path; only {@code java} is a wrapper on the PATH that runs the real JVM for the
 * FedBeam CLI and, for a Flink main class, writes its arguments to a file instead of starting it.
 * The cluster's keys are made by the entrypoint's own setup step ({@code setup-tls}).
 */
final class FlinkEntrypoint {
  /** A Flink process as the entrypoint would start it: its main class and its configuration, -D options applied. */
  record FlinkStart(String mainClass, Path configDir, Configuration configuration) {}

  private final Path script;
  private final Path work;
  private final Path home;
  private final Path tls;
  private final Map<String, FlinkStart> started = new HashMap<>();

  private FlinkEntrypoint(Path script, Path work, Path home, Path tls) {
    this.script = script;
    this.work = work;
    this.home = home;
    this.tls = tls;
  }

  /**
   * An entrypoint at {@code script}, run in {@code work}; the image's layout ({@code lib/cluster.classpath},
   * {@code conf/log4j-cli.properties}) made from the test class path and {@code root}'s files.
   */
  static FlinkEntrypoint prepare(Path root, Path script, Path work) throws IOException, InterruptedException {
    Path home = Files.createDirectories(work.resolve("home"));
    Files.createDirectories(home.resolve("lib"));
    Files.createDirectories(home.resolve("conf"));
    String classpath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
    Files.writeString(home.resolve("lib/cluster.classpath"), classpath);
    Files.copy(root.resolve("flink-conf/docker/log4j-cli.properties"), home.resolve("conf/log4j-cli.properties"));
    Path bin = Files.createDirectories(work.resolve("bin"));
    Path java = bin.resolve("java");
    Files.writeString(java, """
        #!/usr/bin/env bash
        # the FedBeam CLI runs; a Flink process is not started, its arguments are written down
        for a in "$@"; do
          if [ "$a" = org.fedbeam.pipelines.cli.FedBeam ]; then exec "$REAL_JAVA" "$@"; fi
        done
        printf '%s\\0' "$@" >"$FEDBEAM_TEST_FLINK_ARGS"
        """);
    Files.setPosixFilePermissions(java, PosixFilePermissions.fromString("rwx------"));
    FlinkEntrypoint entrypoint = new FlinkEntrypoint(script, work, home, work.resolve("tls"));
    entrypoint.run(List.of("setup-tls", entrypoint.tls.toString(), "test", "test-jobmanager", "test-taskmanager"),
        Map.of());
    return entrypoint;
  }

  /** The folder of the cluster's keys (what the party's TLS volume holds). */
  Path tlsDir() {
    return tls;
  }

  /** The same keys and layout, run through another entrypoint script (e.g. a broken copy). */
  FlinkEntrypoint withScript(Path other) {
    return new FlinkEntrypoint(other, work, home, tls);
  }

  /**
   * What the entrypoint starts for {@code command} (e.g. {@code [jobmanager]}) with the service's
   * {@code environment} and {@code flinkConf} as the mounted flink-conf.yaml; the same inputs are run once.
   */
  synchronized FlinkStart start(List<String> command, Map<String, String> environment, Path flinkConf)
      throws IOException, InterruptedException {
    String key = script + "|" + command + "|" + environment + "|" + Files.readString(flinkConf);
    FlinkStart known = started.get(key);
    if (known != null) {
      return known;
    }
    Path run = Files.createTempDirectory(work, "run-");
    Path conf = Files.createDirectories(run.resolve("mounted-conf"));
    Files.copy(flinkConf, conf.resolve("flink-conf.yaml"));
    Path args = run.resolve("flink-args");
    Map<String, String> env = new HashMap<>(environment);
    env.put("FLINK_CONF_DIR", conf.toString());
    env.put("FEDBEAM_TEST_FLINK_ARGS", args.toString());
    String output = run(command, env);
    if (!Files.isRegularFile(args)) {
      throw new IOException("entrypoint.sh " + command + " started no Flink process: " + output.strip());
    }
    List<String> words = List.of(Files.readString(args, StandardCharsets.UTF_8).split("\0"));
    int at = words.indexOf("--configDir");
    if (at < 1 || at + 1 >= words.size()) {
      throw new IOException("the entrypoint started a process without --configDir: " + words);
    }
    Configuration dynamic = new Configuration();
    for (int i = at + 2; i + 1 < words.size(); i++) {
      if (words.get(i).equals("-D")) {
        String[] kv = words.get(++i).split("=", 2);
        dynamic.setString(kv[0], kv.length > 1 ? kv[1] : "");
      }
    }
    Path configDir = Path.of(words.get(at + 1));
    FlinkStart start = new FlinkStart(words.get(at - 1),
        configDir, GlobalConfiguration.loadConfiguration(configDir.toString(), dynamic));
    started.put(key, start);
    return start;
  }

  /** Runs the entrypoint with {@code args}; its output, or a failure with that output unless it exits 0. */
  private String run(List<String> args, Map<String, String> environment) throws IOException, InterruptedException {
    List<String> command = new ArrayList<>(List.of("bash", script.toString()));
    command.addAll(args);
    ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
    Map<String, String> env = pb.environment();
    env.put("FEDBEAM_HOME", home.toString());
    env.put("FEDBEAM_TLS_DIR", tls.toString());
    env.put("FLINK_LOG_DIR", work.resolve("log").toString());
    env.put("FLINK_HOST", "127.0.0.1");
    env.put("TMPDIR", Files.createDirectories(work.resolve("tmp")).toString());
    env.put("REAL_JAVA", Path.of(System.getProperty("java.home"), "bin", "java").toString());
    env.put("FEDBEAM_JAVA_OPTS", "-XX:TieredStopAtLevel=1");
    env.put("PATH", work.resolve("bin") + ":" + env.getOrDefault("PATH", "/usr/bin:/bin"));
    env.putAll(environment);
    Process p = pb.start();
    String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(120, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new IOException("entrypoint.sh " + args + " did not end in 120 s: " + output);
    }
    if (p.exitValue() != 0) {
      throw new IOException("entrypoint.sh " + args + " exited " + p.exitValue() + ": " + output.strip());
    }
    return output;
  }
}
