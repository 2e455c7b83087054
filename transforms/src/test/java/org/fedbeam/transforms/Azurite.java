package org.fedbeam.transforms;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.HttpURLConnection;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.apache.beam.sdk.io.azure.options.BlobstoreOptions;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.fedbeam.transforms.storage.ConnectionStringClientFactory;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * A real Azurite blob emulator ({@code azurite-blob}, from npm) for the tests of a class: started
 * before all tests on a port the OS picks, with its data in a fresh temporary folder, and stopped
 * (with any child processes, the folder deleted) after all tests, whether they passed or not.
 *
 * <pre>{@code
 * @RegisterExtension
 * static final Azurite AZURITE = new Azurite();
 * ...
 * BlobstoreOptions options = AZURITE.pipelineOptions("--runner=DirectRunner");
 * }</pre>
 *
 * <p>Register it on a {@code static} field: it starts in {@code beforeAll}. Outside JUnit, call
 * {@link #start()} and {@link #close()}. If {@code azurite-blob} is not on the PATH, starting fails
 * (the tests fail, they are not skipped) with the command that installs it.
 */
public final class Azurite implements BeforeAllCallback, AfterAllCallback, AutoCloseable {
  /** Azurite's well-known development account; its key is public, documented by Microsoft. */
  public static final String ACCOUNT = "devstoreaccount1";
  public static final String ACCOUNT_KEY =
      "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";
  static final String EXECUTABLE = "azurite-blob";
  static final String INSTALL_HINT = "npm install -g azurite@3.35.0";
  private static final Duration START_TIMEOUT = Duration.ofSeconds(60);
  private static final Pattern LISTENING = Pattern.compile("successfully listens on http://127\\.0\\.0\\.1:(\\d+)");

  private Process process;
  private Path folder;
  private int port;
  private Thread shutdownHook;

  @Override
  public void beforeAll(ExtensionContext context) {
    start();
  }

  @Override
  public void afterAll(ExtensionContext context) {
    close();
  }

  /** Starts the emulator and returns once it answers HTTP; does nothing if it already runs. */
  public synchronized void start() {
    if (process != null) {
      return;
    }
    Path executable = findExecutable(System.getenv("PATH"));
    try {
      folder = Files.createTempDirectory("azurite-");
      Path log = folder.resolve("azurite.log");
      // Port 0: the OS picks a free port and Azurite prints it, so parallel runs cannot collide.
      process = new ProcessBuilder(executable.toString(), "--blobHost", "127.0.0.1", "--blobPort", "0",
          "--location", folder.resolve("data").toString(), "--disableTelemetry", "--skipApiVersionCheck")
          .redirectErrorStream(true)
          .redirectOutput(log.toFile())
          .start();
      shutdownHook = new Thread(this::stopProcess, "azurite-shutdown");
      Runtime.getRuntime().addShutdownHook(shutdownHook);
      port = awaitListening(log);
      awaitAnswer();
    } catch (IOException | RuntimeException e) {
      String log = logTail();
      close();
      throw new IllegalStateException("cannot start " + executable + ": " + e.getMessage() + "\n" + log, e);
    }
  }

  /** The port the emulator listens on, at 127.0.0.1. */
  public int port() {
    requireRunning();
    return port;
  }

  /** {@code http://127.0.0.1:PORT/devstoreaccount1}. */
  public String blobEndpoint() {
    return "http://127.0.0.1:" + port() + "/" + ACCOUNT;
  }

  /** A connection string for the development account on this emulator (plain http). */
  public String connectionString() {
    return "DefaultEndpointsProtocol=http;AccountName=" + ACCOUNT + ";AccountKey=" + ACCOUNT_KEY
        + ";BlobEndpoint=" + blobEndpoint() + ";";
  }

  /**
   * Pipeline options parsed from {@code args} with {@code azfs://} pointed at this emulator
   * through {@link ConnectionStringClientFactory#configure}.
   */
  public BlobstoreOptions pipelineOptions(String... args) {
    PipelineOptions options = PipelineOptionsFactory.fromArgs(args).create();
    return ConnectionStringClientFactory.configure(options, connectionString());
  }

  /** Stops the emulator and its children and deletes its data; safe to call twice. */
  @Override
  public synchronized void close() {
    stopProcess();
    if (shutdownHook != null) {
      try {
        Runtime.getRuntime().removeShutdownHook(shutdownHook);
      } catch (IllegalStateException alreadyShuttingDown) {
        // the hook is running or has run; it stops the same process
      }
      shutdownHook = null;
    }
    deleteFolder();
    process = null;
  }

  /** True while the emulator's process (started by {@link #start()}) is alive. */
  synchronized boolean isRunning() {
    return process != null && process.isAlive();
  }

  /** The {@code azurite-blob} executable on {@code path}, or a failure saying how to install it. */
  static Path findExecutable(String path) {
    if (path != null) {
      for (String dir : path.split(File.pathSeparator)) {
        if (!dir.isEmpty()) {
          Path candidate = Path.of(dir, EXECUTABLE);
          if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
            return candidate;
          }
        }
      }
    }
    throw new IllegalStateException(EXECUTABLE + " (the Azurite blob emulator) is not on the PATH, which was "
        + path + "; the Azure storage tests need it: run `" + INSTALL_HINT + "` (Node 20; 3.37 needs Node 22)");
  }

  private int awaitListening(Path log) throws IOException {
    long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
    while (System.nanoTime() < deadline) {
      Matcher m = LISTENING.matcher(Files.readString(log, StandardCharsets.UTF_8));
      if (m.find()) {
        return Integer.parseInt(m.group(1));
      }
      if (!process.isAlive()) {
        throw new IllegalStateException(EXECUTABLE + " exited with code " + process.exitValue() + " before listening");
      }
      pause();
    }
    throw new IllegalStateException(EXECUTABLE + " did not report a listening port within " + START_TIMEOUT);
  }

  /** Any HTTP status counts (an unsigned request gets 403): the server is up and parsing requests. */
  private void awaitAnswer() throws IOException {
    long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
    IOException last = null;
    while (System.nanoTime() < deadline) {
      try {
        HttpURLConnection connection =
            (HttpURLConnection) URI.create(blobEndpoint() + "?comp=list").toURL().openConnection();
        connection.setConnectTimeout(1000);
        connection.setReadTimeout(5000);
        try {
          connection.getResponseCode();
          return;
        } finally {
          connection.disconnect();
        }
      } catch (IOException e) {
        last = e;
        pause();
      }
    }
    throw new IOException(EXECUTABLE + " on port " + port + " did not answer HTTP within " + START_TIMEOUT, last);
  }

  private void stopProcess() {
    Process p = process;
    if (p == null) {
      return;
    }
    // Children first: once the parent is gone they are no longer its descendants.
    List<ProcessHandle> children = p.descendants().toList();
    children.forEach(ProcessHandle::destroy);
    p.destroy();
    try {
      if (!p.waitFor(10, TimeUnit.SECONDS)) {
        p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      p.destroyForcibly();
      Thread.currentThread().interrupt();
    }
    children.stream().filter(ProcessHandle::isAlive).forEach(ProcessHandle::destroyForcibly);
  }

  private void deleteFolder() {
    if (folder == null) {
      return;
    }
    try (Stream<Path> paths = Files.walk(folder)) {
      for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot delete Azurite's folder " + folder, e);
    }
    folder = null;
  }

  private String logTail() {
    try {
      String log = Files.readString(folder.resolve("azurite.log"), StandardCharsets.UTF_8);
      return "azurite output:\n" + log.substring(Math.max(0, log.length() - 4000));
    } catch (IOException | RuntimeException e) {
      return "(no azurite output)";
    }
  }

  private void requireRunning() {
    if (!isRunning()) {
      throw new IllegalStateException("Azurite is not running: register it as a static @RegisterExtension field "
          + "or call start()");
    }
  }

  private static void pause() {
    try {
      Thread.sleep(50);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while waiting for " + EXECUTABLE, e);
    }
  }
}
