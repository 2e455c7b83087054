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
      return new Slot(Messages.requireId(m.group(1), "job id"), Integer.parseInt(m.group(2)), Integer.parseInt(m.group(3)));
    } catch (IllegalArgumentException e) {
      return null;
    }
  }

  private static String name(Slot s) {
    return String.format("r%04d-a%d", s.round(), s.attempt());
  }
}
