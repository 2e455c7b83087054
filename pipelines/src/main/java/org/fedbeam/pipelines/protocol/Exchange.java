package org.fedbeam.pipelines.protocol;

import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.fedbeam.transforms.Artifacts;

/**
 * The layout of one silo's exchange area, the only place both parties write:
 *
 * <pre>
 *   requests/JOB/r0003-a1-global.fbm   the global model of round 3, attempt 1 (orchestrator)
 *   requests/JOB/r0003-a1.json         the signed round request, written after the model (orchestrator)
 *   answers/JOB/r0003-a1-update.fbm    the update's weights (silo)
 *   answers/JOB/r0003-a1.json          the signed update or refusal, written after the weights (silo)
 *   rejected/requests_JOB_r0003-a1.json.TIME-RANDOM
 *                                      what the silo moved aside unanswered: unsigned, unparsable or
 *                                      misnamed files, and symbolic links (silo)
 * </pre>
 *
 * Every file is written atomically, and the signed message is written last: its presence means
 * the exchange holds the whole message.
 *
 * <p>Anyone who can write to the exchange may plant symbolic links in it. The instance methods
 * here follow none, for files and for folders, at any level below {@link #base()}: a request
 * reached through a link is moved aside unread, a global model reached through one is refused, and
 * a link on the way to an answer is moved aside before the answer is written (the link itself,
 * never what it points to). azfs has no links.
 */
public record Exchange(String base) {
  private static final Pattern REQUEST = Pattern.compile(".*/requests/([^/]+)/r(\\d{4,})-a(\\d+)\\.json");
  /** The names {@link #requestGlob()} matches. */
  private static final Pattern REQUEST_LIKE = Pattern.compile("r.*-a.*\\.json");

  /** Where a request sits: its job, round and attempt, from its path. */
  public record Slot(String jobId, int round, int attempt) {}

  public String request(Slot s) {
    return Artifacts.resolve(Artifacts.resolve(Artifacts.resolve(base, "requests"), s.jobId()), name(s) + ".json");
  }

  public String globalModel(Slot s) {
    return Artifacts.resolve(Artifacts.resolve(Artifacts.resolve(base, "requests"), s.jobId()), name(s) + "-global.fbm");
  }

  public String answer(Slot s) {
    return Artifacts.resolve(Artifacts.resolve(Artifacts.resolve(base, "answers"), s.jobId()), name(s) + ".json");
  }

  public String updateWeights(Slot s) {
    return Artifacts.resolve(Artifacts.resolve(Artifacts.resolve(base, "answers"), s.jobId()), name(s) + "-update.fbm");
  }

  /** The glob that lists every request file. */
  public String requestGlob() {
    return Artifacts.resolve(Artifacts.resolve(base, "requests"), "*") + "/r*-a*.json";
  }

  /** Where files are moved aside. */
  public String rejected() {
    return Artifacts.resolve(base, "rejected");
  }

  /** One look at {@code requests/}: the request files to open, and what to move aside unread. */
  public record Listing(List<String> requests, List<String> suspects) {}

  /**
   * Lists the request files, in order. A symbolic link at {@code requests/}, at a job's folder or
   * at a request's name, and a file with a request-like name that is not a request's canonical
   * name, are {@code suspects}: never listed into, never read.
   */
  public Listing list() {
    List<String> requests = new ArrayList<>();
    List<String> suspects = new ArrayList<>();
    String requestsDir = Artifacts.resolve(base, "requests");
    Path local = Artifacts.localPath(requestsDir);
    if (local == null) {
      for (String uri : Artifacts.list(requestGlob())) {
        (slotOf(uri) == null ? suspects : requests).add(uri);
      }
      return new Listing(requests, suspects);
    }
    try {
      Artifacts.requireNoLinks(base, requestsDir);
    } catch (Artifacts.LinkFound e) {
      return new Listing(requests, List.of(e.link()));
    }
    if (!Files.isDirectory(local, LinkOption.NOFOLLOW_LINKS)) {
      return new Listing(requests, suspects);
    }
    for (Path job : sorted(local)) {
      String jobUri = Artifacts.resolve(requestsDir, job.getFileName().toString());
      BasicFileAttributes a = attributes(job);
      if (a == null) {
        continue;
      }
      if (a.isSymbolicLink()) {
        suspects.add(jobUri);
        continue;
      }
      if (!a.isDirectory()) {
        continue;
      }
      for (Path file : sorted(job)) {
        String name = file.getFileName().toString();
        BasicFileAttributes f = attributes(file);
        if (f == null || !REQUEST_LIKE.matcher(name).matches()) {
          continue;
        }
        String uri = Artifacts.resolve(jobUri, name);
        (f.isRegularFile() && slotOf(uri) != null ? requests : suspects).add(uri);
      }
    }
    return new Listing(requests, suspects);
  }

