package org.fedbeam.transforms;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.coders.CoderException;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.util.CoderUtils;
import org.fedbeam.data.Dataset;
import org.fedbeam.data.DatasetFormat;
import org.fedbeam.model.ModelSpec;
import org.fedbeam.model.Parameters;
import org.fedbeam.model.SiloUpdate;
import org.fedbeam.model.SystemMetadata;
import org.fedbeam.model.TrainConfig;

/** Small seeded models, shards and updates, and a DirectRunner pipeline with FedBeam's coders. */
final class Fixtures {
  static final int FEATURES = 6;
  static final int CLASSES = 3;
  /** mlp 6-5-3: 53 parameters. */
  static final ModelSpec SPEC = ModelSpec.of(FEATURES, List.of(5), CLASSES);
  /** Same input and output widths, another hidden layer: 73 parameters. */
  static final ModelSpec OTHER_SPEC = ModelSpec.of(FEATURES, List.of(7), CLASSES);
  static final TrainConfig CONFIG = new TrainConfig(2, 8, 0.1, 0.9, 1e-4);

  private Fixtures() {}

  /** Gaussian blobs, one centre per class, seeded: learnable, so training moves the weights. */
  static Dataset blobs(String name, int rows, long seed) {
    return blobs(name, rows, FEATURES, seed);
  }

  static Dataset blobs(String name, int rows, int features, long seed) {
    SplittableRandom random = new SplittableRandom(seed);
    float[] x = new float[rows * features];
    int[] y = new int[rows];
    for (int i = 0; i < rows; i++) {
      y[i] = random.nextInt(CLASSES);
      for (int f = 0; f < features; f++) {
        x[i * features + f] = (float) (random.nextGaussian() + (f % CLASSES == y[i] ? 2.0 : 0.0));
      }
    }
    return new Dataset(name, x, y, features, CLASSES);
  }

  /** Writes {@code data} as a shard file {@code name} in {@code dir}; returns its URI. */
  static String writeShard(Path dir, String name, Dataset data) {
    String uri = dir.resolve(name).toString();
    Artifacts.writeAtomically(uri, DatasetFormat.encode(data));
    return uri;
  }

  /** Uniform values in [-1, 1), seeded. */
  static Parameters randomParameters(ModelSpec spec, long seed) {
    SplittableRandom random = new SplittableRandom(seed);
    float[] values = new float[spec.parameterCount()];
    for (int i = 0; i < values.length; i++) {
      values[i] = (float) (random.nextDouble() * 2 - 1);
    }
    return Parameters.copyOf(spec, values);
  }

  /** {@code count} updates of {@link #SPEC} for round {@code round} from silos silo-00, silo-01, ... */
  static List<SiloUpdate> updates(int count, int round, long seed) {
    SplittableRandom random = new SplittableRandom(seed);
    List<SiloUpdate> updates = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      long samples = 1 + random.nextInt(500);
      updates.add(new SiloUpdate(String.format("silo-%02d", i), round, randomParameters(SPEC, seed * 1000 + i),
          new SystemMetadata(samples, 0.5 + random.nextDouble(), random.nextInt(10_000))));
    }
    return updates;
  }

  static SiloUpdate update(String silo, int round, Parameters weights, long samples) {
    return new SiloUpdate(silo, round, weights, new SystemMetadata(samples, 0.75, 120));
  }

  /** A DirectRunner pipeline with every FedBeam coder registered. */
  static Pipeline pipeline() {
    Pipeline pipeline = Pipeline.create(PipelineOptionsFactory.fromArgs("--runner=DirectRunner").create());
    FedBeamCoders.registerAll(pipeline.getCoderRegistry());
    return pipeline;
  }

  /** The messages of {@code failure} and all its causes, outermost first. */
  static List<String> causalMessages(Throwable failure) {
    List<String> messages = new ArrayList<>();
    for (Throwable t = failure; t != null; t = t.getCause()) {
      messages.add(String.valueOf(t.getMessage()));
    }
    return messages;
  }

  /** A copy of {@code bytes} with every bit of byte {@code index} inverted. */
  static byte[] flipByte(byte[] bytes, int index) {
    byte[] copy = bytes.clone();
    copy[index] = (byte) ~copy[index];
    return copy;
  }

  static <T> byte[] encode(Coder<T> coder, T value) {
    try {
      return CoderUtils.encodeToByteArray(coder, value);
    } catch (CoderException e) {
      throw new IllegalStateException(e);
    }
  }

  static <T> T decode(Coder<T> coder, byte[] bytes) {
    try {
      return CoderUtils.decodeFromByteArray(coder, bytes);
    } catch (CoderException e) {
      throw new IllegalStateException(e);
    }
  }
}
