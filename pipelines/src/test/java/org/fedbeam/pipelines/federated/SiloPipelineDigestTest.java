package org.fedbeam.pipelines.federated;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.hasItems;
import static org.hamcrest.Matchers.not;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import org.fedbeam.pipelines.cli.FedBeam;
import org.fedbeam.pipelines.digest.ClassSource;
import org.fedbeam.pipelines.digest.JarCopies;
import org.fedbeam.pipelines.rounds.SiloPipeline;
import org.fedbeam.pipelines.runners.FedBeamHome;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The silo pipeline's approval digest is derived from the code that runs in it: a build that changes any
 * class on the silo's path, or a library it calls, has another digest; one that changes code off the
 * path has the same; and the job jar a cluster runs gives the digest this process gives.
 */
class SiloPipelineDigestTest {
  private static final String PERMUTATIONS = "org/fedbeam/model/Permutations.class";
  /**
   * The job jar's FedBeam classes and the files of the packages the digest covers, and nothing else:
   * it gives the job jar's digest (checked below) and is quick to copy with one class changed.
   */
  private static Path JOB_JAR;

  @TempDir
  static Path shared;
  @TempDir
  Path dir;

  @BeforeAll
  static void slimJobJar() throws Exception {
    java.util.Set<String> folders = new java.util.HashSet<>();
    SiloPipeline.definition().packages().keySet().forEach(p -> folders.add(p.replace('.', '/') + "/"));
    JOB_JAR = JarCopies.subset(FedBeamHome.jobJar(), shared.resolve("slim-job.jar"), name ->
        name.startsWith("org/fedbeam/") || folders.contains(name.substring(0, name.lastIndexOf('/') + 1)));
  }

  @Test
  void theDigestCoversTheSiloPathFoundFromTheClassFilesNotFromAList() {
    assertThat(SiloPipeline.definitionClasses(), hasItems("org.fedbeam.model.Permutations", "org.fedbeam.data.Dataset",
        "org.fedbeam.model.TrainConfig", "org.fedbeam.model.TrainResult", "org.fedbeam.transforms.Artifacts",
        "org.fedbeam.model.DenseNetwork", "org.fedbeam.transforms.GuardEgress", "org.fedbeam.transforms.TrainLocally",
        "org.fedbeam.transforms.SiloData", "org.fedbeam.transforms.FedBeamCoders$ParametersCoder",
        "org.fedbeam.model.linalg.NativeBlas"));
    // the command line, the orchestrator and the agent do not run in the silo pipeline
    assertThat(SiloPipeline.definitionClasses(), not(hasItem("org.fedbeam.pipelines.cli.FedBeam")));
    assertThat(SiloPipeline.definitionClasses(), not(hasItem("org.fedbeam.pipelines.federated.Orchestrator")));
    assertThat(SiloPipeline.definitionClasses(), not(hasItem("org.fedbeam.pipelines.federated.SiloAgent")));
    // the libraries it calls, by content
    assertThat(SiloPipeline.definition().packages().keySet(), hasItems("org.apache.beam.sdk.transforms",
        "com.fasterxml.jackson.databind", "smile.math.blas", "org.bytedeco.openblas.global"));
  }

  @Test
  void theJobJarGivesTheDigestOfThisProcesssClassPath() {
    assertThat(SiloPipeline.definitionIn(FedBeamHome.jobJar()).lines(), equalTo(SiloPipeline.definition().lines()));
    assertThat(SiloPipeline.definitionSha256In(FedBeamHome.jobJar()), equalTo(SiloPipeline.definitionSha256()));
    // and so does the slim copy the other tests change
    assertThat(SiloPipeline.definitionSha256In(JOB_JAR), equalTo(SiloPipeline.definitionSha256()));
  }