  /**
   * Reads a file of the exchange, through no link and only if it is no larger than {@code limit}
   * bytes; whatever is wrong (a link, missing, too large, unreadable) is refused with the one
   * {@code code}, the detail only in the refusal's message (for the silo's own audit log).
   */
  public byte[] read(String uri, String what, long limit, RefusalReason code) throws Rejected {
    try {
      Artifacts.requireNoLinks(base, uri);
    } catch (IllegalArgumentException e) {
      throw new Rejected(code, what + ": " + e.getMessage());
    }
    Path local = Artifacts.localPath(uri);
    if (local != null) {
      // a named pipe or a device would block or never end: only a regular file is opened, and never read past limit
      BasicFileAttributes a = attributes(local);
      if (a != null && !a.isRegularFile()) {
        throw new Rejected(code, what + ": not a regular file: " + uri);
      }
      if (a != null) {
        return readLocal(local, uri, what, limit, code);
      }
    }
    try {
      return readAtMost(uri, what, limit);
    } catch (Rejected e) {
      throw new Rejected(code, e.getMessage());
    }
  }

  /**
   * As {@link #read(String, String, long, RefusalReason)}, for the orchestrator, whose rejections
   * stay on its side: a link on the way, a special file (a named pipe would block), a missing,
   * oversize or unreadable file is a {@link Rejected} that says which.
   */
  public byte[] readNoLinks(String uri, String what, long limit) throws Rejected {
    try {
      return read(uri, what, limit, RefusalReason.INVALID_REQUEST);
    } catch (Rejected e) {
      throw new Rejected("unusable " + what, e.detail());
    }
  }

  /** At most {@code limit} bytes of a local file, refused if it holds more (it may grow after it was looked at). */
  private static byte[] readLocal(Path file, String uri, String what, long limit, RefusalReason code) throws Rejected {
    try (java.io.InputStream in = Files.newInputStream(file, LinkOption.NOFOLLOW_LINKS)) {
      byte[] bytes = in.readNBytes((int) Math.min(Integer.MAX_VALUE - 8, limit + 1));
      if (bytes.length > limit) {
        throw new Rejected(code, what + " is larger than any valid one: more than " + limit + " bytes at " + uri);
      }
      return bytes;
    } catch (java.nio.file.NoSuchFileException e) {
      throw new Rejected(code, what + " is missing: " + uri);
    } catch (java.io.IOException e) {
      throw new Rejected(code, "unreadable " + what + ": " + e.getMessage());
    }
  }

  /** Whether a regular file (not a link) is at the answer's place. */
  public boolean hasAnswer(Slot s) {
    String uri = answer(s);
    Path local = Artifacts.localPath(uri);
    if (local == null) {
      return Artifacts.exists(uri);
    }
    try {
      Artifacts.requireNoLinks(base, uri);
    } catch (IllegalArgumentException e) {
      return false;
    }
    return Files.isRegularFile(local, LinkOption.NOFOLLOW_LINKS);
  }

  /** Writes atomically at {@code uri}, having moved aside every link on the way to it (and at it). */
  public void write(String uri, byte[] bytes) {
    clearLinks(uri);
    Artifacts.writeAtomically(uri, bytes);
  }

