package org.fedbeam.pipelines.runners;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A standalone Flink 1.16 session cluster on this machine: one JobManager and one TaskManager, two
 * JVMs started from the class path that {@code flink-conf/cluster/pom.xml} resolves, with the
 * configuration of {@code flink-conf/ROLE/flink-conf.yaml} and ports of its own.
 *
 * <p>FedBeam's job jar (see {@code pipelines/pom.xml}: Flink and Scala excluded) is staged once, when
 * the cluster starts: copied to the cluster's {@code lib/} and put on both processes' class path.
 * Jobs then ship no code, so they load no classes and keep the JVM's compiled code and caches from
 * one round to the next; and a silo's cluster runs the FedBeam build its operator installed.
 *
 * <p>Each cluster lives in {@code CLUSTERS_DIR/NAME/}: {@code conf/} (the role's configuration with
 * the cluster's ports appended), {@code lib/} (the job jar), {@code log/} (each process's log and output, also shown in the
 * web UI), {@code tmp/} and {@code cluster.json} (REST URL, ports and process ids), written as
 * each process starts and removed by {@link #down}. The
 * processes run in a session of their own, so they outlive the command that started them.
 *
 * <p>Every endpoint answers only mutual TLS ({@link ClusterTls}): the cluster's keys, made by the
 * first {@code up} of that name, are in {@code tls/}, and its configuration sets {@code
 * security.ssl.rest.*} and {@code security.ssl.internal.*} with mutual authentication. The cluster's
 * folder, its {@code conf/} and {@code tls/} are owner-only. The agent or orchestrator that submits to
 * it presents {@code tls/cluster.p12}; an operator presents {@code tls/operator.p12} (web UI, curl).
 */
public final class StandaloneCluster {
  public static final List<String> ROLES = List.of("orchestrator", "silo");
  private static final Pattern NAME = Pattern.compile("[a-z0-9][a-z0-9-]{0,39}");
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String JOB_MANAGER_MAIN = "org.apache.flink.runtime.entrypoint.StandaloneSessionClusterEntrypoint";
  private static final String TASK_MANAGER_MAIN = "org.apache.flink.runtime.taskexecutor.TaskManagerRunner";
  private static final Duration START_TIMEOUT = Duration.ofSeconds(90);
  /** Where a cluster keeps its copy of FedBeam's job jar, relative to its folder. */
  public static final String JOB_JAR = "lib/fedbeam-job.jar";

  /** What {@code cluster.json} records of a started cluster. */
  public record Info(String name, String role, String restUrl, long jobManagerPid, long taskManagerPid, int slots,
      Map<String, Integer> ports, Path dir, String jobJarSha256, String started) {
    ObjectNode toJson() {
      ObjectNode n = JSON.createObjectNode();
      n.put("name", name);
      n.put("role", role);
      n.put("rest_url", restUrl);
      n.put("jobmanager_pid", jobManagerPid);
      n.put("taskmanager_pid", taskManagerPid);
      n.put("slots", slots);
      ObjectNode p = n.putObject("ports");
      ports.forEach(p::put);
      n.put("dir", dir.toString());
      n.put("job_jar", dir.resolve(JOB_JAR).toString());
      n.put("job_jar_sha256", jobJarSha256);
      n.put("started", started);
      return n;
    }

    static Info fromJson(JsonNode n) {
      Map<String, Integer> ports = new LinkedHashMap<>();
      n.path("ports").fields().forEachRemaining(f -> ports.put(f.getKey(), f.getValue().asInt()));
      return new Info(n.path("name").asText(), n.path("role").asText(), n.path("rest_url").asText(),
          n.path("jobmanager_pid").asLong(), n.path("taskmanager_pid").asLong(), n.path("slots").asInt(), ports,
          Path.of(n.path("dir").asText()), n.path("job_jar_sha256").asText(), n.path("started").asText());
    }

    /** {@code host:port} of the REST endpoint, for {@code --flinkMaster}. */
    public String flinkMaster() {
      return URI.create(restUrl).getAuthority();
    }

    /** The cluster's TLS keys ({@code DIR/tls}). */
    public ClusterTls tls() {
      return ClusterTls.load(dir.resolve(ClusterTls.DIR));
    }

    /** A client of the cluster's REST API that presents the cluster's client certificate. */
    public FlinkRest rest() {
      return new FlinkRest(restUrl, tls());
    }
  }

  private StandaloneCluster() {}

  /** The default home of the clusters: {@code ~/.fedbeam/clusters}. */
  public static Path defaultClustersDir() {
    return Path.of(System.getProperty("user.home"), ".fedbeam", "clusters");
  }

  /** The role a cluster named {@code name} gets unless one is given: "orchestrator" for that name, else "silo". */
  public static String defaultRole(String name) {
    return name.startsWith("orchestrator") ? "orchestrator" : "silo";
  }

  /**
   * Starts cluster {@code name} and returns once its web UI answers and its TaskManager has
   * registered all its slots. Fails, stopping whatever it started, if either process exits or the
   * cluster is not up within 90 s.
   *
   * @throws IllegalArgumentException for a bad name or role, or a cluster of that name that is running
   */
  public static Info up(Path clustersDir, String name, String role, PrintStream out) throws IOException, InterruptedException {
    checkName(name);
    if (!ROLES.contains(role)) {
      throw new IllegalArgumentException("--role must be one of " + ROLES + "; was '" + role + "'");
    }
    Path dir = clustersDir.resolve(name);
    Files.createDirectories(clustersDir);
    ClusterTls.privateFolder(dir);
    Optional<Info> existing = read(dir);
    if (existing.isPresent()) {
      Info old = existing.get();
      if (alive(old.jobManagerPid(), old) || alive(old.taskManagerPid(), old)) {
        throw new IllegalArgumentException("cluster '" + name + "' is already running (web UI " + old.restUrl()
            + ", pids " + old.jobManagerPid() + ", " + old.taskManagerPid() + "); 'fedbeam cluster down --name " + name
            + "' stops it");
      }
      Files.delete(dir.resolve("cluster.json")); // its processes are gone: stale
    }
    Path conf = dir.resolve("conf");
    Files.createDirectories(dir.resolve(JOB_JAR).getParent());
    // a copy: a rebuild must not change the jar under a running JVM
    Files.copy(FedBeamHome.jobJar(), dir.resolve(JOB_JAR), StandardCopyOption.REPLACE_EXISTING);
    String jarSha = sha256(dir.resolve(JOB_JAR));
    String classpath = FedBeamHome.clusterClasspath() + java.io.File.pathSeparator + dir.resolve(JOB_JAR);
    Path log = dir.resolve("log");
    Path tmp = dir.resolve("tmp");
    ClusterTls.privateFolder(conf);
    Files.createDirectories(log);
    Files.createDirectories(tmp);
    Map<String, Integer> ports = freePorts("rest.port", "jobmanager.rpc.port", "blob.server.port", "taskmanager.rpc.port",
        "taskmanager.data.port");
    String yaml = Files.readString(FedBeamHome.flinkConf(role));
    StringBuilder conf1 = new StringBuilder(yaml).append("\n# appended by 'fedbeam cluster up --name ").append(name)
        .append("'\n");
    ports.forEach((k, v) -> conf1.append(k).append(": ").append(v).append('\n'));
    conf1.append("io.tmp.dirs: ").append(tmp).append('\n');
    conf1.append("web.tmpdir: ").append(tmp.resolve("web")).append('\n');
    ClusterTls tls = tls(dir.resolve(ClusterTls.DIR), name);
    conf1.append("# mutual TLS on REST (web UI included) and on RPC, blob and data connections; keys in ")
        .append(tls.dir()).append('\n');
    tls.clusterSettings().forEach((k, v) -> conf1.append(k).append(": ").append(v).append('\n'));
    Files.deleteIfExists(conf.resolve("flink-conf.yaml"));
    Files.createFile(conf.resolve("flink-conf.yaml"), java.nio.file.attribute.PosixFilePermissions.asFileAttribute(
        java.nio.file.attribute.PosixFilePermissions.fromString("rw-------")));
    Files.writeString(conf.resolve("flink-conf.yaml"), conf1.toString());
    Files.copy(FedBeamHome.root().resolve("flink-conf/log4j.properties"), conf.resolve("log4j.properties"),
        StandardCopyOption.REPLACE_EXISTING);
    Map<String, String> settings = settings(conf1.toString());
    int slots = Integer.parseInt(settings.getOrDefault("taskmanager.numberOfTaskSlots", "1"));
    String restUrl = "https://127.0.0.1:" + ports.get("rest.port");
    FlinkRest rest = new FlinkRest(restUrl, tls);

    String started = Instant.now().toString();
    Process jobManager = start(dir, "jobmanager", classpath, jobManagerJvm(), JOB_MANAGER_MAIN);
    Process taskManager = null;
    Info info = new Info(name, role, restUrl, jobManager.pid(), 0, slots, ports, dir, jarSha, started);
    try {
      // recorded at once, so that 'down' finds the processes even if this command dies while it waits
      write(info);
      long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
      waitFor(() -> rest.get("/overview").isPresent(), jobManager, null, deadline, "the JobManager's REST endpoint " + restUrl,
          log.resolve("jobmanager.log"));
      // started only once the REST endpoint answers: started together, its first registration fails and it waits ~10 s
      taskManager = start(dir, "taskmanager", classpath, taskManagerJvm(settings), TASK_MANAGER_MAIN);
      info = new Info(name, role, restUrl, jobManager.pid(), taskManager.pid(), slots, ports, dir, jarSha, started);
      write(info);
      Process tm = taskManager;
      waitFor(() -> rest.get("/overview").map(o -> o.path("slots-total").asInt() >= slots).orElse(false), jobManager, tm,
          deadline, "the TaskManager's registration with " + restUrl, log.resolve("taskmanager.log"));
    } catch (IOException | InterruptedException | RuntimeException e) {
      stop(taskManager);
      stop(jobManager);
      Files.deleteIfExists(dir.resolve("cluster.json"));
      throw e;
    }
    out.printf("cluster %s (%s) is up: web UI %s, JobManager pid %d, TaskManager pid %d, %d slot(s), logs in %s%n",
        name, role, restUrl, info.jobManagerPid(), info.taskManagerPid(), slots, log);
    out.printf("cluster %s answers only mutual TLS: agents and orchestrators use --flinkTlsDir=%s; operator: %s%n", name,
        tls.dir(), tls.operatorHint(restUrl));
    return info;
  }

  /** The cluster's TLS keys: the ones made by an earlier 'up' of that name, else new ones. */
  private static ClusterTls tls(Path dir, String name) throws IOException {
    if (Files.isRegularFile(dir.resolve("tls.properties")) && Files.isRegularFile(dir.resolve("operator.p12"))) {
      ClusterTls.privateFolder(dir);
      return ClusterTls.load(dir);
    }
    return ClusterTls.create(dir, "cluster " + name, true);
  }

  /** The TLS folder of the cluster under {@code clustersDir} whose REST endpoint is {@code flinkMaster} (HOST:PORT). */
  public static Optional<Path> tlsDirOf(Path clustersDir, String flinkMaster) {
    String authority = flinkMaster.replaceFirst("^https?://", "");
    if (!Files.isDirectory(clustersDir)) {
      return Optional.empty();
    }
    try (var dirs = Files.list(clustersDir)) {
      return dirs.sorted().map(StandaloneCluster::read).flatMap(Optional::stream)
          .filter(i -> i.flinkMaster().equals(authority) || authority.equals("localhost:" + i.ports().get("rest.port")))
          .map(i -> i.dir().resolve(ClusterTls.DIR)).findFirst();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list " + clustersDir + ": " + e.getMessage(), e);
    }
  }

  /**
   * Stops cluster {@code name} by its process ids (TaskManager first), waiting for each to exit,
   * and removes its {@code cluster.json}; the logs stay. A process id that now belongs to another
   * program is left alone.
   *
   * @return false if there was no such cluster
   */
  public static boolean down(Path clustersDir, String name, PrintStream out) throws IOException {
    checkName(name);
    Path dir = clustersDir.resolve(name);
    Optional<Info> info = read(dir);
    if (info.isEmpty()) {
      out.printf("no cluster named %s in %s%n", name, clustersDir);
      return false;
    }
    Info i = info.get();
    for (long pid : new long[] {i.taskManagerPid(), i.jobManagerPid()}) {
      Optional<ProcessHandle> p = ProcessHandle.of(pid).filter(h -> belongs(h, i));
      p.ifPresent(StandaloneCluster::stop);
    }
    Files.deleteIfExists(dir.resolve("cluster.json"));
    out.printf("cluster %s stopped (pids %d, %d); logs in %s%n", name, i.jobManagerPid(), i.taskManagerPid(),
        dir.resolve("log"));
    return true;
  }

  /** Every cluster with a {@code cluster.json} under {@code clustersDir}, with its state now. */
  public static List<ObjectNode> status(Path clustersDir) throws IOException {
    List<ObjectNode> all = new ArrayList<>();
    if (!Files.isDirectory(clustersDir)) {
      return all;
    }
    try (var dirs = Files.list(clustersDir)) {
      for (Path dir : dirs.sorted().toList()) {
        Optional<Info> info = read(dir);
        if (info.isEmpty()) {
          continue;
        }
        Info i = info.get();
        ObjectNode n = i.toJson();
        boolean jm = alive(i.jobManagerPid(), i);
        boolean tm = alive(i.taskManagerPid(), i);
        Optional<JsonNode> overview = jm ? overview(i) : Optional.empty();
        n.put("state", jm && tm && overview.isPresent() ? "running" : jm || tm ? "degraded" : "stopped");
        n.put("jobmanager_alive", jm);
        n.put("taskmanager_alive", tm);
        overview.ifPresent(o -> {
          n.put("taskmanagers", o.path("taskmanagers").asInt());
          n.put("slots_total", o.path("slots-total").asInt());
          n.put("jobs_running", o.path("jobs-running").asInt());
          n.put("jobs_finished", o.path("jobs-finished").asInt());
          n.put("jobs_failed", o.path("jobs-failed").asInt());
        });
        all.add(n);
      }
    }
    return all;
  }

  /** Writes the cluster's {@code cluster.json} whole (a temporary file renamed into place). */
  private static void write(Info info) throws IOException {
    Path partial = info.dir().resolve(".cluster.json.tmp");
    Files.write(partial, JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(info.toJson()));
    Files.move(partial, info.dir().resolve("cluster.json"), StandardCopyOption.ATOMIC_MOVE,
        StandardCopyOption.REPLACE_EXISTING);
  }

  static String sha256(Path file) throws IOException {
    try (var in = Files.newInputStream(file)) {
      java.security.MessageDigest sha = java.security.MessageDigest.getInstance("SHA-256");
      byte[] buf = new byte[1 << 16];
      for (int n; (n = in.read(buf)) > 0; ) {
        sha.update(buf, 0, n);
      }
      return java.util.HexFormat.of().formatHex(sha.digest());
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The cluster's {@code cluster.json}, if it has one. */
  public static Optional<Info> read(Path dir) {
    Path json = dir.resolve("cluster.json");
    if (!Files.isRegularFile(json)) {
      return Optional.empty();
    }
    try {
      return Optional.of(Info.fromJson(JSON.readTree(json.toFile())));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + json + ": " + e.getMessage(), e);
    }
  }

  /** The cluster's {@code /overview}; empty if it does not answer (or predates TLS, or its keys are gone). */
  private static Optional<JsonNode> overview(Info info) {
    try {
      return info.rest().get("/overview");
    } catch (RuntimeException e) {
      return Optional.empty();
    }
  }

  static void checkName(String name) {
    if (name == null || !NAME.matcher(name).matches()) {
      throw new IllegalArgumentException("--name must be 1-40 lower-case letters, digits or '-', starting with a letter or"
          + " digit; was '" + name + "'");
    }
  }

  /** A live process that is this cluster's (its command line names the cluster's conf folder): not a recycled pid. */
  private static boolean alive(long pid, Info info) {
    return ProcessHandle.of(pid).filter(h -> belongs(h, info)).isPresent();
  }

  private static boolean belongs(ProcessHandle h, Info info) {
    String confDir = info.dir().resolve("conf").toString();
    return h.isAlive() && arguments(h).contains(confDir);
  }

  /**
   * A process's arguments: from {@code /proc/PID/cmdline} where there is one (the JDK's {@code
   * ProcessHandle.Info} gives none for a command line as long as a cluster's class path).
   */
  public static List<String> arguments(ProcessHandle h) {
    Path cmdline = Path.of("/proc", Long.toString(h.pid()), "cmdline");
    if (Files.isReadable(cmdline)) {
      try {
        return List.of(new String(Files.readAllBytes(cmdline), java.nio.charset.StandardCharsets.UTF_8).split("\0"));
      } catch (IOException e) {
        return List.of(); // it has just exited
      }
    }
    return h.info().arguments().map(List::of).orElse(List.of());
  }

  private static void stop(Process p) {
    if (p != null) {
      stop(p.toHandle());
    }
  }

  private static void stop(ProcessHandle h) {
    h.destroy();
    try {
      h.onExit().get(20, java.util.concurrent.TimeUnit.SECONDS);
    } catch (java.util.concurrent.TimeoutException | java.util.concurrent.ExecutionException e) {
      h.destroyForcibly();
    } catch (InterruptedException e) {
      h.destroyForcibly();
      Thread.currentThread().interrupt();
    }
  }

  private interface Check {
    boolean ok();
  }

  private static void waitFor(Check check, Process jobManager, Process taskManager, long deadline, String what, Path log)
      throws InterruptedException {
    while (!check.ok()) {
      for (Process p : new Process[] {jobManager, taskManager}) {
        if (p != null && !p.isAlive()) {
          throw new IllegalStateException("a Flink process exited (code " + p.exitValue() + ") while waiting for " + what
              + "; see " + log.getParent());
        }
      }
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("timed out after " + START_TIMEOUT.toSeconds() + " s waiting for " + what + "; see "
            + log);
      }
      Thread.sleep(200);
    }
  }

  private static Process start(Path dir, String process, String classpath, List<String> jvm, String main)
      throws IOException {
    List<String> command = new ArrayList<>();
    command.add("setsid"); // a session of its own: a Ctrl-C at the terminal that ran 'cluster up' does not reach it
    command.add(ProcessHandle.current().info().command().orElse("java"));
    command.addAll(jvm);
    command.add("-Dlog.file=" + dir.resolve("log").resolve(process + ".log"));
    command.add("-Dlog4j.configurationFile=file:" + dir.resolve("conf/log4j.properties"));
    command.add("-Djava.io.tmpdir=" + dir.resolve("tmp"));
    command.add("-cp");
    command.add(classpath);
    command.add(main);
    command.add("--configDir");
    command.add(dir.resolve("conf").toString());
    Path output = dir.resolve("log").resolve(process + ".out");
    ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(output.toFile())
        .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
    // Flink's REST API shows the JobManager's environment to whoever reaches it: pass only what a JVM needs
    Map<String, String> env = pb.environment();
    Map<String, String> keep = processEnvironment(env);
    env.clear();
    env.putAll(keep);
    return pb.start();
  }

  /**
   * The environment a cluster process gets from {@code parent}: only what a JVM needs ({@code PATH},
   * {@code HOME}, {@code LANG}, {@code JAVA_HOME}, {@code TZ}) and OpenBLAS's settings
   * ({@code OPENBLAS_*}): its kernel choice ({@code OPENBLAS_CORETYPE}) decides the bits of every
   * GEMM, so a cluster trains with the kernel its operator chose, as the agent's own JVM and a
   * simulation do (and some OpenBLAS builds crash on some processors without it).
   */
  static Map<String, String> processEnvironment(Map<String, String> parent) {
    Map<String, String> keep = new LinkedHashMap<>();
    parent.forEach((key, value) -> {
      if (List.of("PATH", "HOME", "LANG", "JAVA_HOME", "TZ").contains(key) || key.startsWith("OPENBLAS_")) {
        keep.put(key, value);
      }
    });
    return keep;
  }

  private static List<String> commonJvm() {
    return List.of("-XX:+UseParallelGC", "--add-exports=java.base/sun.net.util=ALL-UNNAMED",
        "--add-opens=java.base/java.lang=ALL-UNNAMED", "--add-opens=java.base/java.util=ALL-UNNAMED",
        "--add-opens=java.base/java.nio=ALL-UNNAMED", "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED",
        "--add-modules=jdk.incubator.vector");
  }

  private static List<String> jobManagerJvm() {
    List<String> jvm = new ArrayList<>(commonJvm());
    jvm.addAll(List.of("-Xms448m", "-Xmx448m", "-XX:MaxMetaspaceSize=256m"));
    return jvm;
  }

  /** Heap, direct memory and metaspace limits from the configuration's TaskManager sizes, as Flink's scripts set them. */
  static List<String> taskManagerJvm(Map<String, String> conf) {
    long heap = mb(conf, "taskmanager.memory.framework.heap.size") + mb(conf, "taskmanager.memory.task.heap.size");
    long direct = mb(conf, "taskmanager.memory.framework.off-heap.size") + mb(conf, "taskmanager.memory.task.off-heap.size")
        + mb(conf, "taskmanager.memory.network.max");
    List<String> jvm = new ArrayList<>(commonJvm());
    jvm.addAll(List.of("-Xms" + heap + "m", "-Xmx" + heap + "m", "-XX:MaxDirectMemorySize=" + direct + "m",
        "-XX:MaxMetaspaceSize=" + mb(conf, "taskmanager.memory.jvm-metaspace.size") + "m"));
    return jvm;
  }

  private static long mb(Map<String, String> conf, String key) {
    String v = conf.get(key);
    if (v == null) {
      throw new IllegalArgumentException("the Flink configuration does not set " + key + " (FedBeam sets every"
          + " TaskManager size explicitly)");
    }
    Matcher m = Pattern.compile("(\\d+)\\s*(m|mb|g|gb)", Pattern.CASE_INSENSITIVE).matcher(v.trim());
    if (!m.matches()) {
      throw new IllegalArgumentException(key + " must be a size such as 128m or 1g; was '" + v + "'");
    }
    long n = Long.parseLong(m.group(1));
    return m.group(2).toLowerCase(java.util.Locale.ROOT).startsWith("g") ? n * 1024 : n;
  }

  /** The {@code key: value} lines of a flink-conf.yaml, the last one winning as in Flink. */
  static Map<String, String> settings(String yaml) {
    Map<String, String> out = new LinkedHashMap<>();
    for (String line : yaml.split("\n")) {
      String t = line.strip();
      if (t.isEmpty() || t.startsWith("#")) {
        continue;
      }
      int colon = t.indexOf(": ");
      if (colon > 0) {
        out.put(t.substring(0, colon).strip(), t.substring(colon + 2).strip());
      }
    }
    return out;
  }

  /** Free loopback ports, one per key (held together while picked, so they differ). */
  private static Map<String, Integer> freePorts(String... keys) throws IOException {
    Map<String, Integer> ports = new LinkedHashMap<>();
    List<ServerSocket> held = new ArrayList<>();
    try {
      for (String key : keys) {
        ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress());
        held.add(s);
        ports.put(key, s.getLocalPort());
      }
    } finally {
      for (ServerSocket s : held) {
        s.close();
      }
    }
    return ports;
  }
}
