package org.fedbeam.transforms;

import java.util.Map;
import java.util.TreeMap;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.values.PCollection;
import org.fedbeam.data.Dataset;
import org.fedbeam.model.DenseNetwork;
import org.fedbeam.model.Parameters;

/**
 * Evaluates each incoming model on every named evaluation data set (shards at URIs held by the
 * party running the pipeline). In: models. Out: one {@link ModelEvaluation} per model and data set.
 */
public final class EvaluateModel extends PTransform<PCollection<Parameters>, PCollection<ModelEvaluation>> {
  private final TreeMap<String, String> datasets;

  private EvaluateModel(Map<String, String> datasets) {
    this.datasets = new TreeMap<>(datasets);
  }

  /** Evaluates on the given data sets, by name -> shard URI. */
  public static EvaluateModel on(Map<String, String> datasets) {
    if (datasets.isEmpty()) {
      throw new IllegalArgumentException("EvaluateModel needs at least one evaluation data set");
    }
    return new EvaluateModel(datasets);
  }

  @Override
  public PCollection<ModelEvaluation> expand(PCollection<Parameters> models) {
    return models.apply("Evaluate", ParDo.of(new EvaluateFn(datasets)))
        .setCoder(FedBeamCoders.ModelEvaluationCoder.of());
  }

  static final class EvaluateFn extends DoFn<Parameters, ModelEvaluation> {
    private final TreeMap<String, String> datasets;

    EvaluateFn(TreeMap<String, String> datasets) {
      this.datasets = datasets;
    }

    @ProcessElement
    public void process(@Element Parameters model, OutputReceiver<ModelEvaluation> out) {
      DenseNetwork network = new DenseNetwork(model.spec());
      for (Map.Entry<String, String> e : datasets.entrySet()) {
        String owner = "evaluation set " + e.getKey();
        Dataset data = SiloData.load(e.getValue(), owner); // its errors already name the set and the file
        try {
          out.output(new ModelEvaluation(e.getKey(), network.evaluate(model, data)));
        } catch (IllegalArgumentException ex) {
          throw new IllegalArgumentException(owner + " (" + e.getValue() + "): " + ex.getMessage(), ex);
        }
      }
    }
  }
}
