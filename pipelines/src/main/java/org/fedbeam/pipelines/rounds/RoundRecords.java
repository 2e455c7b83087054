package org.fedbeam.pipelines.rounds;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import org.apache.beam.sdk.io.FileSystems;
import org.apache.beam.sdk.io.fs.MatchResult;
import org.fedbeam.model.EvalReport;
import org.fedbeam.model.SystemMetadata;
import org.fedbeam.transforms.AggregateResult;
import org.fedbeam.transforms.Artifacts;
import org.fedbeam.transforms.ModelEvaluation;

/**
 * The small JSON records a round pipeline leaves in its round folder, and their reading back by the
 * driver: {@code aggregate.json} (participants and their system metadata), {@code eval-NAME.json}
 * (one per evaluation set) and {@code skipped-SILO.json} (silos left out, with the reason).
 */
public final class RoundRecords {
  public static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  private RoundRecords() {}

  /** What the driver learns from one finished round. */
  public record Outcome(int round, long totalSamples, SortedMap<String, SystemMetadata> participants,
      Map<String, EvalReport> evaluations, SortedMap<String, String> skipped) {}

  public static void writeAggregate(String roundDir, AggregateResult result) {
    ObjectNode root = JSON.createObjectNode();
    root.put("round", result.round());
    root.put("total_samples", result.totalSamples());
    ObjectNode participants = root.putObject("participants");
    result.participants().forEach((silo, m) -> participants.putObject(silo)
        .put("sample_count", m.sampleCount())
        .put("train_loss", m.trainLoss())
        .put("train_ms", m.trainMillis()));
    write(Artifacts.resolve(roundDir, "aggregate.json"), root);
  }

  public static void writeEvaluation(String roundDir, ModelEvaluation evaluation) {
    write(Artifacts.resolve(roundDir, "eval-" + evaluation.dataset() + ".json"), toJson(evaluation.dataset(), evaluation.report()));
  }

  static void writeSkipped(String roundDir, String silo, String reason) {
    ObjectNode root = JSON.createObjectNode().put("silo", silo).put("reason", reason);
    write(Artifacts.resolve(roundDir, "skipped-" + silo + ".json"), root);
  }

  /** An evaluation as JSON: samples, accuracy, log-loss, macro-F1 and the confusion matrix. */
  public static ObjectNode toJson(String dataset, EvalReport r) {
    ObjectNode node = JSON.createObjectNode();
    node.put("dataset", dataset).put("samples", r.samples()).put("accuracy", r.accuracy())
        .put("log_loss", r.logLoss()).put("macro_f1", r.macroF1());
    var rows = node.putArray("confusion");
    for (long[] row : r.confusion()) {
      var a = rows.addArray();
      for (long v : row) {
        a.add(v);
      }
    }
    return node;
  }

  /** Reads a finished round's records; fails naming the round folder if a record is missing. */
  public static Outcome read(int round, String roundDir, List<String> evalNames) {
    JsonNode aggregate = readJson(Artifacts.resolve(roundDir, "aggregate.json"), "round " + round + " aggregate record");
    SortedMap<String, SystemMetadata> participants = new TreeMap<>();
    aggregate.get("participants").fields().forEachRemaining(e -> participants.put(e.getKey(),
        new SystemMetadata(e.getValue().get("sample_count").asLong(), e.getValue().get("train_loss").asDouble(),
            e.getValue().get("train_ms").asLong())));
    Map<String, EvalReport> evaluations = new TreeMap<>();
    for (String name : evalNames) {
      evaluations.put(name, readEvaluation(roundDir, name));
    }
    return new Outcome(round, aggregate.get("total_samples").asLong(), participants, evaluations, readSkipped(roundDir));
  }

  /** The evaluation on {@code name} a round pipeline left in {@code roundDir}. */
  public static EvalReport readEvaluation(String roundDir, String name) {
    JsonNode e = readJson(Artifacts.resolve(roundDir, "eval-" + name + ".json"), "evaluation on " + name + " in " + roundDir);
    int k = e.get("confusion").size();
    long[][] confusion = new long[k][k];
    for (int i = 0; i < k; i++) {
      for (int j = 0; j < k; j++) {
        confusion[i][j] = e.get("confusion").get(i).get(j).asLong();
      }
    }
    return new EvalReport(e.get("samples").asInt(), e.get("accuracy").asDouble(), e.get("log_loss").asDouble(),
        e.get("macro_f1").asDouble(), confusion);
  }

  /** The silos a round left out, by id, with the reason; empty if none. */
  public static SortedMap<String, String> readSkipped(String roundDir) {
    SortedMap<String, String> skipped = new TreeMap<>();
    for (String uri : Artifacts.list(Artifacts.resolve(roundDir, "skipped-*.json"))) {
      JsonNode s = readJson(uri, "skipped-silo record");
      skipped.put(s.get("silo").asText(), s.get("reason").asText());
    }
    return skipped;
  }

  /** Deletes everything in a round folder, so a re-run never reads a stale record. */
  public static void clear(String roundDir) {
    List<org.apache.beam.sdk.io.fs.ResourceId> found = new ArrayList<>();
    try {
      // an empty folder (its files deleted by an overwrite) matches nothing: nothing to clear
      for (String uri : Artifacts.list(Artifacts.resolve(roundDir, "*"))) {
        found.add(FileSystems.matchNewResource(uri, false));
      }
      FileSystems.delete(found);
    } catch (IOException e) {
      throw new java.io.UncheckedIOException("cannot clear " + roundDir + ": " + e.getMessage(), e);
    }
  }

  /** {@code node} as JSON on one line, for the SUMMARY and BENCH lines. */
  public static String oneLine(JsonNode node) throws IOException {
    return JSON.writer().without(SerializationFeature.INDENT_OUTPUT).writeValueAsString(node);
  }

  public static void write(String uri, JsonNode node) {
    try {
      Artifacts.writeAtomically(uri, JSON.writeValueAsBytes(node));
    } catch (IOException e) {
      throw new java.io.UncheckedIOException("cannot encode " + uri, e);
    }
  }

  public static JsonNode readJson(String uri, String what) {
    try {
      return JSON.readTree(new String(Artifacts.read(uri, what), StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new IllegalStateException(what + " " + uri + " is not valid JSON: " + e.getMessage(), e);
    }
  }
}
