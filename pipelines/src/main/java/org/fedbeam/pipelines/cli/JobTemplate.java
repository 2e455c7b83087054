package org.fedbeam.pipelines.cli;

import java.util.List;
import java.util.stream.Collectors;
import org.fedbeam.model.strategy.Strategies;
import org.fedbeam.model.strategy.StrategyParam;

/**
 * The text {@code fedbeam job new} writes: a job file with a comment on every field (what it means,
 * its bounds, where docs/job.md says more), valid as it is. Optional fields are written with their
 * defaults so a user sees what can be changed; the strategy's parameters are listed in comments.
 */
final class JobTemplate {
  /** A silo of the job: its id, exchange area and Base64 public key. */
  record Silo(String id, String exchange, String publicKey) {}

  /** The model: kind and widths. */
  record Model(String kind, List<Integer> layers) {}

  private JobTemplate() {}

  static String write(String jobId, List<Silo> silos, Model model, Strategies.Entry strategy, int rounds,
      String output, String submitterKey) {
    StringBuilder b = new StringBuilder();
    b.append("// A FedBeam job file, written by `fedbeam job new`. Every field is documented in docs/job.md;\n")
        .append("// the JSON Schema is org/fedbeam/pipelines/protocol/job.schema.json in the job jar.\n")
        .append("// Check it with `fedbeam job check FILE`; run it with `fedbeam orchestrate --job FILE`.\n")
        .append("{\n")
        .append("  // identity and keys (docs/job.md#identity-and-keys)\n")
        .append("  \"job_id\": ").append(q(jobId)).append(",          // 1-64 of A-Z a-z 0-9 . _ -\n")
        .append("  \"submitter_key\": ").append(q(submitterKey))
        .append(",   // your key pair folder (fedbeam keys new); silos must trust its public key\n")
        .append("  \"output\": ").append(q(output)).append(",   // models, round records, metrics, summary\n\n")
        .append("  // model and training (docs/job.md#model-and-training)\n")
        .append("  \"model\": {\"kind\": ").append(q(model.kind())).append(", \"layers\": ")
        .append(model.layers()).append("},   // input width first, classes last\n")
        .append("  \"train\": {\n")
        .append("    \"epochs\": 1,            // >= 1; passes over each silo's data per round\n")
        .append("    \"batch_size\": 32,       // >= 1; a silo's policy bounds it (min_batch_size, max_batch_size)\n")
        .append("    \"learning_rate\": 0.05,  // > 0\n")
        .append("    \"momentum\": 0.9,        // [0, 1)\n")
        .append("    \"weight_decay\": 0       // >= 0\n")
        .append("    // \"dp\": {\"clip\": 1.0, \"noise_multiplier\": 1.1}   DP-SGD; silos whose policy requires DP need it\n")
        .append("  },\n\n")
        .append("  // strategy (docs/job.md#strategy): ").append(strategy.help()).append("\n")
        .append("  \"strategy\": {\"name\": ").append(q(strategy.name())).append("},\n");
    for (StrategyParam p : strategy.params()) {
      b.append("  //   \"").append(p.name()).append("\": ").append(p.defaultValue()).append(" in ").append(p.range())
          .append(": ").append(p.help()).append("\n");
    }
    b.append("\n  // rounds and quorum (docs/job.md#rounds-and-quorum)\n")
        .append("  \"rounds\": ").append(rounds).append(",\n")
        .append("  // \"min_silos\": N,       the quorum; default: every silo asked in a round\n")
        .append("  \"fraction\": 1.0,         // (0, 1]: the share of silos asked each round\n")
        .append("  \"round_timeout_s\": 300,  // > 0\n")
        .append("  \"grace_s\": 5,            // >= 0: wait for late answers once the quorum answered\n")
        .append("  \"max_attempts\": 3,       // [1, 1000]\n")
        .append("  \"seed\": 42,\n\n")
        .append("  // silos (docs/job.md#silos): each by id, exchange area and public key; add \"samples\": N\n")
        .append("  // with the sample count a silo declared, to bound its updates' weight\n")
        .append("  \"silos\": [\n")
        .append(silos.stream().map(s -> "    {\"id\": " + q(s.id()) + ", \"exchange\": " + q(s.exchange())
            + ", \"public_key\": " + q(s.publicKey()) + "}").collect(Collectors.joining(",\n")))
        .append("\n  ]\n\n")
        .append("  // evaluation (docs/job.md#evaluation), optional: your own data sets, evaluated every round\n")
        .append("  // , \"evaluation\": {\"validation\": \"/path/validation.fbds\", \"test\": \"/path/test.fbds\"}\n")
        .append("  // bundle fields (docs/job.md#bundle-fields), optional: \"features\", \"scaling\", \"class_labels\"\n")
        .append("}\n");
    return b.toString();
  }

  private static String q(String s) {
    return org.fedbeam.pipelines.protocol.Signed.JSON.getNodeFactory().textNode(s).toString();
  }
}
