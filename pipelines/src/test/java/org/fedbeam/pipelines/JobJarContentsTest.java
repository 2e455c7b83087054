package org.fedbeam.pipelines;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.empty;
import static org.hamcrest.Matchers.hasItem;

import java.nio.file.Path;
import java.util.List;
import java.util.jar.JarFile;
import org.fedbeam.pipelines.runners.FedBeamHome;
import org.junit.jupiter.api.Test;

/**
 * The job jar that standalone clusters run (built before the tests, {@code pipelines/pom.xml}) holds
 * the core and nothing of the demo, the benchmarks or the test support: no {@code org.fedbeam.tools}
 * or {@code org.fedbeam.testing} class and no Python script. Opens the real jar.
 */
class JobJarContentsTest {
  private static List<String> entries() throws Exception {
    Path jar = FedBeamHome.jobJar();
    try (JarFile file = new JarFile(jar.toFile())) {
      return file.stream().map(e -> e.getName()).toList();
    }
  }

  @Test
  void holdsTheCommandLineAndTheSiloPipeline() throws Exception {
    List<String> names = entries();
    assertThat(names, hasItem("org/fedbeam/pipelines/cli/FedBeam.class"));
    assertThat(names, hasItem("org/fedbeam/pipelines/rounds/SiloPipeline.class"));
    assertThat(names, hasItem("org/fedbeam/transforms/TrainLocally.class"));
  }

  @Test
  void holdsNoToolsNoTestSupportAndNoScript() throws Exception {
    List<String> leaked = entries().stream()
        .filter(n -> n.startsWith("org/fedbeam/tools/") || n.startsWith("org/fedbeam/testing/") || n.endsWith(".py"))
        .toList();
    assertThat(leaked, empty());
  }
}
