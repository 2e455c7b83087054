package org.fedbeam.model;

import org.fedbeam.data.Dataset;

/** Local training: the model kind's {@link Learner} trains from the global model on the silo's rows. */
public final class LocalTrainingComputation implements SiloComputation<TrainResult> {
  private static final long serialVersionUID = 1L;
  /** The one instance: it holds nothing. */
  public static final LocalTrainingComputation INSTANCE = new LocalTrainingComputation();

  private LocalTrainingComputation() {}

  @Override
  public String id() {
    return "train";
  }

  @Override
  public TrainResult compute(Parameters global, Dataset data, TrainConfig config, long seed) {
    return global.spec().learner().train(global, data, config, seed);
  }

  private Object readResolve() {
    return INSTANCE;
  }
}
