package org.fedbeam.pipelines.runners;

import java.io.IOException;
import java.io.OutputStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.stream.Stream;
import org.apache.flink.api.common.JobID;
import org.apache.flink.api.dag.Pipeline;
import org.apache.flink.api.java.ExecutionEnvironment;
import org.apache.flink.client.deployment.executors.PipelineExecutorUtils;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.CoreOptions;
import org.apache.flink.configuration.DeploymentOptions;
import org.apache.flink.configuration.JobManagerOptions;
import org.apache.flink.configuration.PipelineOptions;
import org.apache.flink.configuration.ResourceManagerOptions;
import org.apache.flink.configuration.RestOptions;
import org.apache.flink.configuration.TaskManagerOptions;
import org.apache.flink.configuration.WebOptions;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.core.execution.PipelineExecutor;
import org.apache.flink.core.execution.PipelineExecutorFactory;
import org.apache.flink.core.execution.PipelineExecutorServiceLoader;
import org.apache.flink.runtime.client.JobExecutionException;
import org.apache.flink.runtime.jobgraph.JobGraph;
import org.apache.flink.runtime.minicluster.MiniCluster;
import org.apache.flink.runtime.minicluster.MiniClusterConfiguration;
import org.apache.flink.runtime.minicluster.MiniClusterJobClient;
import org.apache.flink.util.InstantiationUtil;
import org.fedbeam.pipelines.rounds.RoundPipeline;

/**
 * One long-lived embedded Flink cluster per process, so a driver that runs a pipeline per round
 * pays the cluster start once, not every round.
 *
 * <p>While it runs, it is installed as Flink's context {@link ExecutionEnvironment}: Beam's
 * FlinkRunner with {@code --flinkMaster=[auto]} picks it up and every job graph goes straight to
 * this MiniCluster, without REST and without staging jars (task class loaders fall back to this
 * JVM's class path). Every address and port binds to loopback; temporary files go to the run's own
 * folder.
 *
 * <p>Every endpoint answers only holders of this process's TLS keys ({@link ClusterTls}, made in a
 * private folder at every start): REST with mutual TLS, RPC, blob and data connections with TLS and
 * mutual authentication. The REST endpoint (Flink 1.16's MiniCluster cannot run without one) takes no
 * jobs and no jars, and serves the web UI only when asked ({@link SealedMiniCluster}); then an
 * operator client certificate is made next to the keys.
 *
 * <p>It keeps a serialized copy of the last job graph submitted through it, so that a pipeline
 * that is the same every round can be translated once and its job run again ({@link #roundRunner(String)}),
 * under a name per round ({@link JobNames}).
 */
public final class EmbeddedFlink implements AutoCloseable {
  static final String EXECUTOR_NAME = "fedbeam-context";
  private final MiniCluster cluster;
  private final Path stagingJar;
  private final int slots;
  private final SingleExecutorLoader loader;
  private final ClusterTls tls;
  private final boolean webUiServed;

  private EmbeddedFlink(MiniCluster cluster, Path stagingJar, int slots, SingleExecutorLoader loader, ClusterTls tls,
      boolean webUiServed) {
    this.cluster = cluster;
    this.stagingJar = stagingJar;
    this.slots = slots;
    this.loader = loader;
    this.tls = tls;
    this.webUiServed = webUiServed;
  }

  /**
   * As {@link #start(int, String, Path, Path, boolean)} with the TLS keys in {@code workDir/tls} and no
   * web UI.
   */
  public static EmbeddedFlink start(int slots, String webUiPort, Path workDir) throws Exception {
    return start(slots, webUiPort, workDir, workDir.resolve(ClusterTls.DIR), false);
  }

