package org.fedbeam.pipelines.runners;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicReference;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import org.apache.flink.api.common.JobID;
import org.apache.flink.client.deployment.ClusterClientJobClientAdapter;
import org.apache.flink.client.deployment.StandaloneClusterId;
import org.apache.flink.client.program.rest.RestClusterClient;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.JobManagerOptions;
import org.apache.flink.configuration.RestOptions;
import org.apache.flink.runtime.jobmaster.JobResult;
import org.fedbeam.transforms.Errors;

/**
 * A standalone Flink session cluster reached over its REST API ({@code --flinkMaster=HOST:PORT}),
 * used the way {@link EmbeddedFlink} uses its MiniCluster: the run's round pipeline is translated
 * once, and its job graph is submitted again, under a new job id, every later round.
 *
 * <p>Jobs ship no code: the cluster must have FedBeam's job jar on its class path, as the clusters
 * of {@code fedbeam cluster up} and {@code docker-compose.yml} have (staged once, when the cluster
 * starts). Uploading the 130 MB jar with every round's job instead cost about 9 s a round here, and
 * a class loader per job loses the JVM's compiled code and caches every round.
 *
 * <p>The cluster answers only mutual TLS: every REST call presents the client certificate of the
 * cluster's {@link ClusterTls} folder.
 */
public final class RemoteFlink implements AutoCloseable {
  private final String master;
  private final Configuration conf;
  private final Path emptyJar;
  private final EmbeddedFlink.SingleExecutorLoader loader;

  private RemoteFlink(String master, Configuration conf, Path emptyJar, EmbeddedFlink.SingleExecutorLoader loader) {
    this.master = master;
    this.conf = conf;
    this.emptyJar = emptyJar;
    this.loader = loader;
  }

  /**
   * Installs the cluster at {@code master} as Flink's context environment.
   *
   * @param master {@code host:port} of the cluster's REST endpoint
   * @param parallelism every job's parallelism
   * @param workDir where to put the tiny jar Beam is given as files to stage
   * @param tls the cluster's TLS folder: every REST call presents its client certificate
   */
  public static synchronized RemoteFlink connect(String master, int parallelism, Path workDir, ClusterTls tls)
      throws IOException {
    String[] hostPort = master.replaceFirst("^https?://", "").split(":");
    if (hostPort.length != 2 || !hostPort[1].matches("\\d{1,5}")) {
      throw new IllegalArgumentException("--flinkMaster must be HOST:PORT of a Flink REST endpoint; was '" + master + "'");
    }
    Configuration conf = ClusterTls.apply(tls.restSettings(), new Configuration());
    conf.set(RestOptions.ADDRESS, hostPort[0]);
    conf.set(RestOptions.PORT, Integer.parseInt(hostPort[1]));
    conf.set(JobManagerOptions.ADDRESS, hostPort[0]);
    Files.createDirectories(workDir);
    Path empty = workDir.resolve("fedbeam-empty-stage.jar");
    Manifest manifest = new Manifest();
    manifest.getMainAttributes().putValue("Manifest-Version", "1.0");
    try (OutputStream out = Files.newOutputStream(empty); JarOutputStream ignored = new JarOutputStream(out, manifest)) {
      // an empty jar, so that Beam does not zip this JVM's class path for every job
    }
    AtomicReference<byte[]> last = new AtomicReference<>();
    EmbeddedFlink.SingleExecutorLoader loader = new EmbeddedFlink.SingleExecutorLoader((graph, classLoader) -> {
      RestClusterClient<StandaloneClusterId> client = client(conf);
      return client.submitJob(graph).whenComplete((id, e) -> client.close())
          .thenApply(id -> new ClusterClientJobClientAdapter<>(() -> client(conf), id, classLoader));
    }, last);
    EmbeddedFlink.ClusterEnvironment.install(loader, parallelism);
    return new RemoteFlink(master, conf, empty, loader);
  }

  private static RestClusterClient<StandaloneClusterId> client(Configuration conf) {
    try {
      return new RestClusterClient<>(conf, StandaloneClusterId.getInstance());
    } catch (Exception e) {
      throw new IllegalStateException("cannot reach the Flink cluster at " + conf.get(RestOptions.ADDRESS) + ":"
          + conf.get(RestOptions.PORT) + ": " + e.getMessage(), e);
    }
  }

  /** The jar to give Beam as files to stage (it holds nothing: the job jar is on the class path). */
  public Path stagingJar() {
    return emptyJar;
  }

  /**
   * Runs round pipelines on the cluster, translating the run's pipeline once: the first round goes
   * through Beam's FlinkRunner, and the job graph it submitted is submitted again under a new job
   * id for every later round, and waited for. Only for a pipeline that is the same every round.
   * With a {@code runName}, each round's job is named {@link JobNames#of(String, int)
   * fedbeam-RUN-round-NNNN}; null keeps the pipeline options' job name for every round.
   */
  public RoundRunner roundRunner(String runName) {
    return EmbeddedFlink.replaying(loader, "the Flink cluster at " + master, runName, (graph, round) -> {
      try (RestClusterClient<StandaloneClusterId> client = client(conf)) {
        JobID id = client.submitJob(graph).get();
        JobResult result = client.requestJobResult(id).get();
        if (!result.isSuccess()) {
          result.toJobExecutionResult(RemoteFlink.class.getClassLoader()); // throws with the job's failure
          throw new IllegalStateException("round " + round + "'s job " + id + " ended " + result.getApplicationStatus());
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while round " + round + " ran on " + master, e);
      } catch (ExecutionException e) {
        throw new RuntimeException("Pipeline execution failed on the Flink cluster at " + master + ": "
            + Errors.messages(e.getCause()), e.getCause());
      } catch (RuntimeException e) {
        throw e;
      } catch (Exception e) {
        throw new RuntimeException("Pipeline execution failed on the Flink cluster at " + master + ": "
            + Errors.messages(e), e);
      }
    });
  }

  @Override
  public synchronized void close() {
    EmbeddedFlink.ClusterEnvironment.uninstall();
  }
}
