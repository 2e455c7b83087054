package org.fedbeam.pipelines;

import java.util.ArrayList;
import java.util.List;
import java.util.NoSuchElementException;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.io.BoundedSource;
import org.apache.beam.sdk.options.PipelineOptions;
import org.fedbeam.transforms.FedBeamCoders;
import org.fedbeam.transforms.SiloTask;

/**
 * The silos' tasks of the current round, read from the round descriptor when the round runs (not
 * when the pipeline is built), one split per silo.
 *
 * <p>Why a source and not {@code Create} plus a reshuffle: on Flink each split is handed to a
 * worker when it asks for one, so a worker that finishes a silo takes the next: silos are placed
 * by load, not by a random key, and no shuffle stage is needed. The descriptor lists tasks largest
 * first; Flink's {@code DefaultInputSplitAssigner} hands splits out from the end of the list, so
 * the splits are returned in reverse, and the largest silos start first. Other runners may take the
 * splits in any order; the result does not depend on it.
 */
final class RoundTasksSource extends BoundedSource<SiloTask> {
  private final String descriptorUri;
  /** Null for the whole round; one task once split. */
  private final SiloTask task;

  private RoundTasksSource(String descriptorUri, SiloTask task) {
    this.descriptorUri = descriptorUri;
    this.task = task;
  }

  /** All tasks of the round the descriptor at {@code descriptorUri} describes. */
  static RoundTasksSource of(String descriptorUri) {
    return new RoundTasksSource(descriptorUri, null);
  }

  private List<SiloTask> tasks() {
    return task != null ? List.of(task) : RoundDescriptor.read(descriptorUri).tasks();
  }

  @Override
  public List<RoundTasksSource> split(long desiredBundleSizeBytes, PipelineOptions options) {
    if (task != null) {
      return List.of(this);
    }
    List<RoundTasksSource> splits = new ArrayList<>();
    for (SiloTask t : tasks()) {
      splits.add(new RoundTasksSource(descriptorUri, t));
    }
    java.util.Collections.reverse(splits);
    return splits;
  }

  @Override
  public long getEstimatedSizeBytes(PipelineOptions options) {
    // one "byte" per silo: the figure only guides how finely a runner asks to split, and every split is one silo
    return tasks().size();
  }

  @Override
  public BoundedReader<SiloTask> createReader(PipelineOptions options) {
    return new Reader(this, tasks());
  }

  @Override
  public Coder<SiloTask> getOutputCoder() {
    return FedBeamCoders.SiloTaskCoder.of();
  }

  @Override
  public void validate() {
    if (descriptorUri == null || descriptorUri.isEmpty()) {
      throw new IllegalArgumentException("the round tasks source needs a round descriptor URI");
    }
  }

  private static final class Reader extends BoundedReader<SiloTask> {
    private final RoundTasksSource source;
    private final List<SiloTask> tasks;
    private int next = -1;

    Reader(RoundTasksSource source, List<SiloTask> tasks) {
      this.source = source;
      this.tasks = tasks;
    }

    @Override
    public boolean start() {
      return advance();
    }

    @Override
    public boolean advance() {
      next++;
      return next < tasks.size();
    }

    @Override
    public SiloTask getCurrent() {
      if (next < 0 || next >= tasks.size()) {
        throw new NoSuchElementException();
      }
      return tasks.get(next);
    }

    @Override
    public void close() {}

    @Override
    public BoundedSource<SiloTask> getCurrentSource() {
      return source;
    }
  }
}