  @Test
  void anotherShuffleInPermutationsChangesTheDigest() throws Exception {
    // another build of Permutations: Sattolo's cycle instead of Fisher-Yates (one character of source)
    String source = Files.readString(FedBeamHome.root().resolve("model/src/main/java/org/fedbeam/model/Permutations.java"));
    String variant = source.replace("random.nextInt(i + 1)", "random.nextInt(i)");
    assertThat(variant, not(equalTo(source)));
    Path jar = JarCopies.replace(JOB_JAR, dir.resolve("shuffle.jar"),
        Map.of(PERMUTATIONS, JarCopies.compile("org.fedbeam.model.Permutations", variant)));

    assertThat(SiloPipeline.definitionSha256In(jar), not(equalTo(SiloPipeline.definitionSha256())));
    // the same source recompiled gives the same class file, and so the same digest: only the change counts
    Path same = JarCopies.replace(JOB_JAR, dir.resolve("same.jar"),
        Map.of(PERMUTATIONS, JarCopies.compile("org.fedbeam.model.Permutations", source)));
    assertThat(SiloPipeline.definitionSha256In(same), equalTo(SiloPipeline.definitionSha256()));
  }

  @Test
  void anotherStagingNameInArtifactsChangesTheDigest() throws Exception {
    String artifacts = "org/fedbeam/transforms/Artifacts.class";
    byte[] patched = JarCopies.patchString(JarCopies.entry(JOB_JAR, artifacts), ".tmp-", ".tmq-");
    Path jar = JarCopies.replace(JOB_JAR, dir.resolve("artifacts.jar"), Map.of(artifacts, patched));

    assertThat(SiloPipeline.definitionSha256In(jar), not(equalTo(SiloPipeline.definitionSha256())));
  }

  @Test
  void aChangeOffTheSiloPathKeepsTheDigest() throws Exception {
    String cli = "org/fedbeam/pipelines/cli/FedBeam.class";
    // a string constant of the command line (FedBeam.TRAIN_USAGE), off the silo's path
    String usage = "usage: fedbeam train --output DIR [flags]   a federated training simulation with baselines";
    byte[] patched = JarCopies.patchString(JarCopies.entry(JOB_JAR, cli), usage, usage.toUpperCase(java.util.Locale.ROOT));
    Path jar = JarCopies.replace(JOB_JAR, dir.resolve("cli.jar"), Map.of(cli, patched));

    assertThat(SiloPipeline.definitionSha256In(jar), equalTo(SiloPipeline.definitionSha256()));
  }

  @Test
  void anotherVersionOfALibraryChangesTheDigest() throws Exception {
    // Beam's version marker, in a package the silo's code calls (org.apache.beam.sdk: Pipeline)
    String marker = "org/apache/beam/sdk/sdk.properties";
    String properties = new String(JarCopies.entry(JOB_JAR, marker), StandardCharsets.ISO_8859_1);
    assertThat(properties, containsString("2.59.0"));
    Path beam = JarCopies.replace(JOB_JAR, dir.resolve("beam.jar"),
        Map.of(marker, properties.replace("2.59.0", "2.59.1").getBytes(StandardCharsets.ISO_8859_1)));
    // and one class of Smile's BLAS binding that the silo's code does not name itself
    String smile = "smile/math/blas/Layout.class";
    Path blas = JarCopies.replace(JOB_JAR, dir.resolve("smile.jar"),
        Map.of(smile, JarCopies.patchString(JarCopies.entry(JOB_JAR, smile), "Layout.java", "LayouT.java")));

    assertThat(SiloPipeline.definitionSha256In(beam), not(equalTo(SiloPipeline.definitionSha256())));
    assertThat(SiloPipeline.definitionSha256In(blas), not(equalTo(SiloPipeline.definitionSha256())));
  }

  @Test
  void aJarWithoutAClassOfTheSiloPathIsRefusedNamingIt() throws Exception {
    Path jar = dir.resolve("partial.jar");
    try (var in = new java.util.zip.ZipInputStream(Files.newInputStream(JOB_JAR));
        var out = new java.util.zip.ZipOutputStream(Files.newOutputStream(jar))) {
      for (java.util.zip.ZipEntry e; (e = in.getNextEntry()) != null; ) {
        if (!e.getName().equals(PERMUTATIONS)) {
          out.putNextEntry(new java.util.zip.ZipEntry(e.getName()));
          in.transferTo(out);
          out.closeEntry();
        }
      }
    }

    IllegalStateException e = assertThrows(IllegalStateException.class, () -> SiloPipeline.definitionSha256In(jar));

    assertThat(e.getMessage(), containsString("cannot read the bytecode of org.fedbeam.model.Permutations in " + jar));
  }

