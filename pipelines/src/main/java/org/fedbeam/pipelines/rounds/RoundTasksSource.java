package org.fedbeam.pipelines.rounds;

import java.util.ArrayList;
import java.util.List;
import java.util.NoSuchElementException;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.VarIntCoder;
import org.apache.beam.sdk.io.BoundedSource;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.values.KV;
import org.fedbeam.pipelines.runners.SiloPlacement;
import org.fedbeam.transforms.FedBeamCoders;
import org.fedbeam.transforms.SiloTask;

/**
 * The silos' tasks of the current round, read from the round descriptor when the round runs (not
 * when the pipeline is built), each keyed by the worker that should train it
 * ({@link SiloPlacement}): shuffled on that key, the silos spread over the workers by load.
 */
final class RoundTasksSource extends BoundedSource<KV<Integer, SiloTask>> {
  private final String descriptorUri;
  private final int workers;

  private RoundTasksSource(String descriptorUri, int workers) {
    this.descriptorUri = descriptorUri;
    this.workers = workers;
  }

  /** The tasks of the round the descriptor at {@code descriptorUri} describes, placed on {@code workers} workers. */
  static RoundTasksSource of(String descriptorUri, int workers) {
    if (workers < 1) {
      throw new IllegalArgumentException("workers must be >= 1, was " + workers);
    }
    return new RoundTasksSource(descriptorUri, workers);
  }

  /** The round's tasks, each keyed by its worker's shuffle key. */
  List<KV<Integer, SiloTask>> placedTasks() {
    RoundDescriptor round = RoundDescriptor.read(descriptorUri);
    int[] keys = SiloPlacement.keys(workers);
    List<List<SiloTask>> groups = SiloPlacement.balance(round.tasks(), round.shardBytes(), workers);
    List<KV<Integer, SiloTask>> placed = new ArrayList<>();
    for (int w = 0; w < workers; w++) {
      for (SiloTask task : groups.get(w)) {
        placed.add(KV.of(keys[w], task));
      }
    }
    return placed;
  }

  @Override
  public List<RoundTasksSource> split(long desiredBundleSizeBytes, PipelineOptions options) {
    return List.of(this); // a handful of small records: the shuffle after this source spreads the work
  }

  @Override
  public long getEstimatedSizeBytes(PipelineOptions options) {
    return 1;
  }

  @Override
  public BoundedReader<KV<Integer, SiloTask>> createReader(PipelineOptions options) {
    return new Reader(this);
  }

  @Override
  public Coder<KV<Integer, SiloTask>> getOutputCoder() {
    return KvCoder.of(VarIntCoder.of(), FedBeamCoders.SiloTaskCoder.of());
  }

  @Override
  public void validate() {
    if (descriptorUri == null || descriptorUri.isEmpty()) {
      throw new IllegalArgumentException("the round tasks source needs a round descriptor URI");
    }
  }

  private static final class Reader extends BoundedReader<KV<Integer, SiloTask>> {
    private final RoundTasksSource source;
    private List<KV<Integer, SiloTask>> tasks;
    private int next = -1;

    Reader(RoundTasksSource source) {
      this.source = source;
    }

    @Override
    public boolean start() {
      tasks = source.placedTasks();
      return advance();
    }

    @Override
    public boolean advance() {
      next++;
      return next < tasks.size();
    }

    @Override
    public KV<Integer, SiloTask> getCurrent() {
      if (tasks == null || next < 0 || next >= tasks.size()) {
        throw new NoSuchElementException();
      }
      return tasks.get(next);
    }

    @Override
    public void close() {}

    @Override
    public BoundedSource<KV<Integer, SiloTask>> getCurrentSource() {
      return source;
    }
  }
}
