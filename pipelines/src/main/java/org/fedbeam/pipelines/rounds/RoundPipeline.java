package org.fedbeam.pipelines.rounds;

import java.io.Serializable;
import java.util.Map;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.io.Read;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.Reshuffle;
import org.apache.beam.sdk.transforms.Values;
import org.apache.beam.sdk.transforms.View;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.apache.beam.sdk.values.PCollectionView;
import org.fedbeam.model.ModelFormat;
import org.fedbeam.model.ModelSpec;
import org.fedbeam.model.Parameters;
import org.fedbeam.model.strategy.ServerState;
import org.fedbeam.model.strategy.Strategy;
import org.fedbeam.pipelines.runners.RoundRunner;
import org.fedbeam.transforms.AggregateResult;
import org.fedbeam.transforms.AggregateUpdates;
import org.fedbeam.transforms.Artifacts;
import org.fedbeam.transforms.EvaluateModel;
import org.fedbeam.transforms.FedBeamCoders;
import org.fedbeam.transforms.ModelEvaluation;
import org.fedbeam.transforms.TrainLocally;

/**
 * One federated round as one bounded Beam pipeline (simulation mode):
 *
 * <pre>
 *   RoundDescriptor -> ReadGlobalModel -> AsSideInput ----------------------------.
 *   ListSilos (keyed by worker) -> SpreadSilos -> TrainLocally(global model as side input) -> AggregateUpdates -> WriteGlobalModel (server step)
 *                                                                                   -> EvaluateModel -> WriteEvaluation
 *                                   \-> (silos with no data) RecordSkipped
 * </pre>
 *
 * The pipeline is the same for every round of a run: what changes from round to round (the round
 * number, the global model, the silos' seeds, where the outputs go) is read at run time from the
 * {@link RoundDescriptor} the driver writes before each round. So a runner can translate it once
 * and run the same job again each round (see {@link RoundRunner}). The new global model is written
 * atomically to the descriptor's {@code model_out}; the round's records go to its {@code round_dir}
 * (see {@link RoundRecords}).
 *
 * <p>Metrics (namespace {@code fedbeam}, see docs/metrics.md): those of {@link TrainLocally}, and
 * {@code globalModelBytesWritten} in {@code WriteGlobalModel}.
 */
public final class RoundPipeline {
  private RoundPipeline() {}

  /**
   * What is fixed for a whole run.
   *
   * @param descriptorUri where the driver writes each round's {@link RoundDescriptor}
   * @param spec the model's shape
   * @param evaluationSets evaluation data sets held by the orchestrator, name -> shard URI
   * @param workers how many workers train silos in parallel (the runner's parallelism)
   * @param strategy the run's strategy: its aggregator and its server step
   */
  public record Plan(String descriptorUri, ModelSpec spec, Map<String, String> evaluationSets, int workers,
      Strategy strategy) implements Serializable {
    public Plan {
      if (strategy == null) {
        throw new IllegalArgumentException("a round pipeline needs a strategy");
      }
      if (workers < 1) {
        throw new IllegalArgumentException("workers must be >= 1, was " + workers);
      }
      evaluationSets = java.util.Collections.unmodifiableSortedMap(new java.util.TreeMap<>(evaluationSets));
    }
  }

  /** Adds the round's transforms to {@code pipeline}. */
  public static void build(Pipeline pipeline, Plan plan) {
    FedBeamCoders.registerAll(pipeline.getCoderRegistry());
    PCollectionView<Parameters> global = pipeline
        .apply("RoundDescriptor", Create.of(plan.descriptorUri()))
        .apply("ReadGlobalModel", ParDo.of(new ReadGlobalModelFn(plan.spec())))
        .setCoder(FedBeamCoders.ParametersCoder.of())
        .apply("AsSideInput", View.asSingleton());
    PCollectionTuple trained = pipeline
        // each silo keyed by the worker that should train it, so each worker gets about the same data
        .apply("ListSilos", Read.from(RoundTasksSource.of(plan.descriptorUri(), plan.workers())))
        .apply("SpreadSilos", Reshuffle.of())
        .apply("DropWorkerKeys", Values.create())
        .apply("TrainLocally", TrainLocally.from(global));
    PCollection<AggregateResult> aggregate = trained.get(TrainLocally.UPDATES)
        .apply("AggregateUpdates", AggregateUpdates.of(plan.spec(), plan.strategy().aggregator()));
    PCollection<Parameters> model = aggregate
        .apply("WriteGlobalModel", ParDo.of(new WriteGlobalModelFn(plan.descriptorUri(), RoundDescriptor::read,
            plan.strategy())))
        .setCoder(FedBeamCoders.ParametersCoder.of());
    if (!plan.evaluationSets().isEmpty()) {
      // training is over when the new model is evaluated: its forward passes may use every worker's core
      model.apply("EvaluateModel", EvaluateModel.on(plan.evaluationSets()).withThreads(plan.workers()))
          .apply("WriteEvaluation", ParDo.of(new WriteEvaluationFn(plan.descriptorUri(), RoundDescriptor::read)));
    }
    trained.get(TrainLocally.SKIPPED).apply("RecordSkipped", ParDo.of(new RecordSkippedFn(plan.descriptorUri())));
  }

