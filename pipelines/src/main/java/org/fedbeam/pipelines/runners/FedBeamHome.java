package org.fedbeam.pipelines.runners;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Where this FedBeam checkout is: {@code flink-conf/}, the cluster class path that the build
 * resolves, and the job jar. Taken from the system property {@code fedbeam.root} (set by
 * {@code bin/fedbeam}), else found by walking up from the working folder.
 */
public final class FedBeamHome {
  private FedBeamHome() {}

  public static Path root() {
    String set = System.getProperty("fedbeam.root");
    if (set != null && !set.isBlank()) {
      return Path.of(set).toAbsolutePath().normalize();
    }
    for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
      if (Files.isDirectory(p.resolve("flink-conf")) && Files.isRegularFile(p.resolve("pom.xml"))) {
        return p;
      }
    }
    throw new IllegalStateException("cannot find the FedBeam checkout (a folder with flink-conf/ and pom.xml) above "
        + Path.of("").toAbsolutePath() + "; set -Dfedbeam.root");
  }

  /** {@code flink-conf/ROLE/flink-conf.yaml}. */
  public static Path flinkConf(String role) {
    return root().resolve("flink-conf").resolve(role).resolve("flink-conf.yaml");
  }

  /** The standalone cluster's class path, one line of jars, written by the build. */
  public static String clusterClasspath() {
    Path file = root().resolve("flink-conf/cluster/target/cluster.classpath");
    if (!Files.isRegularFile(file)) {
      throw new IllegalStateException("the Flink cluster class path " + file + " is missing: build FedBeam first"
          + " (bin/fedbeam does, or: mvn -B install -DskipTests)");
    }
    try {
      return Files.readString(file).trim();
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException("cannot read " + file, e);
    }
  }

  /** FedBeam's job jar for a cluster: everything but Flink and Scala, built by {@code mvn package}. */
  public static Path jobJar() {
    Path target = root().resolve("pipelines/target");
    try (var files = Files.list(target)) {
      return files.filter(p -> p.getFileName().toString().matches("fedbeam-pipelines-.*-job\\.jar")).findFirst()
          .orElseThrow(() -> new IllegalStateException("FedBeam's job jar (pipelines/target/fedbeam-pipelines-*-job.jar)"
              + " is missing: build it with mvn -B package -DskipTests (bin/fedbeam does)"));
    } catch (java.io.IOException e) {
      throw new IllegalStateException("FedBeam's job jar is missing: " + target + " cannot be listed; build FedBeam first", e);
    }
  }
}
