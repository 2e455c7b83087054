package org.fedbeam.pipelines.cli;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code fedbeam ARGS} in a child JVM: the same java executable, this JVM's class path and its
 * {@code --add-*}, GC and heap flags, the command line {@link FedBeam} as the main class, and the
 * child's output (stdout and stderr) in a log file. Used by the demo and the tests that run silo
 * agents and orchestrators as separate processes.
 */
public final class FedBeamProcess {
  private FedBeamProcess() {}

  /** Starts {@code fedbeam ARGS} in a new JVM with this JVM's class path and flags. */
  public static Process start(List<String> args, Path log) throws IOException {
    return start(args, log, null);
  }

  /**
   * Starts {@code fedbeam ARGS} in a new JVM with this JVM's class path and flags and, unless
   * {@code tmp} is null, its temporary files (Flink's among them) in the folder {@code tmp}.
   */
  public static Process start(List<String> args, Path log, Path tmp) throws IOException {
    List<String> command = new ArrayList<>();
    command.add(ProcessHandle.current().info().command().orElse("java"));
    for (String arg : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
      if (arg.startsWith("--add-") || arg.startsWith("-XX:+UseParallelGC") || arg.startsWith("-Xm")) {
        command.add(arg);
      }
    }
    if (tmp != null) {
      Files.createDirectories(tmp);
      command.add("-Djava.io.tmpdir=" + tmp.toAbsolutePath());
    }
    command.add("-cp");
    command.add(System.getProperty("java.class.path"));
    command.add(FedBeam.class.getName());
    command.addAll(args);
    Files.createDirectories(log.getParent());
    return new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
  }
}
