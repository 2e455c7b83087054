package org.fedbeam.pipelines.loop;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.fedbeam.model.EvalReport;
import org.fedbeam.model.SystemMetadata;
import org.fedbeam.pipelines.rounds.RoundRecords;

/**
 * A round's statistics in its checkpoint ({@link RunState}): wall time, the slowest silo, each
 * participant's system metadata, the silos left out and why, and the evaluations with their
 * confusion matrices; from them a resume rebuilds the records, metrics.csv and the stop rule's
 * history. Reading is strict: a field that is missing or not a number makes the checkpoint damaged.
 */
final class CheckpointStats {
  private CheckpointStats() {}

  static ObjectNode toJson(RoundLoop.RoundStats s) {
    ObjectNode node = RoundRecords.JSON.createObjectNode();
    putNumber(node, "wall_s", s.wallSeconds());
    node.put("slowest_silo", s.slowestSilo());
    putNumber(node, "slowest_silo_s", s.slowestSiloSeconds());
    ObjectNode participants = node.putObject("participants");
    s.participants().forEach((silo, m) -> {
      ObjectNode p = participants.putObject(silo);
      p.put("samples", m.sampleCount());
      putNumber(p, "train_loss", m.trainLoss());
      p.put("train_ms", m.trainMillis());
    });
    ObjectNode leftOut = node.putObject("left_out");
    s.skipped().forEach(leftOut::put);
    ObjectNode evaluations = node.putObject("evaluations");
    s.evaluations().forEach((name, r) -> {
      ObjectNode e = evaluations.putObject(name);
      e.put("samples", r.samples());
      putNumber(e, "accuracy", r.accuracy());
      putNumber(e, "log_loss", r.logLoss());
      putNumber(e, "macro_f1", r.macroF1());
      ArrayNode confusion = e.putArray("confusion");
      for (long[] row : r.confusion()) {
        ArrayNode cells = confusion.addArray();
        for (long cell : row) {
          cells.add(cell);
        }
      }
    });
    return node;
  }

  static RoundLoop.RoundStats fromJson(JsonNode node, int round, String modelUri, int classes) {
    for (String field : List.of("wall_s", "slowest_silo_s", "participants", "left_out", "evaluations")) {
      if (node.get(field) == null) {
        throw new IllegalStateException("field stats." + field + " is missing");
      }
    }
    TreeMap<String, SystemMetadata> participants = new TreeMap<>();
    node.get("participants").fields().forEachRemaining(e -> participants.put(e.getKey(), new SystemMetadata(
        e.getValue().get("samples").asLong(), number(e.getValue().get("train_loss")), e.getValue().get("train_ms").asLong())));
    TreeMap<String, String> leftOut = new TreeMap<>();
    node.get("left_out").fields().forEachRemaining(e -> leftOut.put(e.getKey(), e.getValue().asText()));
    Map<String, EvalReport> evaluations = new LinkedHashMap<>();
    node.get("evaluations").fields().forEachRemaining(e -> {
      JsonNode r = e.getValue();
      JsonNode rows = r.get("confusion");
      if (rows == null || !rows.isArray() || rows.size() > classes) {
        throw new IllegalStateException("field stats.evaluations." + e.getKey() + ".confusion is not a matrix of at"
            + " most " + classes + " classes");
      }
      long[][] confusion = new long[rows.size()][];
      for (int i = 0; i < confusion.length; i++) {
        confusion[i] = new long[rows.get(i).size()];
        for (int j = 0; j < confusion[i].length; j++) {
          confusion[i][j] = rows.get(i).get(j).asLong();
        }
      }
      evaluations.put(e.getKey(), new EvalReport(r.get("samples").asInt(), number(r.get("accuracy")),
          number(r.get("log_loss")), number(r.get("macro_f1")), confusion));
    });
    return new RoundLoop.RoundStats(round, number(node.get("wall_s")), node.path("slowest_silo").isNull() ? null
        : node.path("slowest_silo").asText(), number(node.get("slowest_silo_s")), participants, leftOut, evaluations,
        modelUri);
  }

  /** JSON has no NaN or infinity: those are written as strings and read back. */
  private static void putNumber(ObjectNode node, String name, double value) {
    if (Double.isFinite(value)) {
      node.put(name, value);
    } else {
      node.put(name, Double.toString(value));
    }
  }

  private static double number(JsonNode node) {
    if (node == null || !(node.isNumber() || node.isTextual() && node.asText().matches("NaN|-?Infinity"))) {
      throw new IllegalStateException("a statistic is not a number: " + node);
    }
    return node.isTextual() ? Double.parseDouble(node.asText()) : node.asDouble();
  }
}
