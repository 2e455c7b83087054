package org.fedbeam.transforms;

import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Distribution;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.apache.beam.sdk.values.PCollectionView;
import org.apache.beam.sdk.values.TupleTag;
import org.apache.beam.sdk.values.TupleTagList;
import org.fedbeam.data.Dataset;
import org.fedbeam.model.LocalTrainingComputation;
import org.fedbeam.model.Parameters;
import org.fedbeam.model.SiloUpdate;
import org.fedbeam.model.SystemMetadata;
import org.fedbeam.model.TrainResult;

/**
 * Trains each silo's copy of the global model on that silo's own shard.
 *
 * <p>In: one {@link SiloTask} per silo, and the global model as a singleton side input. Out
 * ({@link #UPDATES}): one {@link SiloUpdate} per silo that has data, carrying the trained weights and
 * the system metadata (sample count, mean train loss, training time). A silo whose shard has no
 * rows is left out of the round and reported on {@link #SKIPPED} as (silo id, reason); a missing or
 * corrupt shard fails the bundle with a message naming the silo and the file.
 *
 * <p>In a simulation, a task may name an {@link org.fedbeam.model.attack.Attack}: that silo then
 * poisons its data or its update as the attack says (to measure the robust strategies).
 *
 * <p>Metrics (namespace {@code fedbeam}): {@code samplesTrained}, {@code silosTrained},
 * {@code silosSkipped}, {@code byzantineUpdates}, and the distribution {@code trainMillis}.
 */
public final class TrainLocally extends PTransform<PCollection<SiloTask>, PCollectionTuple> {
  public static final TupleTag<SiloUpdate> UPDATES = new TupleTag<>() {};
  public static final TupleTag<KV<String, String>> SKIPPED = new TupleTag<>() {};

  private final PCollectionView<Parameters> globalModel;

  private TrainLocally(PCollectionView<Parameters> globalModel) {
    this.globalModel = globalModel;
  }

  /** Trains from the model in {@code globalModel}. */
  public static TrainLocally from(PCollectionView<Parameters> globalModel) {
    return new TrainLocally(globalModel);
  }

  @Override
  public PCollectionTuple expand(PCollection<SiloTask> tasks) {
    PCollectionTuple out = tasks.apply("Train", ParDo.of(new TrainLocallyFn(globalModel))
        .withSideInputs(globalModel)
        .withOutputTags(UPDATES, TupleTagList.of(SKIPPED)));
    out.get(UPDATES).setCoder(FedBeamCoders.SiloUpdateCoder.of());
    out.get(SKIPPED).setCoder(KvCoder.of(StringUtf8Coder.of(), StringUtf8Coder.of()));
    return out;
  }

  /** The per-silo training step. */
  static final class TrainLocallyFn extends DoFn<SiloTask, SiloUpdate> {
    private final PCollectionView<Parameters> globalModel;
    private final Counter samples = Metrics.counter("fedbeam", "samplesTrained");
    private final Counter trained = Metrics.counter("fedbeam", "silosTrained");
    private final Counter skipped = Metrics.counter("fedbeam", "silosSkipped");
    private final Counter attacked = Metrics.counter("fedbeam", "byzantineUpdates");
    private final Distribution trainMillis = Metrics.distribution("fedbeam", "trainMillis");

    TrainLocallyFn(PCollectionView<Parameters> globalModel) {
      this.globalModel = globalModel;
    }

    @ProcessElement
    public void process(ProcessContext context) {
      SiloTask task = context.element();
      Parameters global = context.sideInput(globalModel);
      Dataset data = SiloData.load(task.dataUri(), "silo " + task.siloId());
      if (data.size() == 0) {
        skipped.inc();
        context.output(SKIPPED, KV.of(task.siloId(), "no training samples in " + task.dataUri()));
        return;
      }
      long start = System.nanoTime();
      TrainResult result;
      try {
        result = LocalTrainingComputation.INSTANCE.compute(new LocalTrainingComputation.Query(global, task.config()),
            task.attack() == null ? data : task.attack().poison(data), task.seed());
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("silo " + task.siloId() + " (" + task.dataUri() + "): " + e.getMessage(), e);
      }
      long millis = (System.nanoTime() - start) / 1_000_000;
      samples.inc(result.samplesSeen());
      trained.inc();
      trainMillis.update(millis);
      Parameters update = task.attack() == null ? result.parameters()
          : task.attack().apply(global, result.parameters(), task.seed());
      if (task.attack() != null) {
        attacked.inc();
      }
      context.output(new SiloUpdate(task.siloId(), task.round(), update,
          new SystemMetadata(data.size(), result.meanLoss(), millis)));
    }
  }
}
