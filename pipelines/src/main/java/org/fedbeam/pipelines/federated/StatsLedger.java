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
}
