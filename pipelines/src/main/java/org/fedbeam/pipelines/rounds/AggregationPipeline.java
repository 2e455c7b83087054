package org.fedbeam.pipelines.rounds;

import java.io.Serializable;
import java.util.List;
import java.util.Map;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.values.PCollection;
import org.fedbeam.model.ModelFormat;
import org.fedbeam.model.ModelSpec;
import org.fedbeam.model.Parameters;
import org.fedbeam.model.SiloUpdate;
import org.fedbeam.model.SystemMetadata;
import org.fedbeam.model.strategy.Strategy;
import org.fedbeam.pipelines.protocol.Signed;
import org.fedbeam.pipelines.rounds.RoundPipeline.WriteEvaluationFn;
import org.fedbeam.pipelines.rounds.RoundPipeline.WriteGlobalModelFn;
import org.fedbeam.transforms.AggregateUpdates;
import org.fedbeam.transforms.Artifacts;
import org.fedbeam.transforms.EvaluateModel;
import org.fedbeam.transforms.FedBeamCoders;

/**
 * The orchestrator's pipeline of the federated mode, run on its own Flink once a round's quorum is in:
 *
 * <pre>
 *   RoundDescriptor -> ReadUpdates -> AggregateUpdates -> WriteGlobalModel (server step) -> EvaluateModel -> WriteEvaluation
 * </pre>
 *
 * It reuses the simulation's {@link AggregateUpdates} and {@link EvaluateModel}. Its inputs are
 * the verified updates, copied by the orchestrator into its own storage; each is read back and
 * checked against the SHA-256 the silo signed before it is averaged.
 *
 * <p>Metrics (namespace {@code fedbeam}, see docs/metrics.md): {@code updatesAggregated} in
 * {@code ReadUpdates}, {@code globalModelBytesWritten} in {@code WriteGlobalModel}.
 */
public final class AggregationPipeline {
  /** A verified update in the orchestrator's storage. */
  public record UpdateRef(String silo, int round, String uri, String sha256, long samples, double trainLoss,
      long trainMillis) implements Serializable {}

  /** One round's inputs, read by the pipeline at run time, so the pipeline is the same every round. */
  public record AggregationRound(int round, String globalModelUri, String modelUri, String roundDir, String stateInUri,
      String stateOutUri, List<UpdateRef> updates)
      implements org.fedbeam.pipelines.rounds.RoundOutput {
    public void write(String uri) {
      com.fasterxml.jackson.databind.node.ObjectNode n = Signed.JSON.createObjectNode();
      n.put("round", round);
      n.put("global_model", globalModelUri);
      n.put("model", modelUri);
      n.put("state_in", stateInUri);
      n.put("state_out", stateOutUri);
      n.put("round_dir", roundDir);
      com.fasterxml.jackson.databind.node.ArrayNode list = n.putArray("updates");
      for (UpdateRef u : updates) {
        list.addObject().put("silo", u.silo()).put("round", u.round()).put("uri", u.uri()).put("sha256", u.sha256())
            .put("samples", u.samples()).put("train_loss", u.trainLoss()).put("train_ms", u.trainMillis());
      }
      try {
        Artifacts.writeAtomically(uri, Signed.JSON.writeValueAsBytes(n));
      } catch (java.io.IOException e) {
        throw new IllegalStateException(e);
      }
    }

    static AggregationRound read(String uri) {
      try {
        com.fasterxml.jackson.databind.JsonNode n = Signed.JSON.readTree(Artifacts.read(uri, "aggregation descriptor"));
        List<UpdateRef> updates = new java.util.ArrayList<>();
        for (com.fasterxml.jackson.databind.JsonNode u : n.get("updates")) {
          updates.add(new UpdateRef(u.get("silo").asText(), u.get("round").asInt(), u.get("uri").asText(),
              u.get("sha256").asText(), u.get("samples").asLong(), u.get("train_loss").asDouble(), u.get("train_ms").asLong()));
        }
        return new AggregationRound(n.get("round").asInt(), n.get("global_model").asText(), n.get("model").asText(),
            n.get("round_dir").asText(), n.get("state_in").asText(), n.get("state_out").asText(), updates);
      } catch (java.io.IOException | RuntimeException e) {
        throw new IllegalStateException("cannot read the aggregation descriptor " + uri + ": " + e.getMessage(), e);
      }
    }
  }

  private AggregationPipeline() {}

  /**
   * Adds the aggregation to {@code p}. It reads each round's inputs from the {@link AggregationRound}
   * at {@code roundUri}, so the orchestrator's runner may translate it once.
   */
  public static void build(Pipeline p, ModelSpec spec, Strategy strategy, String roundUri,
      Map<String, String> evaluationSets) {
    FedBeamCoders.registerAll(p.getCoderRegistry());
    PCollection<Parameters> model = p
        .apply("RoundDescriptor", Create.of(roundUri))
        .apply("ReadUpdates", ParDo.of(new ReadUpdatesFn(spec)))
        .setCoder(FedBeamCoders.SiloUpdateCoder.of())
        .apply("AggregateUpdates", AggregateUpdates.of(spec, strategy.aggregator()))
        .apply("WriteGlobalModel", ParDo.of(new WriteGlobalModelFn(roundUri, AggregationRound::read, strategy)))
        .setCoder(FedBeamCoders.ParametersCoder.of());
    if (!evaluationSets.isEmpty()) {
      model.apply("EvaluateModel", EvaluateModel.on(evaluationSets))
          .apply("WriteEvaluation", ParDo.of(new WriteEvaluationFn(roundUri, AggregationRound::read)));
    }
  }

  /** Reads the round's verified updates, each checked against the SHA-256 the silo signed. */
  static final class ReadUpdatesFn extends DoFn<String, SiloUpdate> {
    private final ModelSpec spec;
    private final Counter aggregated = Metrics.counter("fedbeam", "updatesAggregated");

    ReadUpdatesFn(ModelSpec spec) {
      this.spec = spec;
    }

    @ProcessElement
    public void process(@Element String roundUri, OutputReceiver<SiloUpdate> out) {
      for (UpdateRef ref : AggregationRound.read(roundUri).updates()) {
        byte[] bytes = Artifacts.read(ref.uri(), "update of " + ref.silo());
        if (!Artifacts.sha256Hex(bytes).equals(ref.sha256())) {
          throw new IllegalStateException("update of " + ref.silo() + " at " + ref.uri()
              + " changed after it was verified; nothing was aggregated");
        }
        Parameters weights = ModelFormat.decode(bytes, ref.uri());
        if (!weights.spec().equals(spec)) {
          throw new IllegalStateException("update of " + ref.silo() + " is " + weights.spec() + ", the job trains " + spec);
        }
        aggregated.inc();
        out.output(new SiloUpdate(ref.silo(), ref.round(), weights,
            new SystemMetadata(ref.samples(), ref.trainLoss(), ref.trainMillis())));
      }
    }
  }
}
