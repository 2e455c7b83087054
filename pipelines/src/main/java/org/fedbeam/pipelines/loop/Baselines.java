package org.fedbeam.pipelines.loop;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.fedbeam.data.Dataset;
import org.fedbeam.model.DenseNetwork;
import org.fedbeam.model.EvalReport;
import org.fedbeam.model.Parameters;
import org.fedbeam.model.Seeds;
import org.fedbeam.model.TrainConfig;
import org.fedbeam.transforms.SiloData;

/**
 * The two references a federated run is judged against, trained with the same model, start
 * weights, hyperparameters and number of passes over the data:
 * <ul>
 *   <li>centralized: one model on the pooled shards of every silo (what FL tries to approach);</li>
 *   <li>local: each silo alone on its own shard (what a silo gets without federation).</li>
 * </ul>
 * Both are evaluated on the orchestrator's test set. They run in plain threads: they are
 * references, not federated jobs.
 */
public final class Baselines {
  /** Test-set reports: the centralized model, and each silo's model by silo id. */
  public record Result(EvalReport centralized, Map<String, EvalReport> local, double seconds) {
    public double localMean() {
      return local.values().stream().mapToDouble(EvalReport::accuracy).average().orElse(Double.NaN);
    }

    public double localMin() {
      return local.values().stream().mapToDouble(EvalReport::accuracy).min().orElse(Double.NaN);
    }
  }

  private Baselines() {}

  public static Result run(SimulationData data, Parameters start, TrainConfig config, int passes, long seed, int threads)
      throws Exception {
    long t0 = System.nanoTime();
    Dataset test = SiloData.load(data.evaluationSets().get("test"), "test set");
    Map<String, Dataset> shards = new LinkedHashMap<>();
    for (var silo : data.silos().entrySet()) {
      Dataset shard = SiloData.load(silo.getValue(), "silo " + silo.getKey());
      if (shard.size() > 0) {
        shards.put(silo.getKey(), shard);
      }
    }
    Dataset pooled = Dataset.concat("pooled silos", new ArrayList<>(shards.values()));
    DenseNetwork network = new DenseNetwork(start.spec());
    TrainConfig all = config.withEpochs(passes);
    ExecutorService pool = Executors.newFixedThreadPool(Math.max(1, threads));
    try {
      Future<EvalReport> central = pool.submit(() ->
          network.evaluate(network.train(start, pooled, all, Seeds.derive(seed, "centralized")).parameters(), test));
      Map<String, Future<EvalReport>> local = new LinkedHashMap<>();
      int index = 0;
      for (var e : shards.entrySet()) {
        long siloSeed = Seeds.derive(seed, "local-only", index++);
        local.put(e.getKey(), pool.submit(() ->
            network.evaluate(network.train(start, e.getValue(), all, siloSeed).parameters(), test)));
      }
      Map<String, EvalReport> localReports = new LinkedHashMap<>();
      for (var e : local.entrySet()) {
        localReports.put(e.getKey(), e.getValue().get());
      }
      return new Result(central.get(), localReports, (System.nanoTime() - t0) / 1e9);
    } finally {
      pool.shutdownNow();
    }
  }
}
