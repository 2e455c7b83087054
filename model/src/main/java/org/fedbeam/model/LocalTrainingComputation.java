package org.fedbeam.model;

import org.fedbeam.data.Dataset;

/** Local training: the model kind's {@link Learner} trains from the global model on the silo's rows. */
public final class LocalTrainingComputation
    implements SiloComputation<LocalTrainingComputation.Query, Dataset, TrainResult> {
  private static final long serialVersionUID = 1L;
  /** The one instance: it holds nothing. */
  public static final LocalTrainingComputation INSTANCE = new LocalTrainingComputation();

  /** A training's question: from {@code global}, with {@code config}. */
  public record Query(Parameters global, TrainConfig config) {}

  private LocalTrainingComputation() {}

  @Override
  public String id() {
    return "train";
  }

  @Override
  public TrainResult compute(Query query, Dataset data, long seed) {
    return query.global().spec().learner().train(query.global(), data, query.config(), seed);
  }

  private Object readResolve() {
    return INSTANCE;
  }
}
