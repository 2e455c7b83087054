package org.fedbeam.pipelines.digest;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.stream.Collectors;

/**
 * What a {@link PipelineDigest} covers, for a provider to read before approving it
 * ({@code fedbeam pipeline --list}): the lines the digest is the SHA-256 of, exactly, then comments
 * ({@code #}) saying where each third-party package was read from (its jar, whose name carries the
 * library and its version) and what is not covered. {@code grep -v '^#'} of the listing, hashed with
 * {@code sha256sum}, gives the digest.
 */
public final class DigestListing {
  private DigestListing() {}

  /** Prints the listing of {@code digest}. */
  public static void print(PipelineDigest digest, PrintStream out) {
    out.println("# the SHA-256 of the following lines without '#' is the digest");
    digest.lines().forEach(out::println);
    out.println("# third-party packages, read from:");
    digest.packages().forEach((name, lib) -> out.println("#   " + name + " <- " + lib.origins().stream()
        .map(o -> o.endsWith(".jar") ? Path.of(o).getFileName().toString() : o).collect(Collectors.joining(", "))));
    out.println("# not covered: the JDK (" + System.getProperty("java.vm.name") + " "
        + System.getProperty("java.runtime.version") + " here), and what the Flink cluster provides on its own"
        + " class path (packages " + String.join(" ", PipelineDigest.PLATFORM) + "); the silo pipeline names these"
        + " of them:");
    digest.platform().forEach(name -> out.println("#   " + name));
  }
}
