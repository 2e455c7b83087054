package org.fedbeam.pipelines.federated;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Clock;
import java.time.LocalDate;
import java.time.ZoneOffset;
import org.fedbeam.pipelines.protocol.RefusalReason;
import org.fedbeam.pipelines.protocol.Rejected;
import org.fedbeam.pipelines.protocol.Signed;
import org.fedbeam.pipelines.rounds.RoundRecords;
import org.fedbeam.transforms.Artifacts;

/**
 * How many trainings the silo ran on the current UTC day, over all jobs, in its private state
 * ({@code state/quota.json}, rewritten atomically); the policy's {@code max_requests_per_day}
 * caps it. A retry answered from an earlier training does not count.
 */
final class DailyQuota {
  static final String FILE = "quota.json";

  private final String uri;
  private final Clock clock;

  DailyQuota(String stateDir, Clock clock) {
    this.uri = Artifacts.resolve(stateDir, FILE);
    this.clock = clock;
  }

  /** Refuses ({@link RefusalReason#QUOTA}) if today's trainings already reach {@code max}. */
  void check(int max) throws Rejected {
    long today = today();
    if (today >= max) {
      throw new Rejected(RefusalReason.QUOTA, "the silo trained " + today + " times today (UTC " + day()
          + "), max_requests_per_day " + max);
    }
  }

  /** Counts one training today. */
  void count() {
    ObjectNode n = Signed.JSON.createObjectNode();
    n.put("day", day());
    n.put("trainings", today() + 1);
    RoundRecords.write(uri, n);
  }

  /** The trainings counted on the current UTC day. */
  long today() {
    if (!Artifacts.exists(uri)) {
      return 0;
    }
    JsonNode n = RoundRecords.readJson(uri, "daily quota");
    if (!n.path("trainings").canConvertToLong() || !n.path("day").isTextual()) {
      throw new IllegalStateException("the daily quota " + uri + " is not {\"day\": ..., \"trainings\": ...}");
    }
    return n.path("day").asText().equals(day()) ? n.path("trainings").asLong() : 0;
  }

  private String day() {
    return LocalDate.now(clock.withZone(ZoneOffset.UTC)).toString();
  }
}