  /** Reads the global model the descriptor names and checks its shape. */
  static final class ReadGlobalModelFn extends DoFn<String, Parameters> {
    private final ModelSpec spec;

    ReadGlobalModelFn(ModelSpec spec) {
      this.spec = spec;
    }

    @ProcessElement
    public void process(@Element String descriptorUri, OutputReceiver<Parameters> out) {
      RoundDescriptor round = RoundDescriptor.read(descriptorUri);
      String uri = round.globalModelUri();
      Parameters global = ModelFormat.decode(Artifacts.read(uri, "global model"), uri);
      if (!global.spec().equals(spec)) {
        throw new IllegalStateException("global model " + uri + " for round " + round.round() + " is " + global.spec()
            + ", this run trains " + spec);
      }
      out.output(global);
    }
  }

  /**
   * Takes the strategy's server step from the round's aggregate and writes its outcome where the
   * round's descriptor says: first the server state, then the new global model (atomically: a
   * model's presence means its round is complete), then the aggregate record; passes the model on.
   * A failed aggregation (e.g. Krum without enough updates) writes nothing and fails the round,
   * saying why. Shared by the simulation's round pipeline and the orchestrator's.
   */
  public static final class WriteGlobalModelFn extends DoFn<AggregateResult, Parameters> {
    private final String descriptorUri;
    private final RoundOutput.Reader descriptor;
    private final Strategy strategy;
    private final Counter bytesWritten = Metrics.counter("fedbeam", "globalModelBytesWritten");

    public WriteGlobalModelFn(String descriptorUri, RoundOutput.Reader descriptor, Strategy strategy) {
      this.descriptorUri = descriptorUri;
      this.descriptor = descriptor;
      this.strategy = strategy;
    }

    @ProcessElement
    public void process(@Element AggregateResult result, OutputReceiver<Parameters> out) {
      RoundOutput round = descriptor.read(descriptorUri);
      if (result.round() != round.round()) {
        throw new IllegalStateException("the updates aggregated are for round " + result.round() + " (silos "
            + result.participants().keySet() + "), this is round " + round.round() + "; nothing was written");
      }
      if (!result.succeeded()) {
        throw new IllegalStateException(result.failure() + "; nothing was written");
      }
      Parameters global = ModelFormat.decode(Artifacts.read(round.globalModelUri(), "global model"), round.globalModelUri());
      ServerState state = ServerState.decode(Artifacts.read(round.stateInUri(), "server state"), round.stateInUri());
      Strategy.Step step = strategy.serverStep(round.round(), global, result.model(), state);
      requireFinite(step, round.round());
      Artifacts.writeAtomically(round.stateOutUri(), step.state().encode());
      byte[] model = ModelFormat.encode(step.model());
      Artifacts.writeAtomically(round.modelUri(), model);
      bytesWritten.inc(model.length);
      RoundRecords.writeAggregate(round.roundDir(), result);
      out.output(step.model());
    }

    /** Refuses a server step that overflowed: no model or state with a non-finite value is ever written. */
    private void requireFinite(Strategy.Step step, int round) {
      int bad = step.model().firstNonFinite();
      if (bad >= 0) {
        throw new IllegalStateException("strategy " + strategy.name() + "'s server step in round " + round
            + " gave a non-finite value at index " + bad + " of the model; nothing was written");
      }
      for (String name : step.state().names()) {
        float[] v = step.state().vector(name);
        for (int i = 0; i < v.length; i++) {
          if (!Float.isFinite(v[i])) {
            throw new IllegalStateException("strategy " + strategy.name() + "'s server step in round " + round
                + " gave a non-finite value at index " + i + " of its state " + name + "; nothing was written");
          }
        }
      }
    }
  }

  /** Writes each evaluation of the new model to the round's records, and reports it ({@link EvaluationMetrics}). */
  public static final class WriteEvaluationFn extends DoFn<ModelEvaluation, Void> {
    private final String descriptorUri;
    private final RoundOutput.Reader descriptor;

    public WriteEvaluationFn(String descriptorUri, RoundOutput.Reader descriptor) {
      this.descriptorUri = descriptorUri;
      this.descriptor = descriptor;
    }

    @ProcessElement
    public void process(@Element ModelEvaluation evaluation) {
      RoundRecords.writeEvaluation(descriptor.read(descriptorUri).roundDir(), evaluation);
      EvaluationMetrics.report(evaluation);
    }
  }

  static final class RecordSkippedFn extends DoFn<KV<String, String>, Void> {
    private final String descriptorUri;

    RecordSkippedFn(String descriptorUri) {
      this.descriptorUri = descriptorUri;
    }

    @ProcessElement
    public void process(@Element KV<String, String> skipped) {
      RoundRecords.writeSkipped(RoundDescriptor.read(descriptorUri).roundDir(), skipped.getKey(), skipped.getValue());
    }
  }
}
