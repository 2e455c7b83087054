package org.fedbeam.pipelines.rounds;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.fedbeam.model.TrainConfig;
import org.fedbeam.model.attack.Attack;
import org.fedbeam.pipelines.runners.SiloPlacement;
import org.fedbeam.transforms.ConfigJson;
import org.fedbeam.transforms.SiloTask;

/**
 * What changes from one round to the next, written by the driver before each round and read by
 * the round pipeline while it runs: the round number, where the global model to start from is,
 * where the new model and the round's records go, and the silos' tasks. The pipeline itself is the
 * same for every round of a run (see {@link RoundPipeline}), so a runner may translate it once.
 *
 * <p>{@code shardBytes} (silo id -> size of its shard) lets the pipeline spread the silos over
 * the workers by load ({@link SiloPlacement}).
 *
 * @param round the round number, from 1
 * @param globalModelUri the model the silos start from
 * @param modelUri where the round's new global model goes
 * @param roundDir where the round's records go
 * @param tasks one task per silo, all of this round
 * @param shardBytes each silo's shard size in bytes
 * @param stateInUri the strategy's server state before the round
 * @param stateOutUri where the server state after the round goes
 */
public record RoundDescriptor(int round, String globalModelUri, String modelUri, String roundDir, List<SiloTask> tasks,
    Map<String, Long> shardBytes, String stateInUri, String stateOutUri) implements RoundOutput {
  public RoundDescriptor {
    shardBytes = Map.copyOf(shardBytes);
    if (stateInUri == null || stateOutUri == null) {
      throw new IllegalArgumentException("round " + round + " needs the server state's URIs");
    }
    if (round < 1) {
      throw new IllegalArgumentException("round must be >= 1, was " + round);
    }
    tasks = List.copyOf(tasks);
    Set<String> silos = new HashSet<>();
    for (SiloTask task : tasks) {
      if (task.round() != round) {
        throw new IllegalArgumentException("silo " + task.siloId() + "'s task is for round " + task.round()
            + ", the descriptor for round " + round);
      }
      if (!silos.add(task.siloId())) {
        throw new IllegalArgumentException("silo " + task.siloId() + " has two tasks in round " + round);
      }
      Long bytes = shardBytes.get(task.siloId());
      if (bytes == null || bytes < 0) {
        throw new IllegalArgumentException("silo " + task.siloId() + " has no shard size (or a negative one): " + bytes);
      }
    }
  }

  /** The file name of the current round's descriptor in the run's {@code rounds/} folder. */
  static final String FILE_NAME = "current-round.json";

  /** Where a run that writes to {@code output} keeps the current round's descriptor. */
  public static String uri(String output) {
    return org.fedbeam.transforms.Artifacts.resolve(org.fedbeam.transforms.Artifacts.resolve(output, "rounds"), FILE_NAME);
  }

  /** Writes the descriptor atomically. */
  public void write(String uri) {
    ObjectNode json = RoundRecords.JSON.createObjectNode();
    json.put("round", round);
    json.put("global_model", globalModelUri);
    json.put("model_out", modelUri);
    json.put("round_dir", roundDir);
    json.put("state_in", stateInUri);
    json.put("state_out", stateOutUri);
    ArrayNode list = json.putArray("tasks");
    for (SiloTask task : tasks) {
      ObjectNode t = list.addObject();
      t.put("silo", task.siloId());
      t.put("data", task.dataUri());
      t.put("shard_bytes", shardBytes.get(task.siloId()));
      t.put("seed", task.seed());
      t.set("train", ConfigJson.toJson(task.config()));
      if (task.attack() != null) {
        t.put("attack", task.attack().id());
      }
    }
    RoundRecords.write(uri, json);
  }

  /**
   * Reads and checks a descriptor.
   *
   * @throws IllegalStateException naming the file and the field when something is missing or wrong
   */
  static RoundDescriptor read(String uri) {
    JsonNode json = RoundRecords.readJson(uri, "round descriptor");
    try {
      int round = integer(json, "round");
      List<SiloTask> tasks = new ArrayList<>();
      Map<String, Long> shardBytes = new HashMap<>();
      JsonNode list = json.get("tasks");
      if (list == null || !list.isArray()) {
        throw new IllegalArgumentException("\"tasks\" is missing or not a list");
      }
      for (JsonNode t : list) {
        TrainConfig config = ConfigJson.trainConfig(t.get("train"), "\"train\" of silo " + text(t, "silo"));
        Attack attack = t.has("attack") ? Attack.parse(text(t, "attack")) : null;
        JsonNode seed = t.get("seed");
        if (seed == null || !seed.canConvertToLong() || !seed.isIntegralNumber()) {
          throw new IllegalArgumentException("\"seed\" of silo " + text(t, "silo") + " is missing or not an integer");
        }
        tasks.add(new SiloTask(text(t, "silo"), text(t, "data"), round, seed.asLong(), config, attack));
        JsonNode bytes = t.get("shard_bytes");
        if (bytes == null || !bytes.isIntegralNumber() || !bytes.canConvertToLong()) {
          throw new IllegalArgumentException("\"shard_bytes\" of silo " + text(t, "silo") + " is missing or not an integer");
        }
        shardBytes.put(text(t, "silo"), bytes.asLong());
      }
      return new RoundDescriptor(round, text(json, "global_model"), text(json, "model_out"), text(json, "round_dir"), tasks,
          shardBytes, text(json, "state_in"), text(json, "state_out"));
    } catch (IllegalArgumentException e) {
      throw new IllegalStateException("round descriptor " + uri + ": " + e.getMessage(), e);
    }
  }

  private static String text(JsonNode node, String field) {
    JsonNode value = node.get(field);
    if (value == null || !value.isTextual() || value.asText().isEmpty()) {
      throw new IllegalArgumentException("\"" + field + "\" is missing or not a non-empty string");
    }
    return value.asText();
  }

  private static int integer(JsonNode node, String field) {
    JsonNode value = node.get(field);
    if (value == null || !value.isIntegralNumber() || !value.canConvertToInt()) {
      throw new IllegalArgumentException("\"" + field + "\" is missing or not an integer");
    }
    return value.asInt();
  }
}