  /**
   * The class path without beam-runners-direct-java, which bundles its own, different copy of Beam's
   * core classes (same names, other bytes): with it, the order of the class path decides which Beam
   * code runs, and so, rightly, the digest.
   */
  @Test
  void theDigestIsTheSameInAnyOrderOfTheClassPath() throws Exception {
    List<URL> entries = new ArrayList<>(classPath().stream().filter(u -> !u.toString().contains("beam-runners-direct-java"))
        .toList());
    List<URL> reversed = new ArrayList<>(entries);
    Collections.reverse(reversed);

    List<String> forward = digestOver(entries);
    List<String> backward = digestOver(reversed);

    assertThat(difference(backward, forward), equalTo(List.of()));
    assertThat(forward, hasItem(org.hamcrest.Matchers.startsWith("class org.fedbeam.model.Permutations ")));
  }

  @Test
  void pipelineListShowsWhatTheDigestCoversAndHashesToIt() throws Exception {
    ByteArrayOutputStream printed = new ByteArrayOutputStream();

    int code = FedBeam.run(new String[] {"pipeline", "--list"}, new PrintStream(printed, true, StandardCharsets.UTF_8),
        System.err);

    assertThat(code, equalTo(0));
    List<String> lines = printed.toString(StandardCharsets.UTF_8).lines().toList();
    assertThat(lines.get(0), equalTo("fedbeam-silo-train version 1 sha256 " + SiloPipeline.definitionSha256()));
    assertThat(lines, hasItem(org.hamcrest.Matchers.startsWith("class org.fedbeam.model.Permutations ")));
    assertThat(lines, hasItem(org.hamcrest.Matchers.startsWith("package org.apache.beam.sdk.transforms ")));
    assertThat(lines, hasItem("#   org.apache.beam.sdk.transforms <- beam-sdks-java-core-2.59.0.jar"));
    // what a provider can check with grep -v '^#' | sha256sum
    String hashed = String.join("", lines.subList(1, lines.size()).stream().filter(l -> !l.startsWith("#"))
        .map(l -> l + "\n").toList());
    assertThat(java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256")
        .digest(hashed.getBytes(StandardCharsets.UTF_8))), equalTo(SiloPipeline.definitionSha256()));
  }

  @Test
  void pipelineRefusesAnUnknownFlag() {
    ByteArrayOutputStream err = new ByteArrayOutputStream();

    int code = FedBeam.run(new String[] {"pipeline", "--lst"}, System.out, new PrintStream(err, true, StandardCharsets.UTF_8));

    assertThat(code, equalTo(2));
    assertThat(err.toString(StandardCharsets.UTF_8), containsString("unknown flag --lst for pipeline; did you mean --list?"));
  }

  private static List<String> digestOver(List<URL> entries) throws Exception {
    try (URLClassLoader loader = new URLClassLoader(entries.toArray(URL[]::new), ClassLoader.getPlatformClassLoader())) {
      return SiloPipeline.digest(ClassSource.of(loader, entries.size() + " class path entries")).lines();
    }
  }

  /** The lines only one of {@code a} and {@code b} has (the digests are equal iff none, as both are sorted). */
  private static List<String> difference(List<String> a, List<String> b) {
    List<String> only = new ArrayList<>(a.stream().filter(l -> !b.contains(l)).map(l -> "only in the first: " + l).toList());
    b.stream().filter(l -> !a.contains(l)).map(l -> "only in the second: " + l).forEach(only::add);
    return only;
  }

  /** This JVM's class path entries (expanding a launcher's manifest-only jar). */
  private static List<URL> classPath() throws Exception {
    List<URL> urls = new ArrayList<>();
    for (String entry : System.getProperty("java.class.path").split(java.io.File.pathSeparator)) {
      Path path = Path.of(entry);
      urls.add(path.toUri().toURL());
      if (entry.endsWith(".jar") && Files.isRegularFile(path)) {
        try (java.util.jar.JarFile jar = new java.util.jar.JarFile(path.toFile())) {
          String more = jar.getManifest() == null ? null : jar.getManifest().getMainAttributes().getValue("Class-Path");
          if (more != null) {
            for (String ref : more.trim().split("\\s+")) {
              urls.add(new URL(path.toUri().toURL(), ref));
            }
          }
        }
      }
    }
    assertThat("class path entries", urls.size() > 50, equalTo(true));
    return urls;
  }
}
