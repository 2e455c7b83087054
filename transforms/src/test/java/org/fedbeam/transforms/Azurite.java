package org.fedbeam.transforms;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;
import org.apache.beam.sdk.io.azure.options.BlobstoreOptions;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.fedbeam.testing.AzuriteServer;
import org.fedbeam.transforms.storage.ConnectionStringClientFactory;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * A real Azurite blob emulator for the tests of a class: an {@link AzuriteServer} started before
 * all tests on a port the OS picks, with its data in a fresh temporary folder, and stopped (with
 * any child processes, the folder deleted) after all tests, whether they passed or not.
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
  public static final String ACCOUNT = AzuriteServer.DEV_ACCOUNT;
  public static final String ACCOUNT_KEY = AzuriteServer.DEV_ACCOUNT_KEY;

  private AzuriteServer server;
  private Path folder;

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
    if (server != null) {
      return;
    }
    try {
      folder = Files.createTempDirectory("azurite-");
      server = AzuriteServer.start(folder);
    } catch (IOException | RuntimeException e) {
      close();
      throw e instanceof IOException io ? new UncheckedIOException(io) : (RuntimeException) e;
    }
  }

  /** The port the emulator listens on, at 127.0.0.1. */
  public int port() {
    return running().port();
  }

  /** {@code http://127.0.0.1:PORT/devstoreaccount1}. */
  public String blobEndpoint() {
    return running().blobEndpoint(ACCOUNT);
  }

  /** A connection string for the development account on this emulator (plain http). */
  public String connectionString() {
    return running().connectionString(ACCOUNT);
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
    if (server != null) {
      server.close();
      server = null;
    }
    deleteFolder();
  }

  /** True while the emulator's process (started by {@link #start()}) is alive. */
  synchronized boolean isRunning() {
    return server != null && server.isRunning();
  }

  /** The {@code azurite-blob} executable on {@code path}, or a failure saying how to install it. */
  static Path findExecutable(String path) {
    return AzuriteServer.findExecutable(path);
  }

  private synchronized AzuriteServer running() {
    if (!isRunning()) {
      throw new IllegalStateException("Azurite is not running: register it as a static @RegisterExtension field "
          + "or call start()");
    }
    return server;
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
}
