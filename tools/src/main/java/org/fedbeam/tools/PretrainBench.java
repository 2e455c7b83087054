package org.fedbeam.tools;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.IntStream;
import org.fedbeam.data.Dataset;
import org.fedbeam.data.DatasetFormat;
import org.fedbeam.data.IdxReader;
import org.fedbeam.data.Partitioner;
import org.fedbeam.model.DenseNetwork;
import org.fedbeam.model.ModelFormat;
import org.fedbeam.model.ModelSpec;
import org.fedbeam.model.Parameters;
import org.fedbeam.model.Permutations;
import org.fedbeam.model.Seeds;
import org.fedbeam.model.TrainConfig;
import org.fedbeam.pipelines.cli.FedBeam;
import org.fedbeam.pipelines.loop.RoundLoop;
import org.fedbeam.pipelines.loop.Simulation;
import org.fedbeam.pipelines.loop.SimulationData;
import org.fedbeam.pipelines.loop.TrainOptions;
import org.fedbeam.pipelines.runners.Runners;
import org.fedbeam.transforms.Artifacts;

/**
 * The accuracy of starting a federation from a pretrained model, on Fashion-MNIST
 * ({@code java -cp CLASSPATH org.fedbeam.tools.PretrainBench --output DIR [--seed N] [--rounds R]}):
 * <ol>
 *   <li>the orchestrator holds a share of the training split; it pretrains an MLP centrally on its rows
 *       of classes 0-4 only;</li>
 *   <li>a federation of 10 silos (Dirichlet 0.5 over all classes, the rest of the training split) runs
 *       R rounds of FedAvg from the pretrained model, and the same R rounds from a seeded initial model;</li>
 *   <li>each federated model is fine-tuned (the same way) on the orchestrator's small labelled set of all
 *       classes.</li>
 * </ol>
 * Every model is tested on the official 10,000-row test split. Prints a table and a last line
 * {@code PRETRAIN {json}}.
 */
public final class PretrainBench {
  private static final int ORCHESTRATOR_ROWS = 6000;
  private static final int FINETUNE_ROWS = 1000;
  private static final int VALIDATION_ROWS = 5000;

  private PretrainBench() {}

  public static void main(String[] args) throws Exception {
    Map<String, String> flags = new LinkedHashMap<>(Map.of("output", "", "seed", "42", "rounds", "10",
        "pretrain-epochs", "5", "finetune-epochs", "5", "fashion-mnist-dir", IdxReader.FASHION_MNIST_DIR.toString()));
    for (int i = 0; i + 1 < args.length; i += 2) {
      String name = args[i].replaceFirst("^--", "");
      if (!flags.containsKey(name)) {
        throw new IllegalArgumentException("unknown flag " + args[i] + "; known: " + flags.keySet());
      }
      flags.put(name, args[i + 1]);
    }
    if (flags.get("output").isEmpty()) {
      throw new IllegalArgumentException("--output DIR is required");
    }
    run(flags.get("output"), Long.parseLong(flags.get("seed")), Integer.parseInt(flags.get("rounds")),
        Integer.parseInt(flags.get("pretrain-epochs")), Integer.parseInt(flags.get("finetune-epochs")),
        Path.of(flags.get("fashion-mnist-dir")), System.out);
  }

