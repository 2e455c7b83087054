package org.fedbeam.pipelines.protocol;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import org.fedbeam.stats.StatsQuery;
import org.fedbeam.stats.StatsQueryJson;
import org.fedbeam.transforms.Artifacts;

/**
 * The messages of federated statistics in the deployment mode, each the signed body of a {@link
 * Signed} envelope, in the same exchange slots as training ({@code requests/JOB/r000P-aA.json}, P the
 * pass: 1 the summary, 2 the histograms):
 * <ul>
 *   <li>{@value #STATS_REQUEST}: job id, pass, attempt, nonce, silo, the approved stats pipeline, the
 *       {@link StatsQuery} (its JSON, {@link StatsQueryJson}) and a deadline, signed by the submitter;
 *   <li>{@value #STATS}: the silo's answer; its release is the file {@code answers/JOB/r000P-aA-stats.json}
 *       next to it, whose SHA-256 the message signs (as an update's weights);
 *   <li>a refusal is {@link Messages.Refusal} with the pass as its round and the query's SHA-256 in
 *       {@code model_sha256}.
 * </ul>
 * Parsing is strict: a missing or mistyped field is a {@link Rejected} naming it.
 */
public final class StatsMessages {
  /** A submitter's request for one pass of statistics. */
  public static final String STATS_REQUEST = "stats-request";
  /** A silo's answer with its released statistics. */
  public static final String STATS = "stats";
  /** The largest stats file either party reads (a release of many columns with sketches stays far below). */
  public static final long MAX_STATS_BYTES = 8L << 20;

  private StatsMessages() {}

  /** Where a silo's released statistics for {@code slot} sit: next to its signed answer. */
  public static String statsFile(Exchange exchange, Exchange.Slot slot) {
    String answer = exchange.answer(slot);
    return answer.substring(0, answer.length() - ".json".length()) + "-stats.json";
  }

  /** The SHA-256 (hex) of a query's canonical JSON: what a release answers, and its cache key. */
  public static String querySha256(StatsQuery q) {
    return Artifacts.sha256Hex(StatsQueryJson.encode(q));
  }

  /**
   * One pass of statistics asked of one silo.
   *
   * @param pass 1 (summary) or 2 (histograms): the round of its slot
   */
  public record StatsRequest(String jobId, int pass, int attempt, String nonce, String silo,
      Messages.PipelineRef pipeline, StatsQuery query, long deadlineMillis) {
    public ObjectNode toJson() {
      ObjectNode n = Signed.JSON.createObjectNode();
      n.put("job_id", jobId);
      n.put("pass", pass);
      n.put("attempt", attempt);
      n.put("nonce", nonce);
      n.put("silo", silo);
      n.set("pipeline", pipeline.toJson());
      try {
        n.set("query", Signed.JSON.readTree(StatsQueryJson.encode(query)));
      } catch (java.io.IOException e) {
        throw new IllegalStateException(e);
      }
      n.put("deadline_ms", deadlineMillis);
      return n;
    }

    public static StatsRequest fromJson(JsonNode n) throws Rejected {
      String where = "stats request";
      known(n, where, "job_id", "pass", "attempt", "nonce", "silo", "pipeline", "query", "deadline_ms");
      JsonNode q = n.get("query");
      if (q == null || !q.isObject()) {
        throw new Rejected("malformed message", where + ": query missing or not an object");
      }
      StatsQuery query;
      try {
        query = StatsQueryJson.decode(q.toString().getBytes(StandardCharsets.UTF_8), where + " query");
      } catch (IllegalArgumentException e) {
        throw new Rejected("malformed message", e.getMessage());
      }
      int pass = Messages.positive(n, "pass", where);
      if (pass != passOf(query.pass())) {
        throw new Rejected("malformed message", where + ": pass " + pass + " but the query is of pass " + query.pass());
      }
      return new StatsRequest(Messages.id(n, "job_id", where), pass,
          Messages.positive(n, "attempt", where), Messages.nonceField(n, where),
          Messages.id(n, "silo", where), Messages.PipelineRef.fromJson(n.get("pipeline"),
              where + " pipeline"), query, Messages.longValue(n, "deadline_ms", where));
    }
  }

  /** The slot number of a pass: 1 for the summary, 2 for the histograms. */
  public static int passOf(StatsQuery.Pass p) {
    return p == StatsQuery.Pass.SUMMARY ? 1 : 2;
  }

  /**
   * A silo's release: the file {@link #statsFile} holds it; {@code statsSha256} is that file's SHA-256,
   * {@code querySha256} the query's it answers.
   */
  public record StatsReport(String jobId, int pass, String nonce, String silo, String querySha256, String statsSha256) {
    public ObjectNode toJson() {
      ObjectNode n = Signed.JSON.createObjectNode();
      n.put("job_id", jobId);
      n.put("pass", pass);
      n.put("nonce", nonce);
      n.put("silo", silo);
      n.put("query_sha256", querySha256);
      n.put("stats_sha256", statsSha256);
      return n;
    }

    public static StatsReport fromJson(JsonNode n) throws Rejected {
      String where = "stats answer";
      known(n, where, "job_id", "pass", "nonce", "silo", "query_sha256", "stats_sha256");
      return new StatsReport(Messages.id(n, "job_id", where),
          Messages.positive(n, "pass", where), Messages.nonceField(n, where),
          Messages.id(n, "silo", where), Messages.hex64(n, "query_sha256", where), Messages.hex64(n, "stats_sha256", where));
    }
  }

  private static void known(JsonNode n, String where, String... fields) throws Rejected {
    java.util.Set<String> allowed = java.util.Set.of(fields);
    for (var it = n.fieldNames(); it.hasNext();) {
      String f = it.next();
      if (!allowed.contains(f)) {
        throw new Rejected("malformed message", where + ": unknown field '" + Messages.printable(
            f.length() > 40 ? f.substring(0, 40) + "..." : f) + "'");
      }
    }
  }
}
