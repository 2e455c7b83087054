package org.fedbeam.pipelines.federated;

import java.io.Serializable;
import java.util.List;
import java.util.Map;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.coders.SerializableCoder;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.values.PCollection;
import org.fedbeam.model.ModelFormat;
import org.fedbeam.model.ModelSpec;
import org.fedbeam.model.Parameters;
import org.fedbeam.model.SiloUpdate;
import org.fedbeam.model.SystemMetadata;
import org.fedbeam.pipelines.RoundRecords;
import org.fedbeam.transforms.AggregateResult;
import org.fedbeam.transforms.AggregateUpdates;
import org.fedbeam.transforms.Artifacts;
import org.fedbeam.transforms.EvaluateModel;
import org.fedbeam.transforms.FedBeamCoders;
import org.fedbeam.transforms.ModelEvaluation;

/**
 * The orchestrator's pipeline of the federated mode, run on its own Flink once a round's quorum is in:
 *
 * <pre>
 *   ReadUpdates -> AggregateUpdates -> WriteGlobalModel -> EvaluateModel -> WriteEvaluation
 * </pre>
 *
 * It reuses the simulation's {@link AggregateUpdates} and {@link EvaluateModel}. Its inputs are
 * the verified updates, copied by the orchestrator into its own storage; each is read back and
 * checked against the SHA-256 the silo signed before it is averaged.
 */
public final class AggregationPipeline {
  /** A verified update in the orchestrator's storage. */
  public record UpdateRef(String silo, int round, String uri, String sha256, long samples, double trainLoss,
      long trainMillis) implements Serializable {}

  private AggregationPipeline() {}

  /** Adds the round's aggregation to {@code p}: the new model goes to {@code modelUri}, records to {@code roundDir}. */
  public static void build(Pipeline p, ModelSpec spec, List<UpdateRef> updates, String modelUri, String roundDir,
      Map<String, String> evaluationSets) {
    FedBeamCoders.registerAll(p.getCoderRegistry());
    PCollection<Parameters> model = p
        .apply("VerifiedUpdates", Create.of(updates).withCoder(SerializableCoder.of(UpdateRef.class)))
        .apply("ReadUpdates", ParDo.of(new ReadUpdateFn(spec)))
        .setCoder(FedBeamCoders.SiloUpdateCoder.of())
        .apply("AggregateUpdates", AggregateUpdates.of(spec))
        .apply("WriteGlobalModel", ParDo.of(new WriteGlobalModelFn(modelUri, roundDir)))
        .setCoder(FedBeamCoders.ParametersCoder.of());
    if (!evaluationSets.isEmpty()) {
      model.apply("EvaluateModel", EvaluateModel.on(evaluationSets))
          .apply("WriteEvaluation", ParDo.of(new WriteEvaluationFn(roundDir)));
    }
  }

  static final class ReadUpdateFn extends DoFn<UpdateRef, SiloUpdate> {
    private final ModelSpec spec;

    ReadUpdateFn(ModelSpec spec) {
      this.spec = spec;
    }

    @ProcessElement
    public void process(@Element UpdateRef ref, OutputReceiver<SiloUpdate> out) {
      byte[] bytes = Artifacts.read(ref.uri(), "update of " + ref.silo());
      if (!Messages.sha256Hex(bytes).equals(ref.sha256())) {
        throw new IllegalStateException("update of " + ref.silo() + " at " + ref.uri()
            + " changed after it was verified; nothing was aggregated");
      }
      Parameters weights = ModelFormat.decode(bytes, ref.uri());
      if (!weights.spec().equals(spec)) {
        throw new IllegalStateException("update of " + ref.silo() + " is " + weights.spec() + ", the job trains " + spec);
      }
      out.output(new SiloUpdate(ref.silo(), ref.round(), weights,
          new SystemMetadata(ref.samples(), ref.trainLoss(), ref.trainMillis())));
    }
  }

  static final class WriteGlobalModelFn extends DoFn<AggregateResult, Parameters> {
    private final String modelUri;
    private final String roundDir;

    WriteGlobalModelFn(String modelUri, String roundDir) {
      this.modelUri = modelUri;
      this.roundDir = roundDir;
    }

    @ProcessElement
    public void process(@Element AggregateResult result, OutputReceiver<Parameters> out) {
      Artifacts.writeAtomically(modelUri, ModelFormat.encode(result.model()));
      RoundRecords.writeAggregate(roundDir, result);
      out.output(result.model());
    }
  }

  static final class WriteEvaluationFn extends DoFn<ModelEvaluation, Void> {
    private final String roundDir;

    WriteEvaluationFn(String roundDir) {
      this.roundDir = roundDir;
    }

    @ProcessElement
    public void process(@Element ModelEvaluation evaluation) {
      RoundRecords.writeEvaluation(roundDir, evaluation);
    }
  }
}
