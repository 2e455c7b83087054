package org.fedbeam.pipelines;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.fedbeam.data.Dataset;
import org.fedbeam.data.DatasetFormat;
import org.fedbeam.model.Aggregation;
import org.fedbeam.model.DenseNetwork;
import org.fedbeam.model.ModelSpec;
import org.fedbeam.model.Parameters;
import org.fedbeam.model.TrainConfig;
import org.fedbeam.transforms.Artifacts;
import org.fedbeam.transforms.SiloTask;

/** Small synthetic silos written to a temporary folder, and the round computed without Beam. */
public final class Fixtures {
  public static final int FEATURES = 6;
  public static final int CLASSES = 3;
  public static final ModelSpec SPEC = ModelSpec.of(FEATURES, List.of(5), CLASSES);
  public static final TrainConfig CONFIG = new TrainConfig(2, 8, 0.1, 0.9, 1e-4);

  private Fixtures() {}

  /** Gaussian blobs, one centre per class, seeded. */
  public static Dataset blobs(String name, int rows, long seed) {
    SplittableRandom random = new SplittableRandom(seed);
    float[] x = new float[rows * FEATURES];
    int[] y = new int[rows];
    for (int i = 0; i < rows; i++) {
      y[i] = random.nextInt(CLASSES);
      for (int f = 0; f < FEATURES; f++) {
        x[i * FEATURES + f] = (float) (random.nextGaussian() + (f % CLASSES == y[i] ? 2.0 : 0.0));
      }
    }
    return new Dataset(name, x, y, FEATURES, CLASSES);
  }

  /** Writes one shard per entry (silo id -> rows) and returns silo id -> URI. */
  public static Map<String, String> writeSilos(Path dir, Map<String, Integer> rows) {
    Map<String, String> silos = new LinkedHashMap<>();
    long seed = 100;
    for (var e : rows.entrySet()) {
      String uri = dir.resolve(e.getKey()).resolve("train.fbds").toString();
      Artifacts.writeAtomically(uri, DatasetFormat.encode(blobs(e.getKey(), e.getValue(), seed++)));
      silos.put(e.getKey(), uri);
    }
    return silos;
  }

  public static String writeEval(Path dir, String name, int rows) {
    String uri = dir.resolve("orchestrator").resolve(name + ".fbds").toString();
    Artifacts.writeAtomically(uri, DatasetFormat.encode(blobs(name, rows, 999)));
    return uri;
  }

  /** An empty server state (FedAvg's) written under {@code dir}, for a round descriptor's state_in. */
  public static String emptyState(Path dir) {
    String uri = dir.resolve("state").resolve("empty.state").toString();
    org.fedbeam.transforms.Artifacts.writeAtomically(uri, org.fedbeam.model.strategy.ServerState.EMPTY.encode());
    return uri;
  }

  /** Where a round descriptor's state_out goes, under {@code dir}. */
  public static String stateOut(Path dir, int round) {
    return dir.resolve("state").resolve("round-" + round + ".state").toString();
  }

  public static List<SiloTask> tasks(Map<String, String> silos, int round) {
    List<SiloTask> tasks = new ArrayList<>();
    long seed = 7;
    for (var e : silos.entrySet()) {
      tasks.add(new SiloTask(e.getKey(), e.getValue(), round, seed++, CONFIG));
    }
    return tasks;
  }

  /** The round without Beam: each silo trains from {@code global}, then the sample-weighted mean. */
  public static Parameters expectedRound(Parameters global, List<SiloTask> tasks) {
    DenseNetwork network = new DenseNetwork(global.spec());
    List<Parameters> updates = new ArrayList<>();
    List<Long> weights = new ArrayList<>();
    for (SiloTask task : tasks) {
      Dataset shard = DatasetFormat.decode(Artifacts.read(task.dataUri(), "shard"), task.dataUri());
      if (shard.size() == 0) {
        continue;
      }
      updates.add(network.train(global, shard, task.config(), task.seed()).parameters());
      weights.add((long) shard.size());
    }
    return Aggregation.weightedAverage(updates, weights);
  }
}