  /** Deletes what is at {@code uri}, having moved aside every link on the way to it (and at it). */
  public void delete(String uri) {
    clearLinks(uri);
    Artifacts.deleteIfExists(uri);
  }

  private void clearLinks(String uri) {
    for (int moved = 0; ; moved++) {
      try {
        Artifacts.requireNoLinks(base, uri);
        return;
      } catch (Artifacts.LinkFound e) {
        if (moved > 64) {
          throw e;
        }
        moveAside(e.link());
      }
    }
  }

  /**
   * Moves {@code uri} (a file, a folder or a link: the link itself) to {@link #rejected()} under a
   * new name that says where it was; returns that name. Nothing there is read as a request.
   */
  public String moveAside(String uri) {
    String prefix = base.endsWith("/") ? base : base + "/";
    String relative = uri.startsWith(prefix) ? uri.substring(prefix.length()) : Path.of(uri).getFileName().toString();
    String target = Artifacts.resolve(rejected(), relative.replace('/', '_').replace('\\', '_') + "."
        + System.currentTimeMillis() + "-" + Messages.newNonce().substring(0, 8));
    Path rejectedDir = Artifacts.localPath(rejected());
    if (rejectedDir != null && Files.isSymbolicLink(rejectedDir)) {
      try {
        Files.delete(rejectedDir); // the link only
      } catch (java.io.IOException e) {
        throw new java.io.UncheckedIOException("cannot remove the link " + rejectedDir + ": " + e.getMessage(), e);
      }
    }
    Artifacts.move(uri, target);
    return target;
  }

  private static List<Path> sorted(Path dir) {
    List<Path> all = new ArrayList<>();
    try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir)) {
      entries.forEach(all::add);
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException("cannot list " + dir + ": " + e.getMessage(), e);
    }
    all.sort(null);
    return all;
  }

  private static BasicFileAttributes attributes(Path p) {
    try {
      return Files.readAttributes(p, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
    } catch (java.io.IOException e) {
      return null; // gone since it was listed
    }
  }

  /** The slot of a request file, or null if the path is not a request's. */
  public static Slot slotOf(String requestUri) {
    Matcher m = REQUEST.matcher(requestUri.replace('\\', '/'));
    if (!m.matches()) {
      return null;
    }
    try {
      Slot slot = new Slot(Messages.requireId(m.group(1), "job id"), Integer.parseInt(m.group(2)), Integer.parseInt(m.group(3)));
      // only the canonical spelling: r00005-a1 or r0005-a01 would otherwise be a second name for one slot
      String file = requestUri.substring(requestUri.replace('\\', '/').lastIndexOf('/') + 1);
      return file.equals(name(slot) + ".json") && slot.round() >= 1 && slot.attempt() >= 1 ? slot : null;
    } catch (IllegalArgumentException e) {
      return null;
    }
  }

  /**
   * Reads a file of the exchange only if it is no larger than {@code limit} bytes: the other party
   * writes there, and nothing it writes is read whole before its size is known to be sane.
   */
  static byte[] readAtMost(String uri, String what, long limit) throws Rejected {
    org.apache.beam.sdk.io.fs.MatchResult.Metadata m;
    try {
      m = Artifacts.metadataOrNull(uri);
    } catch (RuntimeException e) {
      throw new Rejected("unreadable " + what, e.getMessage());
    }
    if (m == null) {
      throw new Rejected(what + " is missing", uri);
    }
    if (m.sizeBytes() > limit) {
      throw new Rejected(what + " is larger than any valid one", m.sizeBytes() + " bytes > " + limit + " at " + uri);
    }
    try {
      return Artifacts.read(uri, what);
    } catch (RuntimeException e) {
      throw new Rejected("unreadable " + what, e.getMessage());
    }
  }

  /** The most bytes a model file of {@code spec} can take: its values and a generous allowance for the header. */
  public static long modelFileLimit(org.fedbeam.model.ModelSpec spec) {
    return 4L * spec.parameterCount() + 4096;
  }

  private static String name(Slot s) {
    return String.format("r%04d-a%d", s.round(), s.attempt());
  }
}
