package org.fedbeam.transforms;

import java.util.Map;
import java.util.TreeMap;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.values.PCollection;
import org.fedbeam.data.Dataset;
import org.fedbeam.model.Parameters;

/**
 * Evaluates each incoming model on every named evaluation data set (shards at URIs held by the
 * party running the pipeline). In: models. Out: one {@link ModelEvaluation} per model and data set.
 *
 * <p>By default one thread evaluates. {@link #withThreads} lets the forward passes of one model run
 * on several threads (at most the worker's cores), for a pipeline where the model is evaluated
 * while the worker's other slots are idle, as at the end of a federated round; the results are
 * bit-identical to one thread's.
 */
public final class EvaluateModel extends PTransform<PCollection<Parameters>, PCollection<ModelEvaluation>> {
  private final TreeMap<String, String> datasets;
  private final int threads;

  private EvaluateModel(Map<String, String> datasets, int threads) {
    this.datasets = new TreeMap<>(datasets);
    this.threads = threads;
  }

  /** Evaluates on the given data sets, by name -> shard URI. */
  public static EvaluateModel on(Map<String, String> datasets) {
    if (datasets.isEmpty()) {
      throw new IllegalArgumentException("EvaluateModel needs at least one evaluation data set");
    }
    return new EvaluateModel(datasets, 1);
  }

  /** Evaluates each model on up to {@code threads} threads (capped at the worker's cores). */
  public EvaluateModel withThreads(int threads) {
    if (threads < 1) {
      throw new IllegalArgumentException("EvaluateModel threads must be >= 1, was " + threads);
    }
    return new EvaluateModel(datasets, threads);
  }

  @Override
  public PCollection<ModelEvaluation> expand(PCollection<Parameters> models) {
    return models.apply("Evaluate", ParDo.of(new EvaluateFn(datasets, threads)))
        .setCoder(FedBeamCoders.ModelEvaluationCoder.of());
  }

  static final class EvaluateFn extends DoFn<Parameters, ModelEvaluation> {
    private final TreeMap<String, String> datasets;
    private final int threads;

    EvaluateFn(TreeMap<String, String> datasets, int threads) {
      this.datasets = datasets;
      this.threads = threads;
    }

    @ProcessElement
    public void process(@Element Parameters model, OutputReceiver<ModelEvaluation> out) {
      org.fedbeam.model.Learner network = model.spec().learner();
      int useThreads = Math.min(threads, Runtime.getRuntime().availableProcessors());
      for (Map.Entry<String, String> e : datasets.entrySet()) {
        String owner = "evaluation set " + e.getKey();
        Dataset data = SiloData.load(e.getValue(), owner); // its errors already name the set and the file
        try {
          out.output(new ModelEvaluation(e.getKey(), network.evaluate(model, data, useThreads)));
        } catch (IllegalArgumentException ex) {
          throw new IllegalArgumentException(owner + " (" + e.getValue() + "): " + ex.getMessage(), ex);
        }
      }
    }
  }
}
