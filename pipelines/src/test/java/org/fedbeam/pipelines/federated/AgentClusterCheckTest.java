package org.fedbeam.pipelines.federated;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.fedbeam.pipelines.rounds.SiloPipeline;
import org.fedbeam.pipelines.runners.StandaloneCluster;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A silo agent on a standalone cluster checks that the cluster's job jar holds the silo pipeline
 * it approves requests for: the pipeline runs from that jar, not from the agent's classes.
 */
@Tag("slow")
class AgentClusterCheckTest {
  @TempDir
  static Path dir;
  private static StandaloneCluster.Info cluster;

  @BeforeAll
  static void startACluster() throws Exception {
    cluster = StandaloneCluster.up(dir.resolve("clusters"), "silo-check", "silo", System.out);
  }

  @AfterAll
  static void stopIt() throws Exception {
    if (cluster != null) {
      StandaloneCluster.down(dir.resolve("clusters"), cluster.name(), System.out);
    }
  }

  @Test
  void anAgentStartsOnAClusterRunningItsOwnBuild() throws Exception {
    World world = new World(dir.resolve("same"), List.of("alpha"));
    ByteArrayOutputStream printed = new ByteArrayOutputStream();

    try (SiloAgent agent = SiloAgent.start(options(world), new PrintStream(printed, true, StandardCharsets.UTF_8))) {
      assertThat(printed.toString(StandardCharsets.UTF_8), containsString("runs this silo pipeline (sha256 "
          + SiloPipeline.definitionSha256()));
    }
  }

  @Test
  void anAgentRefusesAClusterWhoseJarHoldsAnotherSiloPipeline() throws Exception {
    World world = new World(dir.resolve("other"), List.of("alpha"));
    Path jar = cluster.dir().resolve(StandaloneCluster.JOB_JAR);
    Path original = dir.resolve("original.jar");
    Files.copy(jar, original, StandardCopyOption.REPLACE_EXISTING);
    try {
      // another build: the guard's class file changed (renamed into place: the running JVMs keep the file they opened)
      Path tampered = dir.resolve("tampered.jar");
      rewrite(original, tampered, "org/fedbeam/transforms/GuardEgress.class");
      Files.move(tampered, jar, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);

      IllegalStateException e = assertThrows(IllegalStateException.class,
          () -> SiloAgent.start(options(world), System.out).close());

      assertThat(e.getMessage(), containsString("the silo's Flink cluster at " + cluster.restUrl() + " (" + jar
          + ") runs another silo pipeline"));
      assertThat(e.getMessage(), containsString("than this agent approves requests for (sha256 "
          + SiloPipeline.definitionSha256()));
    } finally {
      Files.copy(original, jar, StandardCopyOption.REPLACE_EXISTING);
    }
  }

  @Test
  void anAgentWithoutTheClustersClientCertificateCannotUseIt() throws Exception {
    World world = new World(dir.resolve("no-keys"), List.of("alpha"));
    Path strangerKeys = dir.resolve("stranger-tls");
    org.fedbeam.pipelines.runners.ClusterTls.create(strangerKeys, "stranger", false);

    IllegalStateException e = assertThrows(IllegalStateException.class,
        () -> SiloAgent.start(options(world, "--flinkTlsDir=" + strangerKeys), System.out).close());

    assertThat(e.getMessage(), containsString("does not answer on its REST API with the client certificate of "
        + strangerKeys));
  }

  @Test
  void anAgentRefusesAJarToStageThatHoldsAnotherSiloPipeline() throws Exception {
    World world = new World(dir.resolve("staged"), List.of("alpha"));
    Path tampered = dir.resolve("staged.jar");
    rewrite(cluster.dir().resolve(StandaloneCluster.JOB_JAR), tampered, "org/fedbeam/pipelines/rounds/SiloPipeline.class");

    IllegalStateException e = assertThrows(IllegalStateException.class,
        () -> SiloAgent.start(options(world, "--filesToStage=" + tampered), System.out).close());

    assertThat(e.getMessage(), containsString("--filesToStage jar " + tampered + " runs another silo pipeline"));
  }

  private static AgentOptions options(World world, String... more) {
    List<String> args = new java.util.ArrayList<>(List.of("--runner=FlinkRunner", "--flinkMaster=" + cluster.flinkMaster(),
        "--policy=" + world.policies.get("alpha"), "--warmUpRuns=0"));
    args.addAll(List.of(more));
    if (args.stream().noneMatch(a -> a.startsWith("--flinkTlsDir="))) {
      args.add("--flinkTlsDir=" + cluster.tls().dir());
    }
    return PipelineOptionsFactory.fromArgs(args.toArray(String[]::new)).as(AgentOptions.class);
  }

  /**
   * A copy of {@code in} in which the class file {@code entry} is another build's: its source file name
   * (a constant-pool string) changed, so it still reads as a class file.
   */
  private static void rewrite(Path in, Path out, String entry) throws Exception {
    String source = entry.substring(entry.lastIndexOf('/') + 1).replace(".class", ".java");
    String other = source.substring(0, source.length() - 6) + "Z.java";
    org.fedbeam.pipelines.digest.JarCopies.replace(in, out, java.util.Map.of(entry,
        org.fedbeam.pipelines.digest.JarCopies.patchString(org.fedbeam.pipelines.digest.JarCopies.entry(in, entry), source, other)));
  }
}
