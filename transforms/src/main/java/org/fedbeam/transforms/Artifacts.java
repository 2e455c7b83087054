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
 * {@link FileSystems}, so a local folder and {@code azfs://ACCOUNT/CONTAINER/path} storage behave
 * the same. For azfs, the pipeline options must carry the account (see {@link
 * org.fedbeam.transforms.storage.ConnectionStringClientFactory#configure}) and the container must
 * exist ({@link org.fedbeam.transforms.storage.AzureContainers#ensure}).
 *
 * <p>Writes are atomic for readers: bytes go to a uniquely named temporary sibling
 * ({@code NAME.tmp-UUID}) first, which is then renamed onto the target. A crash mid-write leaves at
 * most a {@code .tmp-} file, never a partial artifact under the real name; readers look up exact
 * names only, so a leftover temporary file is never taken for the artifact.
 *
 * <p>Why this holds on each file system:
 * <ul>
 *   <li>Local files: the rename is {@code Files.move} with {@code ATOMIC_MOVE}, replacing the target.
 *   <li>{@code azfs://} (Beam's {@code AzureBlobStoreFileSystem}, Beam 2.59): there is no rename in
 *       Blob storage; Beam renames by a server-side copy (Copy Blob From URL, synchronous) of the
 *       temporary blob onto the target, then deletes the temporary blob. Both steps write a blob as a
 *       whole: the temporary blob appears when the output stream is closed, in one Put Blob or, when
 *       large, one Put Block List over blocks staged before (an interrupted upload leaves no blob, or
 *       uncommitted blocks under the temporary name), and the copy replaces the target in one
 *       commit, so a reader sees the old content or the new, never a mix. A reader already streaming the old blob while it is
 *       replaced gets an error, not mixed bytes: the Azure SDK's blob input stream pins the ETag it
 *       started with. A crash between copy and delete leaves a complete target plus a harmless
 *       {@code .tmp-} blob. Copy Blob From URL takes sources of at most 256 MiB, so larger
 *       artifacts are refused on azfs before anything is written.
 * </ul>
 */
public final class Artifacts {
  private static final String TEMP_MARK = ".tmp-";
  /** The largest source Azure's synchronous Copy Blob From URL accepts, which Beam's azfs rename uses. */
  static final long AZFS_MAX_ARTIFACT_BYTES = 256L * 1024 * 1024;

  private Artifacts() {}

  /**
   * Writes {@code bytes} to {@code uri}, replacing what was there, atomically for readers.
   *
   * @throws java.io.UncheckedIOException naming {@code uri} if the write fails; the target then holds
   *     its old content or, if only the clean-up of the temporary file failed, the new one
   * @throws IllegalArgumentException if {@code uri} is on azfs and {@code bytes} exceeds 256 MiB
   */
  public static void writeAtomically(String uri, byte[] bytes) {
    ResourceId target = FileSystems.matchNewResource(uri, false);
    requireRenamable(target.getScheme(), bytes.length, uri);
    String tempName = target.getFilename() + TEMP_MARK + UUID.randomUUID();
    ResourceId temp = target.getCurrentDirectory().resolve(tempName,
        org.apache.beam.sdk.io.fs.ResolveOptions.StandardResolveOptions.RESOLVE_FILE);
    try {
      try (OutputStream out = Channels.newOutputStream(FileSystems.create(temp, "application/octet-stream"))) {
        out.write(bytes);
      }
      // No move options: every file system here refuses them and FileSystems would then match the
      // source first (one more round trip on azfs); a missing temporary file must fail the write.
      FileSystems.rename(List.of(temp), List.of(target));
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

  /** Fails before any I/O when the file system could not rename an artifact of {@code length} bytes. */
  static void requireRenamable(String scheme, long length, String uri) {
    if ("azfs".equals(scheme) && length > AZFS_MAX_ARTIFACT_BYTES) {
      throw new IllegalArgumentException("artifact " + uri + " is " + length + " bytes; azfs:// writes are renamed by "
          + "Azure's Copy Blob From URL, which takes at most " + AZFS_MAX_ARTIFACT_BYTES + " bytes (256 MiB)");
    }
  }

  /** Lookups go through FileSystems' matching, so a name with glob characters could match another file. */
  private static void requireLiteral(String uri) {
    int slash = uri.lastIndexOf('/');
    String name = uri.substring(slash + 1);
    if (name.matches(".*[*?\\[\\]{}].*")) {
      throw new IllegalArgumentException("artifact name " + uri + " contains a glob character (* ? [ ] { }), which is not allowed");
    }
  }

  /** Deletes what is at {@code uri}, if anything; fails naming the URI if it cannot. */
  public static void deleteIfExists(String uri) {
    requireLiteral(uri);
    try {
      FileSystems.delete(List.of(FileSystems.matchNewResource(uri, false)),
          MoveOptions.StandardMoveOptions.IGNORE_MISSING_FILES);
    } catch (IOException e) {
      throw new java.io.UncheckedIOException("cannot delete " + uri + ": " + e.getMessage(), e);
    }
  }

  /**
   * Fails, naming the path, if {@code uri} reaches through or ends at a symbolic link below
   * {@code rootUri}, has a "." or ".." segment, or does not lie under the root (also once links
   * above the root are resolved). The root itself, chosen by the party that owns it, may be reached
   * through a link. Only local paths are checked: azfs has no links.
   *
   * <p>Callers check right before each operation; a link planted between the check and the
   * operation is not caught (Java has no openat), which is why the exchange's writes also rename
   * onto their target (a rename replaces a link at the target, it does not write through it).
   */
  public static void requireNoLinks(String rootUri, String uri) {
    java.nio.file.Path path = localPath(uri);
    java.nio.file.Path root = localPath(rootUri);
    if (path == null || root == null) {
      return;
    }
    root = root.toAbsolutePath().normalize();
    if (!java.nio.file.Files.exists(root)) {
      return; // nothing below it exists yet
    }
    java.nio.file.Path abs = path.toAbsolutePath();
    if (!abs.normalize().startsWith(root)) {
      throw new IllegalArgumentException(uri + " is not under " + rootUri);
    }
    // the segments as written (relativize would normalise "a/../b" away)
    if (abs.equals(root)) {
      return;
    }
    java.nio.file.Path below = abs.startsWith(root) ? abs.subpath(root.getNameCount(), abs.getNameCount()) : abs;
    for (java.nio.file.Path name : below) {
      String segment = name.toString();
      if (segment.equals(".") || segment.equals("..")) {
        throw new IllegalArgumentException(uri + " has a '" + segment + "' segment, which is not allowed below " + rootUri);
      }
    }
    java.nio.file.Path current = root;
    for (java.nio.file.Path name : root.relativize(abs.normalize())) {
      String segment = name.toString();
      current = current.resolve(segment);
      if (java.nio.file.Files.isSymbolicLink(current)) {
        throw new LinkFound(current.toString(), uri);
      }
      if (!java.nio.file.Files.exists(current, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
        break;
      }
    }
    try {
      java.nio.file.Path realRoot = root.toRealPath();
      java.nio.file.Path existing = current;
      while (existing != null && !java.nio.file.Files.exists(existing, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
        existing = existing.getParent();
      }
      if (existing != null && existing.startsWith(root) && !existing.toRealPath().startsWith(realRoot)) {
        throw new IllegalArgumentException(uri + " resolves outside " + rootUri);
      }
    } catch (IOException e) {
      throw new java.io.UncheckedIOException("cannot check " + uri + " for links: " + e.getMessage(), e);
    }
  }

  /** The symbolic link {@link #requireNoLinks} found: {@link #link()} is where it sits. */
  public static final class LinkFound extends IllegalArgumentException {
    private final String link;

    LinkFound(String link, String uri) {
      super(link + " is a symbolic link; no link is followed there (reaching " + uri + ")");
      this.link = link;
    }

    /** The path of the link itself. */
    public String link() {
      return link;
    }
  }

  /** The local path of {@code uri}, or null if it is on another file system (azfs: no links). */
  public static java.nio.file.Path localPath(String uri) {
    if (uri.startsWith("file:")) {
      return java.nio.file.Path.of(java.net.URI.create(uri));
    }
    return uri.matches("^[A-Za-z][A-Za-z0-9+.-]*://.*") ? null : java.nio.file.Path.of(uri);
  }

  /**
   * Moves what is at {@code from} to {@code to} (a new name). A local symbolic link is moved
   * itself, never what it points to; on azfs the blob is copied and then deleted (Beam's rename).
   */
  public static void move(String from, String to) {
    requireLiteral(from);
    requireLiteral(to);
    java.nio.file.Path source = localPath(from);
    try {
      if (source != null) {
        java.nio.file.Path target = localPath(to);
        java.nio.file.Files.createDirectories(target.getParent());
        java.nio.file.Files.move(source, target, java.nio.file.LinkOption.NOFOLLOW_LINKS);
      } else {
        FileSystems.rename(List.of(FileSystems.matchNewResource(from, false)), List.of(FileSystems.matchNewResource(to, false)));
      }
    } catch (IOException e) {
      throw new java.io.UncheckedIOException("cannot move " + from + " to " + to + ": " + e.getMessage(), e);
    }
  }

  private static void deleteQuietly(ResourceId temp) {
    try {
      FileSystems.delete(List.of(temp), MoveOptions.StandardMoveOptions.IGNORE_MISSING_FILES);
    } catch (IOException ignored) {
      // the temporary name is never read as an artifact; a leftover is harmless
    }
  }

  /** The SHA-256 of {@code bytes} as 64 lowercase hex digits. */
  public static String sha256Hex(byte[] bytes) {
    try {
      return java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(bytes));
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException("this JVM has no SHA-256", e);
    }
  }

  /** The URIs that match {@code glob}, sorted; none if nothing matches or the folder does not exist. */
  public static List<String> list(String glob) {
    List<String> out = new java.util.ArrayList<>();
    try {
      MatchResult result = FileSystems.match(glob);
      if (result.status() == MatchResult.Status.OK) {
        for (MatchResult.Metadata m : result.metadata()) {
          out.add(m.resourceId().toString());
        }
      }
    } catch (FileNotFoundException e) {
      return out;
    } catch (IOException e) {
      throw new java.io.UncheckedIOException("cannot list " + glob + ": " + e.getMessage(), e);
    }
    out.sort(null);
    return out;
  }
}
