package org.fedbeam.transforms;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.util.List;
import java.util.UUID;
import org.apache.beam.sdk.io.FileSystems;
import org.apache.beam.sdk.io.fs.MatchResult;
import org.apache.beam.sdk.io.fs.MoveOptions;
import org.apache.beam.sdk.io.fs.ResourceId;

/**
 * Reads and writes whole artifacts (models, shards, round records) at URIs through Beam's
 * {@link FileSystems}, so a local folder and {@code azfs://} storage behave the same.
 *
 * <p>Writes are atomic for readers: bytes go to a uniquely named temporary sibling first, which is
 * then renamed onto the target. A crash mid-write leaves at most a {@code .tmp-} file, never a
 * partial artifact under the real name.
 */
public final class Artifacts {
  private static final String TEMP_MARK = ".tmp-";

  private Artifacts() {}

  /** Writes {@code bytes} to {@code uri}, replacing what was there, atomically for readers. */
  public static void writeAtomically(String uri, byte[] bytes) {
    ResourceId target = FileSystems.matchNewResource(uri, false);
    String tempName = target.getFilename() + TEMP_MARK + UUID.randomUUID();
    ResourceId temp = target.getCurrentDirectory().resolve(tempName,
        org.apache.beam.sdk.io.fs.ResolveOptions.StandardResolveOptions.RESOLVE_FILE);
    try {
      try (OutputStream out = Channels.newOutputStream(FileSystems.create(temp, "application/octet-stream"))) {
        out.write(bytes);
      }
      FileSystems.rename(List.of(temp), List.of(target), MoveOptions.StandardMoveOptions.IGNORE_MISSING_FILES);
    } catch (IOException e) {
      deleteQuietly(temp);
      throw new java.io.UncheckedIOException("cannot write " + uri + ": " + e.getMessage(), e);
    }
  }

  /** The whole content at {@code uri}; {@code what} says what it is, for the error message. */
  public static byte[] read(String uri, String what) {
    requireLiteral(uri);
    try {
      MatchResult.Metadata metadata = FileSystems.matchSingleFileSpec(uri);
      try (InputStream in = Channels.newInputStream(FileSystems.open(metadata.resourceId()))) {
        return in.readAllBytes();
      }
    } catch (FileNotFoundException e) {
      throw new java.io.UncheckedIOException(what + " " + uri + " does not exist", e);
    } catch (IOException e) {
      throw new java.io.UncheckedIOException("cannot read " + what + " " + uri + ": " + e.getMessage(), e);
    }
  }

  /** Size and modification time, or null when nothing exists at {@code uri}. */
  public static MatchResult.Metadata metadataOrNull(String uri) {
    requireLiteral(uri);
    try {
      return FileSystems.matchSingleFileSpec(uri);
    } catch (FileNotFoundException e) {
      return null;
    } catch (IOException e) {
      throw new java.io.UncheckedIOException("cannot look up " + uri + ": " + e.getMessage(), e);
    }
  }

  public static boolean exists(String uri) {
    return metadataOrNull(uri) != null;
  }

  /** The URI of {@code name} inside the folder {@code directoryUri}. */
  public static String resolve(String directoryUri, String name) {
    String base = directoryUri.endsWith("/") ? directoryUri : directoryUri + "/";
    return base + name;
  }

  /** Lookups go through FileSystems' matching, so a name with glob characters could match another file. */
  private static void requireLiteral(String uri) {
    int slash = uri.lastIndexOf('/');
    String name = uri.substring(slash + 1);
    if (name.matches(".*[*?\\[\\]{}].*")) {
      throw new IllegalArgumentException("artifact name " + uri + " contains a glob character (* ? [ ] { }), which is not allowed");
    }
  }

  private static void deleteQuietly(ResourceId temp) {
    try {
      FileSystems.delete(List.of(temp), MoveOptions.StandardMoveOptions.IGNORE_MISSING_FILES);
    } catch (IOException ignored) {
      // the temporary name is never read as an artifact; a leftover is harmless
    }
  }
}
