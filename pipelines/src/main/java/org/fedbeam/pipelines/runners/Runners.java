package org.fedbeam.pipelines.runners;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.beam.runners.flink.FlinkPipelineOptions;
import org.apache.beam.runners.flink.FlinkRunner;

/**
 * Puts the runner the options ask for in place. FlinkRunner with the default master
 * ({@code [auto]}) gets one embedded cluster for the whole run ({@link EmbeddedFlink});
 * {@code --flinkMaster=host:port} submits to that standalone cluster ({@link RemoteFlink}: translated
 * once, no jar sent; with {@code --filesToStage} given, Beam's own way, the files uploaded with
 * every job); {@code [local]} is Beam's own
 * per-pipeline mini cluster; any other runner (DirectRunner in tests) is used as is.
 *
 * <p>Every Flink endpoint answers only mutual TLS. An embedded cluster makes new keys at every start in
 * {@code OUTPUT/flink-tls} (owner-only; a private temporary folder when the output is not local). A
 * standalone cluster's client keys are read from {@code --flinkTlsDir}, by default from the folder of
 * the cluster of {@code fedbeam cluster up} in {@code ~/.fedbeam/clusters} that has that REST port.
 */
public final class Runners {
  private Runners() {}

  /** The runner-side resources of a run; closing them stops an embedded cluster. */
  public interface Session extends AutoCloseable {
    /** Where to watch the jobs, or null. */
    String webUi();

    String describe();

    /**
     * How to run the rounds: translated once on the embedded cluster, rebuilt every round elsewhere; each
     * round's job named after the run ({@link #runName()}, see {@link #roundRunner(String)}).
     */
    default RoundRunner roundRunner() {
      return roundRunner(runName());
    }

    /**
     * As {@link #roundRunner()}, each round's Flink job named {@code fedbeam-RUN-round-NNNN} with {@code
     * RUN = runName} ({@code fedbeam-RUN-warm-up} for round 0; see {@link JobNames}). The orchestrator
     * passes its job id, a silo agent its job id and silo.
     *
     * @throws IllegalArgumentException naming the run name if it is not a valid one ({@link JobNames#checkRun})
     */
    RoundRunner roundRunner(String runName);

    /**
     * The run's name in its jobs' names: the pipeline options' {@code --jobName} when one was set
     * (FedBeam's own, e.g. {@code fedbeam-aggregate-JOB} gives {@code aggregate-JOB}), else the name of
     * the run's output folder.
     */
    String runName();

    /** A client of the Flink cluster's REST API that holds the client certificate, or null (no Flink cluster). */
    FlinkRest rest();

    @Override
    void close() throws Exception;
  }

  /**
   * Prepares the runner that {@code options} name; an embedded cluster keeps its
   * temporary files and TLS keys under {@code output} (if it is a local folder) and serves its web UI,
   * behind mutual TLS, on {@code webUiPort}.
   */
  public static Session prepare(org.apache.beam.sdk.options.PipelineOptions options, String output, String webUiPort,
      PrintStream out) throws Exception {
    return prepare(options, output, webUiPort, true, out);
  }

  /**
   * As {@link #prepare(org.apache.beam.sdk.options.PipelineOptions, String, String, PrintStream)}; an
   * embedded cluster serves the web UI (and writes an operator client certificate) only if {@code
   * webUi}. Its REST API runs either way (Flink 1.16's MiniCluster always starts it), on loopback and
   * behind mutual TLS.
   */
  public static Session prepare(org.apache.beam.sdk.options.PipelineOptions options, String output, String webUiPort,
      boolean webUi, PrintStream out) throws Exception {
    if (!FlinkRunner.class.equals(options.getRunner())) {
      String name = options.getRunner().getSimpleName();
      return session(null, name, null, RoundRunner::beam, null, runName(options, output));
    }
    FlinkPipelineOptions flink = options.as(FlinkPipelineOptions.class);
    // every element type FedBeam emits is immutable, so chained operators may share instances
    flink.setFasterCopy(true);
    String master = flink.getFlinkMaster();
    if (isStandaloneCluster(master)) {
      ClusterTls tls = ClusterTls.load(tlsDir(options.as(FlinkTlsOptions.class), master));
      FlinkRest rest = new FlinkRest("https://" + master.replaceFirst("^https?://", ""), tls);
      List<String> staged = flink.getFilesToStage();
      if (staged != null && !staged.isEmpty()) {
        // asked for explicitly: Beam's own way, the files uploaded with every round's job; Beam's Flink client reads
        // the TLS settings from the configuration folder
        if (flink.getFlinkConfDir() == null) {
          flink.setFlinkConfDir(tls.clientConfDir().toString());
        }
        out.println("Flink cluster at " + master + ": uploading " + staged + " with every job (--filesToStage)");
        return session(null, "FlinkRunner at " + master + ", staging " + staged + " every job", null, RoundRunner::beam,
            rest, runName(options, output));
      }
      return remote(flink, master, rest, tls, output, runName(options, output), out);
    }
    if ("[local]".equals(master) && flink.getFlinkConfDir() == null) {
      // Beam's own mini cluster per pipeline: the same loopback binding and TLS, from a configuration folder
      Path tlsDir = isLocal(output) ? Path.of(output).resolve("flink-tls") : Files.createTempDirectory("fedbeam-flink-tls");
      ClusterTls tls = ClusterTls.create(tlsDir, "local cluster of process " + ProcessHandle.current().pid(), false);
      java.util.Map<String, String> settings = new java.util.LinkedHashMap<>(tls.clusterSettings());
      for (String key : List.of("jobmanager.rpc.address", "jobmanager.bind-host", "taskmanager.host",
          "taskmanager.bind-host", "rest.address", "rest.bind-address")) {
        settings.put(key, "127.0.0.1");
      }
      settings.put("web.submit.enable", "false");
      flink.setFlinkConfDir(tls.confDir("local-conf", settings).toString());
    }
    if (!"[auto]".equals(master)) {
      return session(null, "FlinkRunner at " + master, null, RoundRunner::beam, null, runName(options, output));
    }
    int slots = flink.getParallelism() > 0 ? flink.getParallelism() : Runtime.getRuntime().availableProcessors();
    Path work = isLocal(output) ? Path.of(output).resolve("flink-tmp") : Files.createTempDirectory("fedbeam-flink");
    // owner-only, new keys at every start; a temporary folder is made owner-only by the JDK
    Path tlsDir = isLocal(output) ? Path.of(output).resolve("flink-tls") : Files.createTempDirectory("fedbeam-flink-tls");
    EmbeddedFlink cluster = EmbeddedFlink.start(slots, webUiPort, work, tlsDir, webUi);
    flink.setFilesToStage(List.of(cluster.stagingJar().toString()));
    flink.setParallelism(slots);
    String ui = cluster.webUi().toString();
    if (webUi) {
      out.println("embedded Flink cluster: " + slots + " slots, web UI " + ui + " (mutual TLS: "
          + cluster.tls().operatorHint(ui) + ")");
    } else {
      out.println("embedded Flink cluster: " + slots + " slots, no web UI (REST " + ui + " on loopback, mutual TLS, keys"
          + " in " + tlsDir + ")");
    }
    return session(webUi ? ui : null, "FlinkRunner on an embedded cluster (" + slots + " slots)", cluster,
        cluster::roundRunner, cluster.rest(), runName(options, output));
  }

