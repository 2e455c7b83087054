package org.fedbeam.pipelines.cli;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.not;

import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.fedbeam.transforms.Artifacts;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The reproducibility promise (README "Reproducibility"): with the BLAS kernel pinned, a small
 * reference run on Fashion-MNIST gives the model hash pinned here, on every machine of this kind.
 * A change of kernel, of OpenBLAS, of Smile, of the data package or of FedBeam's arithmetic
 * changes the hash and fails this test: such a change must say so and pin the new hash.
 */
class ReproducibilityTest {
  /** The kernel the hash was made with: the tests' pin (pom.xml, profile pin-blas-kernel) and the launcher's. */
  static final String KERNEL = "Haswell";
  /** The reference run's final model (2 silos, 2 rounds, 784-16-10), made with {@link #KERNEL}. */
  static final String PINNED_SHA256 = "7e27af3742488352f8cd5067b560f2a3b269854e8c35f2c279658536e3484cbb";

  @TempDir
  Path dir;

  @Test
  void theReferenceRunGivesThePinnedHash() throws Exception {
    assertThat("the pinned hash was made with OPENBLAS_CORETYPE=" + KERNEL + "; this JVM runs with "
        + System.getenv("OPENBLAS_CORETYPE") + " (unset it or set " + KERNEL + ")", System.getenv("OPENBLAS_CORETYPE"),
        equalTo(KERNEL));
    Path out = dir.resolve("reference");
    Path log = dir.resolve("reference.log");
    Process run = start(out, log, KERNEL);
    assertThat(Files.readString(log), run.exitValue(), equalTo(0));
    assertThat("the reference run's final model; if a kernel, library or FedBeam change altered it on purpose, pin"
        + " the new hash and say why", sha(out), equalTo(PINNED_SHA256));
  }

  @Test
  void anotherKernelGivesAnotherModelSoThePinIsWhatKeepsThePromise() throws Exception {
    // Sandybridge: AVX without FMA, which every CPU that runs the Haswell kernel also runs
    Path out = dir.resolve("sandybridge");
    Path log = dir.resolve("sandybridge.log");
    Process run = start(out, log, "Sandybridge");
    assertThat(Files.readString(log), run.exitValue(), equalTo(0));
    assertThat(Files.readString(log), containsString("\"status\":\"finished\""));
    assertThat(sha(out), not(equalTo(PINNED_SHA256)));
  }

  /** The reference run in a child JVM whose OpenBLAS loads with {@code kernel}. */
  private static Process start(Path out, Path log, String kernel) throws Exception {
    List<String> command = new ArrayList<>();
    command.add(ProcessHandle.current().info().command().orElse("java"));
    for (String arg : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
      if (arg.startsWith("--add-") || arg.startsWith("-Xm")) {
        command.add(arg);
      }
    }
    command.add("-Djava.io.tmpdir=" + Files.createDirectories(out.resolveSibling(out.getFileName() + "-tmp")));
    command.addAll(List.of("-cp", System.getProperty("java.class.path"), FedBeam.class.getName(), "train", "--output",
        out.toString(), "--silos", "2", "--rounds", "2", "--hidden", "16", "--epochs", "1", "--batch-size", "64",
        "--no-baselines", "--seed", "42", "--runner", "DirectRunner"));
    ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
    builder.environment().put("OPENBLAS_CORETYPE", kernel);
    Process p = builder.start();
    if (!p.waitFor(300, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new AssertionError("the reference run took over 300 s:\n" + Files.readString(log, StandardCharsets.UTF_8));
    }
    return p;
  }

  private static String sha(Path out) throws Exception {
    return Artifacts.sha256Hex(Files.readAllBytes(out.resolve("models/round-0002.fbm")));
  }
}
