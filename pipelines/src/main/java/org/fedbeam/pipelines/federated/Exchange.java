package org.fedbeam.pipelines.federated;

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
 * </pre>
 *
 * Every file is written atomically, and the signed message is written last: its presence means
 * the exchange holds the whole message.
 */
public record Exchange(String base) {
  private static final Pattern REQUEST = Pattern.compile(".*/requests/([^/]+)/r(\\d{4,})-a(\\d+)\\.json");

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
  static long modelFileLimit(org.fedbeam.model.ModelSpec spec) {
    return 4L * spec.parameterCount() + 4096;
  }

  private static String name(Slot s) {
    return String.format("r%04d-a%d", s.round(), s.attempt());
  }
}