  /** The TLS folder of the standalone cluster at {@code master}: {@code --flinkTlsDir}, else found by its port. */
  static Path tlsDir(FlinkTlsOptions options, String master) {
    String given = options.getFlinkTlsDir();
    if (given != null && !given.isBlank()) {
      return Path.of(given);
    }
    Path clusters = StandaloneCluster.defaultClustersDir();
    return StandaloneCluster.tlsDirOf(clusters, master).orElseThrow(() -> new IllegalArgumentException(
        "the Flink cluster at " + master + " answers only mutual TLS, and no cluster in " + clusters + " has that REST"
            + " port: give --flinkTlsDir=CLUSTERS_DIR/NAME/" + ClusterTls.DIR + " (made by 'fedbeam cluster up')"));
  }

  /**
   * A standalone cluster at {@code master} with FedBeam's job jar on its class path (see {@link
   * RemoteFlink}): the run's pipeline is translated once, and every job runs with the cluster's slot
   * count unless {@code --parallelism} is set.
   */
  private static Session remote(FlinkPipelineOptions flink, String master, FlinkRest rest, ClusterTls tls, String output,
      String runName, PrintStream out) throws Exception {
    String restUrl = rest.restUrl();
    int slots = flink.getParallelism() > 0 ? flink.getParallelism()
        : rest.get("/overview").map(o -> o.path("slots-total").asInt()).filter(n -> n > 0)
            .orElseThrow(() -> new IllegalStateException("the Flink cluster at " + master
                + " does not answer on its REST API with the client certificate of " + tls.dir()
                + ", or has no task slots: is it up ('fedbeam cluster status'), and is that its TLS folder?"));
    Path work = isLocal(output) ? Path.of(output).resolve("flink-tmp") : Files.createTempDirectory("fedbeam-flink");
    RemoteFlink cluster = RemoteFlink.connect(master, slots, work, tls);
    flink.setFlinkMaster("[auto]");
    flink.setFilesToStage(List.of(cluster.stagingJar().toString()));
    flink.setParallelism(slots);
    out.println("Flink cluster at " + restUrl + ": " + slots + " slot(s), web UI " + restUrl);
    return session(restUrl, "FlinkRunner on the cluster at " + master + " (" + slots + " slots)", cluster,
        cluster::roundRunner, rest, runName);
  }

  /** Whether a {@code --flinkMaster} names a standalone cluster's REST endpoint ({@code HOST:PORT}). */
  public static boolean isStandaloneCluster(String flinkMaster) {
    return flinkMaster != null && flinkMaster.matches("^(https?://)?[A-Za-z0-9.-]+:\\d+$");
  }

  static boolean isLocal(String uri) {
    return !uri.matches("^[a-zA-Z][a-zA-Z0-9+.-]*://.*") || uri.startsWith("file://");
  }

  /**
   * The run name of {@link Session#runName()}: {@code --jobName} when one was given (Beam's generated
   * default, {@code APPNAME-USER-MMddHHmmss-HEX}, is not one), else the output folder's name.
   */
  static String runName(org.apache.beam.sdk.options.PipelineOptions options, String output) {
    String jobName = options.getJobName();
    if (jobName == null || jobName.matches("[a-z][a-z0-9]*-[a-z0-9]*-\\d{10}-[0-9a-f]{1,8}")) {
      return JobNames.runNameOfOutput(output);
    }
    return JobNames.runNameOf(jobName, JobNames.runNameOfOutput(output));
  }

  private static Session session(String ui, String description, AutoCloseable resource,
      java.util.function.Function<String, RoundRunner> rounds, FlinkRest rest, String runName) {
    return new Session() {
      @Override
      public FlinkRest rest() {
        return rest;
      }

      @Override
      public RoundRunner roundRunner(String name) {
        return rounds.apply(name);
      }

      @Override
      public String runName() {
        return runName;
      }

      @Override
      public String webUi() {
        return ui;
      }

      @Override
      public String describe() {
        return description;
      }

      @Override
      public void close() throws Exception {
        if (resource != null) {
          resource.close();
        }
      }
    };
  }
}
