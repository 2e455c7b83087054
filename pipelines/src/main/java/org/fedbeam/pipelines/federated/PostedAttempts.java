package org.fedbeam.pipelines.federated;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Locale;
import org.fedbeam.pipelines.protocol.Signed;
import org.fedbeam.pipelines.rounds.RoundRecords;
import org.fedbeam.transforms.Artifacts;

/**
 * The orchestrator's own record of the attempts it posted for each round, in its storage
 * ({@code OUTPUT/posted/round-NNNN.json}), written before an attempt's requests are posted. An
 * orchestrator restarted in the middle of a round ({@code --resume}) runs the round again from
 * the attempt after the last one posted, with new nonces in new slots of the exchange: never in a
 * slot it may have used before, where a silo's answer to the old request (its old nonce) may sit.
 * A silo that already trained the round's global model answers the new attempt from its cached
 * update ({@link JobLedger}): it never trains the same global model twice.
 *
 * <p>The record is the orchestrator's, not the exchange's: someone who can write to the exchange
 * cannot push the attempt numbers up (to exhaust the silos' {@code max_attempts_per_round}) by
 * planting request files.
 */
final class PostedAttempts {
  private final String output;

  PostedAttempts(String output) {
    this.output = output;
  }

  /** The highest attempt posted for {@code round} so far (0 if none). */
  int posted(int round) {
    String uri = uri(round);
    if (!Artifacts.exists(uri)) {
      return 0;
    }
    JsonNode n = RoundRecords.readJson(uri, "the record of the attempts posted");
    int posted = n.path("attempts_posted").asInt(-1);
    if (n.path("round").asInt() != round || posted < 1) {
      throw new IllegalStateException(uri + " is not a record of round " + round + "'s attempts: " + n);
    }
    return posted;
  }

  /** Records that {@code attempt} of {@code round} is about to be posted. */
  void posting(int round, int attempt) {
    ObjectNode n = Signed.JSON.createObjectNode();
    n.put("round", round);
    n.put("attempts_posted", attempt);
    RoundRecords.write(uri(round), n);
  }

  private String uri(int round) {
    return Artifacts.resolve(Artifacts.resolve(output, "posted"), String.format(Locale.ROOT, "round-%04d.json", round));
  }
}
