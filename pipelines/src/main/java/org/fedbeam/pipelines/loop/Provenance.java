package org.fedbeam.pipelines.loop;

import com.fasterxml.jackson.databind.node.ObjectNode;
import org.fedbeam.pipelines.rounds.RoundRecords;

/**
 * The provenance sidecar of every global model ({@code round-NNNN.json} beside
 * {@code round-NNNN.fbm}): round, parent model, strategy, hyperparameters, participants, seed and
 * code version (in the spirit of Tribuo's ModelProvenance).
 */
final class Provenance {
  private Provenance() {}

  static ObjectNode initial(FederatedDriver.Settings s) {
    ObjectNode node = base(s);
    node.put("round", 0).putNull("parent");
    node.put("origin", "initialized from seed");
    return node;
  }

  static ObjectNode ofRound(FederatedDriver.Settings s, FederatedDriver.RoundStats stats, String parentUri) {
    ObjectNode node = base(s);
    node.put("round", stats.round()).put("parent", parentUri);
    var participants = node.putObject("participants");
    stats.participants().forEach((silo, m) -> participants.put(silo, m.sampleCount()));
    var skipped = node.putObject("left_out");
    stats.skipped().forEach(skipped::put);
    return node;
  }

  static void write(String modelUri, ObjectNode node) {
    RoundRecords.write(modelUri.replaceAll("\\.fbm$", ".json"), node);
  }

  private static ObjectNode base(FederatedDriver.Settings s) {
    ObjectNode node = RoundRecords.JSON.createObjectNode();
    node.put("model", s.spec().describe());
    node.put("strategy", "fedavg (sample-weighted mean; McMahan et al. 2017)");
    node.put("seed", s.seed());
    var hp = node.putObject("hyperparameters");
    hp.put("local_epochs", s.config().epochs()).put("batch_size", s.config().batchSize())
        .put("learning_rate", s.config().learningRate()).put("momentum", s.config().momentum())
        .put("weight_decay", s.config().weightDecay());
    node.put("code_version", codeVersion());
    return node;
  }

  static String codeVersion() {
    String v = Provenance.class.getPackage().getImplementationVersion();
    return v == null ? "fedbeam (development build)" : "fedbeam " + v;
  }
}
