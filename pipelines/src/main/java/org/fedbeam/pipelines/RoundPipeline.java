package org.fedbeam.pipelines;

import java.util.List;
import java.util.Map;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.Reshuffle;
import org.apache.beam.sdk.transforms.View;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.apache.beam.sdk.values.PCollectionView;
import org.fedbeam.model.ModelFormat;
import org.fedbeam.model.Parameters;
import org.fedbeam.transforms.AggregateResult;
import org.fedbeam.transforms.AggregateUpdates;
import org.fedbeam.transforms.Artifacts;
import org.fedbeam.transforms.EvaluateModel;
import org.fedbeam.transforms.FedBeamCoders;
import org.fedbeam.transforms.ModelEvaluation;
import org.fedbeam.transforms.SiloTask;
import org.fedbeam.transforms.TrainLocally;

/**
 * One federated round as one bounded Beam pipeline (simulation mode):
 *
 * <pre>
 *   ListSilos -> SpreadSilos -> TrainLocally(global model as side input) -> AggregateUpdates -> WriteGlobalModel
 *                                                                             -> EvaluateModel -> WriteEvaluation
 *             \-> (silos with no data) RecordSkipped
 * </pre>
 *
 * The new global model is written atomically to {@link Round#modelUri()}; the round's records go to
 * {@link Round#roundDir()} (see {@link RoundRecords}).
 */
public final class RoundPipeline {
  private RoundPipeline() {}

  /**
   * Everything one round needs.
   *
   * @param round round number, from 1
   * @param global the global model the silos start from
   * @param tasks one task per silo
   * @param evaluationSets evaluation data sets held by the orchestrator, name -> shard URI
   * @param modelUri where the new global model goes
   * @param roundDir where the round's records go
   */
  public record Round(int round, Parameters global, List<SiloTask> tasks, Map<String, String> evaluationSets,
      String modelUri, String roundDir) {}

  /** Adds the round's transforms to {@code pipeline}. */
  public static void build(Pipeline pipeline, Round round) {
    FedBeamCoders.registerAll(pipeline.getCoderRegistry());
    PCollectionView<Parameters> global = pipeline
        .apply("GlobalModel", Create.of(round.global()).withCoder(FedBeamCoders.ParametersCoder.of()))
        .apply("AsSideInput", View.asSingleton());
    PCollectionTuple trained = pipeline
        .apply("ListSilos", Create.of(round.tasks()).withCoder(FedBeamCoders.SiloTaskCoder.of()))
        // Create makes one split; spread the silos over the workers (round robin on Flink) so they train in parallel
        .apply("SpreadSilos", Reshuffle.viaRandomKey())
        .apply("TrainLocally", TrainLocally.from(global));
    PCollection<AggregateResult> aggregate = trained.get(TrainLocally.UPDATES)
        .apply("AggregateUpdates", AggregateUpdates.of(round.global().spec(), round.round()));
    PCollection<Parameters> model = aggregate
        .apply("WriteGlobalModel", ParDo.of(new WriteGlobalModelFn(round.modelUri(), round.roundDir())))
        .setCoder(FedBeamCoders.ParametersCoder.of());
    if (!round.evaluationSets().isEmpty()) {
      model.apply("EvaluateModel", EvaluateModel.on(round.evaluationSets()))
          .apply("WriteEvaluation", ParDo.of(new WriteEvaluationFn(round.roundDir())));
    }
    trained.get(TrainLocally.SKIPPED).apply("RecordSkipped", ParDo.of(new RecordSkippedFn(round.roundDir())));
  }

  /** Writes the new global model and the aggregate record, then passes the model on. */
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

  static final class RecordSkippedFn extends DoFn<KV<String, String>, Void> {
    private final String roundDir;

    RecordSkippedFn(String roundDir) {
      this.roundDir = roundDir;
    }

    @ProcessElement
    public void process(@Element KV<String, String> skipped) {
      RoundRecords.writeSkipped(roundDir, skipped.getKey(), skipped.getValue());
    }
  }
}
