package org.fedbeam.pipelines.federated;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.fedbeam.pipelines.protocol.Exchange;
import org.fedbeam.pipelines.protocol.RefusalReason;
import org.fedbeam.pipelines.protocol.Rejected;
import org.fedbeam.pipelines.protocol.Signed;
import org.fedbeam.pipelines.rounds.RoundRecords;
import org.fedbeam.transforms.Artifacts;

/**
 * The silo agent's record of one statistics job ({@code state/jobs/JOB/stats.json}, private): the
 * nonces taken up and where, the slots answered, and each query released (by the SHA-256 of its
 * canonical JSON: where, its outcome, what it cost). It guarantees that a query is computed at most
 * once per job: a repeat (a retry, or a curious orchestrator asking again to average fresh noise) gets
 * the release already made, never fresh noise nor a second charge; and that a nonce answers one slot.
 */
final class StatsLedger {
  private final String stateDir;

  StatsLedger(String stateDir) {
    this.stateDir = stateDir;
  }

  private String uri(String jobId) {
    return Artifacts.resolve(Artifacts.resolve(Artifacts.resolve(stateDir, "jobs"), jobId), "stats.json");
  }

  /** The job's record (empty for a job not seen). */
  ObjectNode read(String jobId) {
    String uri = uri(jobId);
    Artifacts.requireNoLinks(stateDir, uri);
    if (!Artifacts.exists(uri)) {
      ObjectNode n = Signed.JSON.createObjectNode();
      n.putObject("nonces");
      n.putArray("answered");
      n.putObject("releases");
      return n;
    }
    JsonNode n = RoundRecords.readJson(uri, "stats job state");
    if (!(n instanceof ObjectNode o) || !n.path("nonces").isObject() || !n.path("releases").isObject()) {
      throw new IllegalStateException("stats job state " + uri + " is not a stats job record");
    }
    return o;
  }

  void write(String jobId, ObjectNode state) {
    Artifacts.requireNoLinks(stateDir, uri(jobId));
    RoundRecords.write(uri(jobId), state);
  }

  /** Whether the slot was answered (an unreadable record: no, and the answerer refuses). */
  boolean answeredBefore(Exchange.Slot slot) {
    try {
      for (JsonNode a : read(slot.jobId()).path("answered")) {
        if (a.asText().equals(JobLedger.place(slot))) {
          return true;
        }
      }
      return false;
    } catch (RuntimeException e) {
      return false;
    }
  }

  /** Refuses ({@link RefusalReason#REPLAY}) a nonce the job's record took up at another place. */
  static void checkReplay(ObjectNode state, String nonce, String place) throws Rejected {
    JsonNode seen = state.path("nonces").get(nonce);
    if (seen != null && !seen.asText().equals(place)) {
      throw new Rejected(RefusalReason.REPLAY, "replayed stats request: its nonce was used before, at " + seen.asText());
    }
  }

  /** The record of a query's release in this job, or null. */
  static ObjectNode release(ObjectNode state, String querySha) {
    JsonNode r = state.path("releases").get(querySha);
    return r instanceof ObjectNode o ? o : null;
  }

  /** How many queries this job released (or tried to). */
  static int releases(ObjectNode state) {
    return state.path("releases").size();
  }

  /** Records a release under way: its place and its cost (NaN: no noise). */
  static ObjectNode startRelease(ObjectNode state, String querySha, String place, double epsilonAfter) {
    ObjectNode r = ((ObjectNode) state.get("releases")).putObject(querySha);
    r.put("place", place);
    if (!Double.isNaN(epsilonAfter)) {
      r.put("epsilon_after", epsilonAfter);
    }
    return r;
  }

  /** Records the nonce taken up at its place, and the place as answered. */
  static void answered(ObjectNode state, String nonce, String place) {
    ((ObjectNode) state.get("nonces")).put(nonce, place);
    state.withArray("answered").add(place);
  }

  /**
   * Refuses ({@link RefusalReason#OUTSIDE_POLICY}) an exact histogram of a column on other bins than the
   * silo already released that column on, for the same data (the table's SHA-256), in any job; else
   * records the query's bins. Two exact histograms of one column on shifted bins would give, by
   * difference, the count of a sliver narrower than any bin (one record, say) that suppression never saw:
   * so exact counts of a column come on one grid, and other grids need noise (whose every release is
   * charged to the budget). The record ({@code state/stats-grids.json}, private) is silo-wide, across
   * jobs and submitters; the provider may delete it when it means to start afresh.
   */
  static void checkGrid(String stateDir, String tableSha, org.fedbeam.stats.StatsQuery q) throws Rejected {
    if (q.noise().on() || q.histograms().isEmpty()) {
      return;
    }
    String uri = Artifacts.resolve(stateDir, "stats-grids.json");
    Artifacts.requireNoLinks(stateDir, uri);
    ObjectNode all = Artifacts.exists(uri) && RoundRecords.readJson(uri, "stats grids") instanceof ObjectNode o ? o
        : Signed.JSON.createObjectNode();
    ObjectNode grids = all.path(tableSha) instanceof ObjectNode g ? g : all.putObject(tableSha);
    for (var e : new java.util.TreeMap<>(q.histograms()).entrySet()) {
      String grid = e.getValue().lo() + ":" + e.getValue().hi() + ":" + e.getValue().bins();
      JsonNode before = grids.get(e.getKey());
      if (before != null && !before.asText().equals(grid)) {
        throw new Rejected(RefusalReason.OUTSIDE_POLICY, "column '" + e.getKey() + "': an exact histogram was released"
            + " on the bins " + before.asText() + " (lo:hi:bins) of this data; other bins (" + grid + ") could be"
            + " differenced against them: ask the same bins, or with noise");
      }
    }
    for (var e : q.histograms().entrySet()) {
      grids.put(e.getKey(), e.getValue().lo() + ":" + e.getValue().hi() + ":" + e.getValue().bins());
    }
    RoundRecords.write(uri, all);
  }
}
