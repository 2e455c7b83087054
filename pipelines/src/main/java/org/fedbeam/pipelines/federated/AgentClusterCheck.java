package org.fedbeam.pipelines.federated;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.fedbeam.pipelines.rounds.SiloPipeline;

/**
 * The silo agent's start-up check that a standalone Flink cluster runs this build's silo
 * pipeline: on such a cluster the pipeline runs from the job jar on the cluster's class path (and
 * from any jar staged with each job, loaded first), not from the agent's own classes. It
 * guarantees that the agent does not start, with an error naming the jar and both digests, unless
 * every such jar holds a silo pipeline whose definition digest is the one the agent approves
 * requests for ({@link SiloPipeline#definitionSha256()}).
 */
final class AgentClusterCheck {
  private AgentClusterCheck() {}

  /** Fails unless each jar uploaded with every job ({@code --filesToStage}) holds this silo pipeline. */
  static void checkStagedJars(List<String> staged) {
    for (String jar : staged) {
      checkJar(Path.of(jar), "--filesToStage jar " + jar);
    }
  }

  /**
   * On a standalone cluster the silo pipeline runs from the job jar on the cluster's class path, not
   * from this process's classes: the agent refuses to start unless that jar's silo pipeline has the
   * digest this agent approves requests for. The jar is found on the JobManager's class path through
   * the REST API and read here, so the cluster must run on a file system this agent can read (this
   * machine; in containers, the same image). The REST call presents the cluster's client certificate.
   */
  static void checkClusterRunsThisPipeline(org.fedbeam.pipelines.runners.FlinkRest rest, String silo,
      PrintStream out) {
    String restUrl = rest.restUrl();
    JsonNode environment = rest.get("/jobmanager/environment")
        .orElseThrow(() -> new IllegalStateException("the silo's Flink cluster at " + restUrl
            + " does not answer /jobmanager/environment: cannot check which silo pipeline it runs"));
    List<String> jars = new ArrayList<>();
    environment.path("classpath").forEach(c -> {
      String entry = c.asText();
      if (entry.matches(".*fedbeam[^/]*\\.jar")) {
        jars.add(entry);
      }
    });
    if (jars.isEmpty()) {
      throw new IllegalStateException("the silo's Flink cluster at " + restUrl + " has no FedBeam job jar on its class"
          + " path; start it with 'fedbeam cluster up'");
    }
    for (String jar : jars) {
      checkJar(Path.of(jar), "the silo's Flink cluster at " + restUrl + " (" + jar + ")");
    }
    out.printf("%s: the cluster at %s runs this silo pipeline (sha256 %s, from %s)%n", silo, restUrl,
        SiloPipeline.definitionSha256(), String.join(", ", jars));
  }

  /** Fails unless the jar holds the silo pipeline this agent approves requests for. */
  static void checkJar(Path jar, String what) {
    String digest;
    try {
      digest = SiloPipeline.definitionSha256In(jar);
    } catch (IllegalStateException e) {
      throw new IllegalStateException(what + ": cannot check which silo pipeline it holds: " + e.getMessage(), e);
    }
    if (!digest.equals(SiloPipeline.definitionSha256())) {
      throw new IllegalStateException(what + " runs another silo pipeline (sha256 " + digest + ") than this agent"
          + " approves requests for (sha256 " + SiloPipeline.definitionSha256() + "); run it from this build (for a"
          + " cluster: fedbeam cluster down, then up)");
    }
  }
}
