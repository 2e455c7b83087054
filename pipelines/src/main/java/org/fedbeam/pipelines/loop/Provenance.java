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

  static ObjectNode initial(RoundLoop.Settings s) {
    ObjectNode node = base(s);
    node.put("round", 0).putNull("parent");
    if (s.initialModel() == null) {
      node.put("origin", "initialized from seed");
    } else if (s.initialOrigin() != null && s.initialOrigin().trim().startsWith("[")) {
      // a bundle's provenance chain: kept whole
      node.put("origin", "pretrained: a model bundle (its chain in pretrained_chain)");
      try {
        node.set("pretrained_chain", RoundRecords.JSON.readTree(s.initialOrigin()));
      } catch (java.io.IOException e) {
        node.put("pretrained_chain", s.initialOrigin());
      }
    } else {
      node.put("origin", "pretrained: " + s.initialOrigin());
    }
    return node;
  }

  static ObjectNode ofRound(RoundLoop.Settings s, RoundLoop.RoundStats stats, RoundLoop.Round round, String parentUri) {
    ObjectNode node = base(s);
    node.put("round", stats.round()).put("parent", parentUri);
    node.put("server_state", round.stateOutUri());
    // what the silos trained with this round (a strategy may change it per round, e.g. FedProx's mu)
    node.set("round_config", org.fedbeam.transforms.ConfigJson.toJson(round.config()));
    var participants = node.putObject("participants");
    stats.participants().forEach((silo, m) -> participants.put(silo, m.sampleCount()));
    var skipped = node.putObject("left_out");
    stats.skipped().forEach(skipped::put);
    return node;
  }

  static void write(String modelUri, ObjectNode node) {
    RoundRecords.write(modelUri.replaceAll("\\.fbm$", ".json"), node);
  }

  private static ObjectNode base(RoundLoop.Settings s) {
    ObjectNode node = RoundRecords.JSON.createObjectNode();
    node.put("model", s.spec().describe());
    node.set("strategy", strategy(s));
    node.put("seed", s.seed());
    node.set("hyperparameters", org.fedbeam.transforms.ConfigJson.toJson(s.config()));
    node.put("code_version", codeVersion());
    node.put("blas_kernel", RunState.blasKernel());
    return node;
  }

  /** The strategy as every record states it: name, parameters, aggregator, fraction and min_silos. */
  static ObjectNode strategy(RoundLoop.Settings s) {
    ObjectNode strategy = RoundRecords.JSON.createObjectNode();
    strategy.put("name", s.strategy().name());
    ObjectNode parameters = strategy.putObject("parameters");
    s.strategy().parameters().forEach(parameters::put);
    strategy.put("aggregator", s.strategy().aggregator().name());
    strategy.put("fraction", s.participation().fraction());
    strategy.put("min_silos", s.participation().minSilos());
    return strategy;
  }

  static String codeVersion() {
    String v = Provenance.class.getPackage().getImplementationVersion();
    return v == null ? "fedbeam (development build)" : "fedbeam " + v;
  }
}
