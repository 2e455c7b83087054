package org.fedbeam.pipelines.runners;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.equalTo;

import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * What a cluster process inherits of its starter's environment: Flink's REST API shows a
 * JobManager's environment to whoever reaches it, so secrets stay out; OpenBLAS's kernel choice
 * goes in, because it decides the bits of every GEMM (without it a silo cluster trained with
 * another kernel than its agent's and the simulation's, and the demo's models differed).
 */
class ClusterEnvironmentTest {
  @Test
  void aClusterProcessKeepsWhatAJvmNeedsAndOpenBlasSettingsAndNothingElse() {
    Map<String, String> parent = new LinkedHashMap<>();
    parent.put("PATH", "/usr/bin");
    parent.put("HOME", "/home/op");
    parent.put("OPENBLAS_CORETYPE", "Haswell");
    parent.put("OPENBLAS_L2_SIZE", "512");
    parent.put("AZURE_STORAGE_KEY", "secret");
    parent.put("FEDBEAM_JAVA_OPTS", "-Dx=1");
    parent.put("AWS_SECRET_ACCESS_KEY", "secret");

    Map<String, String> kept = StandaloneCluster.processEnvironment(parent);

    assertThat(kept, equalTo(Map.of("PATH", "/usr/bin", "HOME", "/home/op", "OPENBLAS_CORETYPE", "Haswell",
        "OPENBLAS_L2_SIZE", "512")));
  }
}