  /**
   * Starts the cluster and installs it as the context environment.
   *
   * @param slots task slots, the parallelism of every job
   * @param webUiPort REST and web UI port or range ("0" for any free port)
   * @param workDir folder for Flink's temporary files
   * @param tlsDir private folder (made 0700) for this start's new TLS keys
   * @param webUi whether to serve the web UI (and make an operator client certificate for it)
   */
  public static synchronized EmbeddedFlink start(int slots, String webUiPort, Path workDir, Path tlsDir, boolean webUi)
      throws Exception {
    Files.createDirectories(workDir);
    ClusterTls tls = ClusterTls.create(tlsDir, "embedded cluster of process " + ProcessHandle.current().pid(), webUi);
    Configuration conf = ClusterTls.apply(tls.clusterSettings(), new Configuration());
    conf.set(JobManagerOptions.ADDRESS, "127.0.0.1");
    conf.set(JobManagerOptions.BIND_HOST, "127.0.0.1");
    conf.set(TaskManagerOptions.HOST, "127.0.0.1");
    conf.set(TaskManagerOptions.BIND_HOST, "127.0.0.1");
    conf.set(RestOptions.ADDRESS, "127.0.0.1");
    conf.set(RestOptions.BIND_ADDRESS, "127.0.0.1");
    conf.set(RestOptions.BIND_PORT, webUiPort);
    // jobs come from this process only (MiniCluster#submitJob): no jar upload or run, no job cancel through REST
    conf.set(WebOptions.SUBMIT_ENABLE, false);
    conf.set(WebOptions.CANCEL_ENABLE, false);
    conf.set(CoreOptions.TMP_DIRS, workDir.toAbsolutePath().toString());
    conf.set(CoreOptions.DEFAULT_PARALLELISM, slots);
    // the slot manager waits this long to batch slot requests of concurrent jobs; rounds run one at a time
    conf.set(ResourceManagerOptions.REQUIREMENTS_CHECK_DELAY, Duration.ZERO);
    MiniClusterConfiguration clusterConf = new MiniClusterConfiguration.Builder()
        .setConfiguration(conf)
        .setNumTaskManagers(1)
        .setNumSlotsPerTaskManager(slots)
        .build();
    MiniCluster cluster = new SealedMiniCluster(clusterConf, webUi);
    cluster.start();
    Path jar = workDir.resolve("fedbeam-empty-stage.jar");
    writeEmptyJar(jar);
    SingleExecutorLoader loader = new SingleExecutorLoader((jobGraph, classLoader) -> cluster.submitJob(jobGraph)
        .thenApply(result -> new MiniClusterJobClient(result.getJobID(), cluster, classLoader,
            MiniClusterJobClient.JobFinalizationBehavior.NOTHING)), new java.util.concurrent.atomic.AtomicReference<>());
    ClusterEnvironment.install(loader, slots);
    EmbeddedFlink flink = new EmbeddedFlink(cluster, jar, slots, loader, tls, webUi);
    flink.awaitRest(java.time.Duration.ofSeconds(60));
    return flink;
  }

  /**
   * Waits until the REST endpoint serves (Flink answers 503 while its dispatcher's leader is being
   * elected, for a moment after the cluster started), so the address printed for the operator
   * answers at once; fails after {@code timeout}.
   */
  private void awaitRest(java.time.Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    String last = "no answer";
    while (System.nanoTime() < deadline) {
      try {
        int status = rest().send("/config").statusCode();
        if (status != 503) {
          return;
        }
        last = "HTTP 503";
      } catch (IOException e) {
        last = e.toString();
      }
      Thread.sleep(50);
    }
    throw new IllegalStateException("the embedded Flink cluster's REST endpoint " + webUi() + " did not serve within "
        + timeout.toSeconds() + " s (" + last + ")");
  }

  /** The REST endpoint (https), which also serves the web UI if {@link #servesWebUi()}. */
  public URI webUi() {
    return cluster.getRestAddress().join();
  }

  /** Whether the REST endpoint serves the web UI. */
  public boolean servesWebUi() {
    return webUiServed;
  }

  /** This cluster's TLS keys (the operator's client certificate among them if the web UI is served). */
  public ClusterTls tls() {
    return tls;
  }

  /** A client of the REST endpoint that presents this process's client certificate. */
  public FlinkRest rest() {
    return new FlinkRest(webUi().toString(), tls);
  }

  public int slots() {
    return slots;
  }

  /**
   * A tiny jar to pass as {@code --filesToStage}, so Beam does not scan and zip the class path for
   * every pipeline (nothing is uploaded to this cluster either way).
   */
  public Path stagingJar() {
    return stagingJar;
  }

  /**
   * Runs round pipelines on this cluster, translating the run's pipeline once: the first round
   * goes through Beam's FlinkRunner as usual, and the job graph it submitted is run again, under a
   * new job id, for every later round. Only for a pipeline that is the same every round, reading
   * what changes at run time (see {@link RoundPipeline}); the options must select this cluster.
   * Every job keeps the name of the first (the pipeline options' job name): see {@link
   * #roundRunner(String)} for a name per round.
   */
  public RoundRunner roundRunner() {
    return roundRunner(null);
  }

  /**
   * As {@link #roundRunner()}, each round's job named {@link JobNames#of(String, int)
   * fedbeam-RUN-round-NNNN} ({@code fedbeam-RUN-warm-up} for round 0), so the web UI tells the rounds
   * apart; {@code runName} null keeps the pipeline options' job name for every round.
   */
  public RoundRunner roundRunner(String runName) {
    return replaying(loader, "the embedded Flink cluster", runName, (graph, round) -> {
      try {
        cluster.executeJobBlocking(graph);
      } catch (JobExecutionException e) {
        throw new RuntimeException("Pipeline execution failed", e);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while round " + round + " ran", e);
      }
    });
  }

  /** Runs a job graph (a copy, under a new job id) to its end; throws if it failed. */
  interface JobGraphRunner {
    void run(JobGraph graph, int round);
  }

