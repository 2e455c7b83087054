package org.fedbeam.pipelines;

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
 */
public final class Runners {
  private Runners() {}

  /** The runner-side resources of a run; closing them stops an embedded cluster. */
  public interface Session extends AutoCloseable {
    /** Where to watch the jobs, or null. */
    String webUi();

    String describe();

    /** How to run the rounds: translated once on the embedded cluster, rebuilt every round elsewhere. */
    RoundRunner roundRunner();

    @Override
    void close() throws Exception;
  }

  static Session prepare(TrainOptions options, PrintStream out) throws Exception {
    return prepare(options, options.getOutput(), options.getWebUiPort(), out);
  }

  /**
   * As {@link #prepare(TrainOptions, PrintStream)} for any options: an embedded cluster keeps its
   * temporary files under {@code output} (if it is a local folder) and serves its web UI on
   * {@code webUiPort}.
   */
  public static Session prepare(org.apache.beam.sdk.options.PipelineOptions options, String output, String webUiPort,
      PrintStream out) throws Exception {
    if (!FlinkRunner.class.equals(options.getRunner())) {
      String name = options.getRunner().getSimpleName();
      return session(null, name, null, RoundRunner.beam());
    }
    FlinkPipelineOptions flink = options.as(FlinkPipelineOptions.class);
    // every element type FedBeam emits is immutable, so chained operators may share instances
    flink.setFasterCopy(true);
    String master = flink.getFlinkMaster();
    if (isStandaloneCluster(master)) {
      List<String> staged = flink.getFilesToStage();
      if (staged != null && !staged.isEmpty()) {
        // asked for explicitly: Beam's own way, the files uploaded with every round's job
        out.println("Flink cluster at " + master + ": uploading " + staged + " with every job (--filesToStage)");
        return session(null, "FlinkRunner at " + master + ", staging " + staged + " every job", null, RoundRunner.beam());
      }
      return remote(flink, master, output, out);
    }
    if (!"[auto]".equals(master)) {
      return session(null, "FlinkRunner at " + master, null, RoundRunner.beam());
    }
    int slots = flink.getParallelism() > 0 ? flink.getParallelism() : Runtime.getRuntime().availableProcessors();
    Path work = isLocal(output) ? Path.of(output).resolve("flink-tmp") : Files.createTempDirectory("fedbeam-flink");
    EmbeddedFlink cluster = EmbeddedFlink.start(slots, webUiPort, work);
    flink.setFilesToStage(List.of(cluster.stagingJar().toString()));
    flink.setParallelism(slots);
    String ui = cluster.webUi().toString();
    out.println("embedded Flink cluster: " + slots + " slots, web UI " + ui);
    return session(ui, "FlinkRunner on an embedded cluster (" + slots + " slots)", cluster, cluster.roundRunner());
  }

  /**
   * A standalone cluster at {@code master} with FedBeam's job jar on its class path (see {@link
   * RemoteFlink}): the run's pipeline is translated once, and every job runs with the cluster's slot
   * count unless {@code --parallelism} is set.
   */
  private static Session remote(FlinkPipelineOptions flink, String master, String output, PrintStream out)
      throws Exception {
    String restUrl = "http://" + master.replaceFirst("^https?://", "");
    int slots = flink.getParallelism() > 0 ? flink.getParallelism()
        : org.fedbeam.pipelines.cluster.StandaloneCluster.get(restUrl, "/overview")
            .map(o -> o.path("slots-total").asInt()).filter(n -> n > 0)
            .orElseThrow(() -> new IllegalStateException("the Flink cluster at " + master
                + " does not answer on its REST API, or has no task slots: is it up ('fedbeam cluster status')?"));
    Path work = isLocal(output) ? Path.of(output).resolve("flink-tmp") : Files.createTempDirectory("fedbeam-flink");
    RemoteFlink cluster = RemoteFlink.connect(master, slots, work);
    flink.setFlinkMaster("[auto]");
    flink.setFilesToStage(List.of(cluster.stagingJar().toString()));
    flink.setParallelism(slots);
    out.println("Flink cluster at " + restUrl + ": " + slots + " slot(s), web UI " + restUrl);
    return session(restUrl, "FlinkRunner on the cluster at " + master + " (" + slots + " slots)", cluster,
        cluster.roundRunner());
  }

  /** Whether a {@code --flinkMaster} names a standalone cluster's REST endpoint ({@code HOST:PORT}). */
  public static boolean isStandaloneCluster(String flinkMaster) {
    return flinkMaster != null && flinkMaster.matches("^(https?://)?[A-Za-z0-9.-]+:\\d+$");
  }

  static boolean isLocal(String uri) {
    return !uri.matches("^[a-zA-Z][a-zA-Z0-9+.-]*://.*") || uri.startsWith("file://");
  }

  private static Session session(String ui, String description, AutoCloseable resource, RoundRunner rounds) {
    return new Session() {
      @Override
      public RoundRunner roundRunner() {
        return rounds;
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
