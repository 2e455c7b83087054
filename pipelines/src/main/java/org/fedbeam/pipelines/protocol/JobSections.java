package org.fedbeam.pipelines.protocol;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.fedbeam.model.ModelSpec;
import org.fedbeam.model.TrainConfig;
import org.fedbeam.model.strategy.Strategies;
import org.fedbeam.model.strategy.Strategy;
import org.fedbeam.transforms.ConfigJson;

/**
 * Reads a job file's {@code model}, {@code train}, {@code strategy} and bundle fields for
 * {@link JobSpec}, each problem recorded: where the shared reader ({@link ConfigJson},
 * {@link Strategies}) stops at its first error, each field is tried again on its own against a valid
 * base, so every bad field is named, by the very checks the orchestrator applies.
 */
final class JobSections {
  /** The order train's fields are tried in; the first five are required. */
  private static final List<String> TRAIN_ORDER =
      List.of("epochs", "batch_size", "learning_rate", "momentum", "weight_decay", "proximal_mu", "dp");
  private static final Map<String, String> TRAIN_CAMEL = Map.of("batch_size", "batchSize", "learning_rate",
      "learningRate", "weight_decay", "weightDecay", "proximal_mu", "proximalMu");

  private JobSections() {}

  static ModelSpec model(JsonNode job, String where, Problems problems) {
    String at = where + ": model";
    JsonNode m = job.get("model");
    if (m != null && m.isObject()) {
      JobSpec.unknownFields(m, ConfigJson.MODEL_FIELDS, at, problems);
      m = known(m, ConfigJson.MODEL_FIELDS);
    }
    JsonNode model = m;
    return problems.get(() -> ConfigJson.modelSpec(model, at), null);
  }

  static TrainConfig train(JsonNode job, String where, Problems problems) {
    String at = where + ": train";
    JsonNode t = job.get("train");
    if (t == null || !t.isObject()) {
      problems.add(at + " is missing or not an object");
      return null;
    }
    JobSpec.unknownFields(t, ConfigJson.TRAIN_FIELDS, at, problems);
    ObjectNode known = known(t, ConfigJson.TRAIN_FIELDS);
    JsonNode mu = known.get("proximal_mu");
    if (mu != null && mu.isNumber() && mu.asDouble() > 0) {
      // a strategy's local part belongs to the strategy, so the summary and provenance say what ran
      problems.add(where + ": train.proximal_mu is set by the strategy: use \"strategy\": {\"name\": \"fedprox\","
          + " \"mu\": " + mu.asDouble() + "}");
    }
    try {
      return trainConfig(known, at);
    } catch (IllegalArgumentException whole) {
      int before = problems.size();
      for (String field : TRAIN_ORDER) {
        if (!known.has(field) && TRAIN_ORDER.indexOf(field) > 4) {
          continue;
        }
        ObjectNode probe = base();
        if (known.has(field)) {
          probe.set(field, known.get(field));
        } else {
          probe.remove(field);
        }
        problems.get(() -> trainConfig(probe, at), null);
      }
      if (problems.size() == before) {
        problems.add(whole.getMessage());
      }
      return null;
    }
  }

  private static TrainConfig trainConfig(ObjectNode train, String at) {
    try {
      return ConfigJson.trainConfig(train, at);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(trainMessage(e.getMessage(), at), e);
    }
  }

  /** Names train's fields as the job file spells them: {@code train.learning_rate}, not {@code learningRate}. */
  static String trainMessage(String message, String at) {
    for (Map.Entry<String, String> e : TRAIN_CAMEL.entrySet()) {
      message = message.replace(at + ": " + e.getValue() + " ", at + "." + e.getKey() + " ");
    }
    return message.replace(at + ": epochs ", at + ".epochs ").replace(at + ": momentum ", at + ".momentum ");
  }

  /** A valid training config to try one field at a time against. */
  private static ObjectNode base() {
    ObjectNode n = Signed.JSON.createObjectNode();
    n.put("epochs", 1).put("batch_size", 1).put("learning_rate", 0.1).put("momentum", 0).put("weight_decay", 0);
    return n;
  }

  private static ObjectNode known(JsonNode n, Set<String> fields) {
    ObjectNode copy = Signed.JSON.createObjectNode();
    n.fields().forEachRemaining(f -> {
      if (fields.contains(f.getKey())) {
        copy.set(f.getKey(), f.getValue());
      }
    });
    return copy;
  }

  /** The bundle fields, each checked on its own against the model. */
  static void bundleFields(JsonNode job, ModelSpec spec, String where, Problems problems) {
    for (String field : JobBundleFields.FIELDS) {
      if (job.has(field)) {
        ObjectNode one = Signed.JSON.createObjectNode();
        one.set(field, job.get(field));
        problems.get(() -> JobBundleFields.parse(one, spec, where), null);
      }
    }
  }

  /**
   * The job's strategy: {@code "strategy": "fedavg"} or {@code {"name": "fedadam", "server_lr": 0.01, ...}};
   * FedAvg when absent. A bad object is tried one parameter at a time, so each bad parameter is named.
   */
  static Strategy strategy(JsonNode node, String where, Problems problems) {
    if (node == null) {
      return Strategies.create(Strategies.DEFAULT, Map.of());
    }
    String at = where + ": strategy";
    try {
      return strategy(node, at);
    } catch (IllegalArgumentException whole) {
      int before = problems.size();
      if (node.isObject() && node.size() > 2 && node.path("name").isTextual()) {
        node.fields().forEachRemaining(f -> {
          if (!f.getKey().equals("name")) {
            ObjectNode one = Signed.JSON.createObjectNode();
            one.set("name", node.get("name"));
            one.set(f.getKey(), f.getValue());
            problems.get(() -> strategy(one, at), null);
          }
        });
      }
      if (problems.size() == before) {
        problems.add(whole.getMessage());
      }
      return null;
    }
  }

  private static Strategy strategy(JsonNode node, String at) {
    try {
      if (node.isTextual()) {
        return Strategies.create(node.asText(), Map.of());
      }
      if (!node.isObject()) {
        throw new IllegalArgumentException("must be a name or an object with a name and parameters, was " + node);
      }
      String name = ConfigFields.text(node, "name", at);
      Map<String, Double> params = new LinkedHashMap<>();
      var fields = node.fields();
      while (fields.hasNext()) {
        var f = fields.next();
        if (f.getKey().equals("name")) {
          continue;
        }
        if (!f.getValue().isNumber()) {
          throw new IllegalArgumentException(f.getKey() + " must be a number, was " + f.getValue());
        }
        params.put(f.getKey(), f.getValue().asDouble());
      }
      return Strategies.create(name, params);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(e.getMessage().startsWith(at) ? e.getMessage() : at + ": " + e.getMessage(), e);
    }
  }
}
