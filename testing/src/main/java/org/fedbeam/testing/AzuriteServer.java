package org.fedbeam.testing;

import java.io.File;
import java.io.IOException;
import java.net.HttpURLConnection;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A running Azurite blob emulator ({@code azurite-blob} from npm, {@value #INSTALL_HINT}) on
 * 127.0.0.1, on a port the OS picks, with its data under a folder of the caller's choice.
 *
 * <p>In: the folder (data in {@code FOLDER/data}, the emulator's output in {@code FOLDER/azurite.log})
 * and the storage accounts it serves, each a name and a Base64 key; none means Azurite's public
 * development account {@value #DEV_ACCOUNT}. Out: once {@link #start} returns, the emulator answers
 * HTTP at {@link #blobEndpoint(String)}. {@link #close()} stops it and any process it started, also
 * when the JVM exits (a shutdown hook), and leaves the folder in place.
 *
 * <p>Started with {@code --disableTelemetry} (otherwise it calls an outside host) and {@code
 * --skipApiVersionCheck} (the Azure SDK here speaks a newer API version than Azurite 3.35 knows).
 * Several accounts go to Azurite through its {@code AZURITE_ACCOUNTS} environment variable, which
 * replaces the development account; Azurite falls back to that account, without failing, when it
 * cannot parse the variable, so callers should check an account's key works (a signed request,
 * e.g. {@code AzureContainers.ensure} in fedbeam-transforms) before trusting it.
 */
public final class AzuriteServer implements AutoCloseable {
  /** Azurite's well-known development account; its key is public, documented by Microsoft. */
  public static final String DEV_ACCOUNT = "devstoreaccount1";
  public static final String DEV_ACCOUNT_KEY =
      "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";
  public static final String EXECUTABLE = "azurite-blob";
  public static final String INSTALL_HINT = "npm install -g azurite@3.35.0";
  private static final Duration START_TIMEOUT = Duration.ofSeconds(60);
  private static final Pattern LISTENING = Pattern.compile("successfully listens on http://127\\.0\\.0\\.1:(\\d+)");
  /** Azure's rule for account names. */
  private static final Pattern ACCOUNT_NAME = Pattern.compile("[a-z0-9]{3,24}");

  private final Path folder;
  private final Map<String, String> accounts;
  private final Process process;
  private final Thread shutdownHook;
  private final int port;

  private AzuriteServer(Path folder, Map<String, String> accounts, Process process, Thread shutdownHook, int port) {
    this.folder = folder;
    this.accounts = accounts;
    this.process = process;
    this.shutdownHook = shutdownHook;
    this.port = port;
  }

  /** Starts an emulator serving only the development account; see {@link #start(Path, Map)}. */
  public static AzuriteServer start(Path folder) {
    return start(folder, Map.of());
  }

  /**
   * Starts {@code azurite-blob} on the PATH and returns once it answers HTTP.
   *
   * @param folder created if missing; data goes to {@code folder/data}, output to {@code folder/azurite.log}
   * @param accounts account name -> Base64 key, in order; empty for the development account only
   * @throws IllegalArgumentException if an account name is not 3-24 lowercase letters and digits,
   *     or a key is not Base64
   * @throws IllegalStateException if {@code azurite-blob} is not on the PATH (naming the command
   *     that installs it), or it does not start and answer within 60 s (with its output's tail)
   */
  public static AzuriteServer start(Path folder, Map<String, String> accounts) {
    Map<String, String> served = new LinkedHashMap<>(accounts.isEmpty() ? Map.of(DEV_ACCOUNT, DEV_ACCOUNT_KEY) : accounts);
    served.forEach(AzuriteServer::requireValidAccount);
    Path executable = findExecutable(System.getenv("PATH"));
    Path log = folder.resolve("azurite.log");
    Process process = null;
    Thread hook = null;
    try {
      Files.createDirectories(folder.resolve("data"));
      // Port 0: the OS picks a free port and Azurite prints it, so parallel runs cannot collide.
      ProcessBuilder builder = new ProcessBuilder(executable.toString(), "--blobHost", "127.0.0.1", "--blobPort", "0",
          "--location", folder.resolve("data").toString(), "--disableTelemetry", "--skipApiVersionCheck")
          .redirectErrorStream(true)
          .redirectOutput(log.toFile());
      if (!accounts.isEmpty()) {
        builder.environment().put("AZURITE_ACCOUNTS", environmentValue(served));
      } else {
        builder.environment().remove("AZURITE_ACCOUNTS");
      }
      process = builder.start();
      Process started = process;
      hook = new Thread(() -> stop(started), "azurite-shutdown");
      Runtime.getRuntime().addShutdownHook(hook);
      int port = awaitListening(process, log);
      AzuriteServer server = new AzuriteServer(folder, Map.copyOf(served), process, hook, port);
      server.awaitAnswer();
      return server;
    } catch (IOException | RuntimeException e) {
      String tail = logTail(log);
      if (process != null) {
        stop(process);
      }
      removeHook(hook);
      throw new IllegalStateException("cannot start " + executable + ": " + e.getMessage() + "\n" + tail, e);
    }
  }

  /** A fresh random account key: 64 bytes in Base64, the shape of Azure's keys. */
  public static String newAccountKey() {
    byte[] key = new byte[64];
    new SecureRandom().nextBytes(key);
    return Base64.getEncoder().encodeToString(key);
  }

  /** The port the emulator listens on, at 127.0.0.1. */
  public int port() {
    return port;
  }

  /** The folder given to {@link #start}. */
  public Path folder() {
    return folder;
  }

  /** {@code http://127.0.0.1:PORT/ACCOUNT}. */
  public String blobEndpoint(String account) {
    requireServed(account);
    return "http://127.0.0.1:" + port + "/" + account;
  }

  /** A connection string with {@code account}'s key on this emulator (plain http). */
  public String connectionString(String account) {
    requireServed(account);
    return "DefaultEndpointsProtocol=http;AccountName=" + account + ";AccountKey=" + accounts.get(account)
        + ";BlobEndpoint=" + blobEndpoint(account) + ";";
  }

  /** True while the emulator's process is alive. */
  public boolean isRunning() {
    return process.isAlive();
  }

  /** Stops the emulator and its child processes; safe to call twice. The folder stays. */
  @Override
  public void close() {
    stop(process);
    removeHook(shutdownHook);
  }

  /** The {@code azurite-blob} executable on {@code path}, or a failure saying how to install it. */
  public static Path findExecutable(String path) {
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
        + path + "; Azure storage on this machine needs it: run `" + INSTALL_HINT + "` (Node 20; 3.37 needs Node 22)");
  }

  /** {@code name:key;name:key}, the format of Azurite's {@code AZURITE_ACCOUNTS}. */
  static String environmentValue(Map<String, String> accounts) {
    StringBuilder value = new StringBuilder();
    accounts.forEach((name, key) -> value.append(name).append(':').append(key).append(';'));
    return value.toString();
  }

  private static void requireValidAccount(String name, String key) {
    if (name == null || !ACCOUNT_NAME.matcher(name).matches()) {
      throw new IllegalArgumentException("account name must be 3-24 lowercase letters and digits, was " + name);
    }
    byte[] decoded;
    try {
      decoded = Base64.getDecoder().decode(key == null ? "" : key);
    } catch (IllegalArgumentException notBase64) {
      throw new IllegalArgumentException("the key of account " + name + " must be Base64, was not: "
          + notBase64.getMessage(), notBase64);
    }
    if (decoded.length == 0) {
      throw new IllegalArgumentException("the key of account " + name + " must not be empty");
    }
  }

  private void requireServed(String account) {
    if (!accounts.containsKey(account)) {
      throw new IllegalArgumentException("account must be one this emulator serves " + accounts.keySet() + ", was "
          + account);
    }
  }

  private static int awaitListening(Process process, Path log) throws IOException {
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
    String url = blobEndpoint(accounts.keySet().iterator().next()) + "?comp=list";
    long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
    IOException last = null;
    while (System.nanoTime() < deadline) {
      try {
        HttpURLConnection connection = (HttpURLConnection) URI.create(url).toURL().openConnection();
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

  /** Children first: once the parent is gone they are no longer its descendants. */
  private static void stop(Process p) {
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

  private static void removeHook(Thread hook) {
    if (hook == null) {
      return;
    }
    try {
      Runtime.getRuntime().removeShutdownHook(hook);
    } catch (IllegalStateException alreadyShuttingDown) {
      // the hook is running or has run; it stops the same process
    }
  }

  private static String logTail(Path log) {
    try {
      String text = Files.readString(log, StandardCharsets.UTF_8);
      return "azurite output:\n" + text.substring(Math.max(0, text.length() - 4000));
    } catch (IOException | RuntimeException e) {
      return "(no azurite output)";
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