  static Map<String, Double> run(String output, long seed, int rounds, int pretrainEpochs, int finetuneEpochs,
      Path fashionMnist, PrintStream out) throws Exception {
    long t0 = System.nanoTime();
    Dataset train = IdxReader.fashionMnistTrain(fashionMnist);
    Dataset test = IdxReader.fashionMnistTest(fashionMnist);
    int[] order = Permutations.identity(train.size());
    Permutations.shuffle(order, new SplittableRandom(Seeds.derive(seed, "pretrain-bench-split")));
    int[] orchestrator = sorted(Arrays.copyOfRange(order, 0, ORCHESTRATOR_ROWS));
    int[] validation = sorted(Arrays.copyOfRange(order, ORCHESTRATOR_ROWS, ORCHESTRATOR_ROWS + VALIDATION_ROWS));
    int[] federation = sorted(Arrays.copyOfRange(order, ORCHESTRATOR_ROWS + VALIDATION_ROWS, order.length));
    Dataset own = train.subset("orchestrator", orchestrator);
    Dataset pretrainRows = own.subset("orchestrator, classes 0-4",
        IntStream.range(0, own.size()).filter(r -> own.label(r) < 5).toArray());
    Dataset finetuneRows = own.head("orchestrator's labelled set", FINETUNE_ROWS);

    ModelSpec spec = ModelSpec.of(train.featureCount(), List.of(128), 10);
    DenseNetwork net = new DenseNetwork(spec);
    TrainConfig pretrainConfig = new TrainConfig(pretrainEpochs, 64, 0.05, 0.9, 0);
    TrainConfig finetuneConfig = new TrainConfig(finetuneEpochs, 32, 0.01, 0.9, 0);
    out.printf("orchestrator: %d rows (%d of classes 0-4 for pretraining, %d labelled for fine-tuning); federation:"
        + " %d rows in 10 silos; validation %d; test %d; seed %d%n", own.size(), pretrainRows.size(),
        finetuneRows.size(), federation.length, validation.length, test.size(), seed);
    Parameters pretrained = net.train(net.initialize(Seeds.derive(seed, "pretrain-init")), pretrainRows,
        pretrainConfig, Seeds.derive(seed, "pretrain"), org.fedbeam.model.Freezing.NONE).parameters();
    String pretrainedUri = Artifacts.resolve(output, "pretrained.fbm");
    Artifacts.writeAtomically(pretrainedUri, ModelFormat.encode(pretrained));

    SimulationData data = shards(train.subset("federation", federation), train.subset("validation", validation), test,
        output, seed);
    Map<String, Double> table = new LinkedHashMap<>();
    table.put("pretrained (centralized, classes 0-4)", accuracy(net, pretrained, test));
    Parameters fromPretrained = federate(data, output + "/from-pretrained", seed, rounds, pretrained, pretrainedUri, out);
    table.put("pretrained -> federated", accuracy(net, fromPretrained, test));
    table.put("pretrained -> federated -> fine-tuned", accuracy(net,
        net.train(fromPretrained, finetuneRows, finetuneConfig, Seeds.derive(seed, "finetune")).parameters(), test));
    Parameters fromScratch = federate(data, output + "/from-scratch", seed, rounds, null, null, out);
    table.put("federated from scratch", accuracy(net, fromScratch, test));
    table.put("federated from scratch -> fine-tuned", accuracy(net,
        net.train(fromScratch, finetuneRows, finetuneConfig, Seeds.derive(seed, "finetune")).parameters(), test));
    table.put("fine-tuned set alone (from a seeded model)", accuracy(net,
        net.train(net.initialize(Seeds.derive(seed, "pretrain-init")), finetuneRows, finetuneConfig,
            Seeds.derive(seed, "finetune")).parameters(), test));

    out.println();
    out.printf("| %-44s | %s |%n", "model (Fashion-MNIST test, 10,000 rows)", "accuracy");
    out.printf("|%s|%s|%n", "-".repeat(46), "-".repeat(10));
    table.forEach((k, v) -> out.printf("| %-44s | %.4f   |%n", k, v));
    out.printf("%d rounds each, 1 local epoch, FedAvg; fine-tuning %d epochs on %d rows; %.0f s in all%n", rounds,
        finetuneEpochs, finetuneRows.size(), (System.nanoTime() - t0) / 1e9);
    StringBuilder json = new StringBuilder("{\"seed\":" + seed + ",\"rounds\":" + rounds);
    table.forEach((k, v) -> json.append(",\"").append(k).append("\":").append(String.format("%.4f", v)));
    out.println("PRETRAIN " + json.append('}'));
    return table;
  }

  /** FedAvg over the silos for exactly {@code rounds} rounds (no early stop), from {@code start} or a seeded model. */
  private static Parameters federate(SimulationData data, String output, long seed, int rounds, Parameters start,
      String origin, PrintStream out) throws Exception {
    TrainOptions options = FedBeam.parse("train", List.of("--output", output, "--silos", "10", "--rounds",
        String.valueOf(rounds), "--patience", String.valueOf(rounds + 1), "--seed", String.valueOf(seed),
        "--runner", "DirectRunner", "--no-baselines"), TrainOptions.class);
    RoundLoop.Settings settings = Simulation.settings(options, data.featureCount(), data.classes());
    if (start != null) {
      settings = settings.withInitialModel(start, origin);
    }
    out.println("federated run " + output + (start == null ? " (from a seeded model)" : " (from " + origin + ")"));
    RoundLoop.Result result;
    try (Runners.Session session = Runners.prepare(options, output, options.getWebUiPort(), out)) {
      result = Simulation.run(options, session.roundRunner(), data, settings, output, out);
    }
    return ModelFormat.decode(Artifacts.read(result.finalModelUri(), "the final model"), result.finalModelUri());
  }

  /** The federation's silo shards (10 silos, Dirichlet 0.5) and the orchestrator's evaluation sets, as files. */
  private static SimulationData shards(Dataset pool, Dataset validation, Dataset test, String output, long seed) {
    int[] labels = IntStream.range(0, pool.size()).map(pool::label).toArray();
    int[][] parts = Partitioner.split(labels, pool.classes(), 10, Partitioner.Scheme.parse("dirichlet"), 0.5,
        Seeds.derive(seed, "partition"));
    Map<String, String> silos = new LinkedHashMap<>();
    Map<String, Integer> sizes = new LinkedHashMap<>();
    for (int s = 0; s < parts.length; s++) {
      String id = String.format("silo-%02d", s);
      String uri = Artifacts.resolve(output, "silos/" + id + "/train.fbds");
      Artifacts.writeAtomically(uri, DatasetFormat.encode(pool.subset(id, parts[s])));
      silos.put(id, uri);
      sizes.put(id, parts[s].length);
    }
    Map<String, String> eval = new LinkedHashMap<>();
    for (var e : Map.of("validation", validation, "test", test).entrySet()) {
      String uri = Artifacts.resolve(output, "orchestrator/" + e.getKey() + ".fbds");
      Artifacts.writeAtomically(uri, DatasetFormat.encode(e.getValue()));
      eval.put(e.getKey(), uri);
    }
    return new SimulationData(silos, eval, pool.featureCount(), pool.classes(), sizes, "fashion-mnist (shards)");
  }

  private static double accuracy(DenseNetwork net, Parameters model, Dataset test) {
    return net.evaluate(model, test, Runtime.getRuntime().availableProcessors()).accuracy();
  }

  private static int[] sorted(int[] rows) {
    Arrays.sort(rows);
    return rows;
  }
}