  /**
   * A round runner that translates once: the first round goes through Beam's FlinkRunner, whose
   * job graph {@code loader} keeps; every later round runs a copy of it with {@code again}. With a
   * {@code runName}, each round's job is named {@link JobNames#of(String, int)}: the first through the
   * pipeline options' job name (put back after the round), the copies directly.
   */
  static RoundRunner replaying(SingleExecutorLoader loader, String where, String runName, JobGraphRunner again) {
    if (runName != null) {
      JobNames.checkRun(runName);
    }
    return new RoundRunner() {
      private byte[] jobGraph;

      @Override
      public void run(int round, java.util.function.Supplier<org.apache.beam.sdk.Pipeline> pipeline) {
        if (jobGraph == null) {
          Object before = loader.last().get();
          (runName == null ? RoundRunner.beam() : RoundRunner.beam(runName)).run(round, pipeline);
          byte[] submitted = loader.last().get();
          if (submitted == null || submitted == before) {
            throw new IllegalStateException("round " + round + " did not run on " + where
                + ": the pipeline options select another cluster or runner");
          }
          jobGraph = submitted;
          return;
        }
        JobGraph graph = copy(jobGraph, round);
        again.run(runName == null ? graph : JobNames.rename(graph, JobNames.of(runName, round)), round);
      }
    };
  }

  @Override
  public synchronized void close() throws Exception {
    ClusterEnvironment.uninstall();
    cluster.close();
  }

  private static void writeEmptyJar(Path jar) throws IOException {
    Manifest manifest = new Manifest();
    manifest.getMainAttributes().putValue("Manifest-Version", "1.0");
    try (OutputStream out = Files.newOutputStream(jar); JarOutputStream ignored = new JarOutputStream(out, manifest)) {
      // an empty jar: task class loaders fall back to the JVM class path
    }
  }

  /** Submits a job graph somewhere and returns the client of the submitted job. */
  interface JobGraphSubmitter {
    CompletableFuture<JobClient> submit(JobGraph jobGraph, ClassLoader classLoader) throws Exception;
  }

  /**
   * The context environment through which Beam's FlinkRunner (with {@code --flinkMaster=[auto]})
   * hands its job graphs to a {@link JobGraphSubmitter}.
   */
  static final class ClusterEnvironment extends ExecutionEnvironment {
    private ClusterEnvironment(PipelineExecutorServiceLoader loader, Configuration conf) {
      super(loader, conf, Thread.currentThread().getContextClassLoader());
    }

    static void install(PipelineExecutorServiceLoader loader, int parallelism) {
      initializeContextEnvironment(() -> {
        Configuration conf = new Configuration();
        conf.set(DeploymentOptions.TARGET, EXECUTOR_NAME);
        conf.set(DeploymentOptions.ATTACHED, true);
        ClusterEnvironment env = new ClusterEnvironment(loader, conf);
        env.setParallelism(parallelism);
        return env;
      });
    }

    static void uninstall() {
      resetContextEnvironment();
    }
  }

  /** Hands job graphs to a submitter and keeps the last one, serialized before submission. */
  record SingleExecutorLoader(JobGraphSubmitter submitter, java.util.concurrent.atomic.AtomicReference<byte[]> last)
      implements PipelineExecutorServiceLoader {
    @Override
    public PipelineExecutorFactory getExecutorFactory(Configuration configuration) {
      return new PipelineExecutorFactory() {
        @Override
        public String getName() {
          return EXECUTOR_NAME;
        }

        @Override
        public boolean isCompatibleWith(Configuration conf) {
          return EXECUTOR_NAME.equals(conf.get(DeploymentOptions.TARGET));
        }

        @Override
        public PipelineExecutor getExecutor(Configuration conf) {
          return (Pipeline pipeline, Configuration jobConf, ClassLoader classLoader) -> submit(pipeline, jobConf, classLoader);
        }
      };
    }

    private CompletableFuture<JobClient> submit(Pipeline pipeline, Configuration jobConf, ClassLoader classLoader)
        throws Exception {
      Configuration conf = new Configuration(jobConf);
      conf.set(PipelineOptions.JARS, List.of());
      conf.set(PipelineOptions.CLASSPATHS, List.of());
      // the operators Beam leaves unnamed take their step's name, so that the web UI shows FedBeam's steps
      JobGraph jobGraph = PipelineExecutorUtils.getJobGraph(PlanNames.apply(pipeline), conf, classLoader);
      last.set(InstantiationUtil.serializeObject(jobGraph));
      return submitter.submit(jobGraph, classLoader);
    }

    @Override
    public Stream<String> getExecutorNames() {
      return Stream.of(EXECUTOR_NAME);
    }
  }

  /** A copy of the serialized job graph under a new job id. */
  static JobGraph copy(byte[] serialized, int round) {
    try {
      JobGraph graph = InstantiationUtil.deserializeObject(serialized, EmbeddedFlink.class.getClassLoader());
      graph.setJobID(new JobID());
      return graph;
    } catch (IOException | ClassNotFoundException e) {
      throw new IllegalStateException("cannot copy round " + round + "'s job graph: " + e.getMessage(), e);
    }
  }
}
