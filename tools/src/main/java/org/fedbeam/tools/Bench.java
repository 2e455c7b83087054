package org.fedbeam.tools;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.fedbeam.data.Dataset;
import org.fedbeam.data.IdxReader;
import org.fedbeam.model.DenseNetwork;
import org.fedbeam.model.ModelKind;
import org.fedbeam.model.ModelSpec;
import org.fedbeam.model.Parameters;
import org.fedbeam.model.Stats;
import org.fedbeam.model.TrainConfig;
import org.fedbeam.model.WeightedSum;
import org.fedbeam.pipelines.cli.TrainJob;
import org.fedbeam.pipelines.loop.RoundLoop;
import org.fedbeam.pipelines.loop.Simulation;
import org.fedbeam.pipelines.loop.SimulationData;
import org.fedbeam.pipelines.loop.TrainOptions;
import org.fedbeam.pipelines.rounds.RoundRecords;
import org.fedbeam.pipelines.runners.Runners;

/**
 * {@code fedbeam bench}: measures, in one process and one run, the figures the project's
 * performance targets are stated in, and ends with a line {@code BENCH} + JSON:
 * <ul>
 *   <li>{@code round_overhead_s_median}: round wall time minus the slowest silo's training time,
 *       over a federated Fashion-MNIST run on the embedded Flink with the main job's defaults (10
 *       silos, Dirichlet 0.5, 50 rounds, every round counted, the first included);
 *       {@code round_overhead_s_median_rounds_1_12} is the median over the first 12 rounds only
 *       (the bench's earlier round count, most of them before the JIT has warmed up);
 *       {@code round_critical_overhead_s_median} subtracts instead the least time the round's
 *       training could take on this many slots (max of the slowest silo and the summed training
 *       time / slots);</li>
 *   <li>{@code train_samples_per_s} and {@code numpy_train_samples_per_s}: the same MLP
 *       (784-128-10, batch 64, SGD with momentum) on one thread in the JVM and in NumPy;</li>
 *   <li>{@code aggregate_gb_s}: weighted average of 10 updates of 10M float32, GB/s of input read;
 *       {@code triad_gb_s}: a STREAM triad on doubles in the same JVM.</li>
 * </ul>
 * Every figure is a median over repeats; ratios are taken within this one run.
 */
final class Bench {
  private static final int AGG_UPDATES = 10;
  private static final int AGG_PARAMS = 10_000_000;
  /** Unmeasured runs before the bandwidth measurements, so the JIT has compiled the hot loops. */
  private static final int WARMUP = 5;

  private Bench() {}

  static ObjectNode run(BenchOptions options, PrintStream out) throws Exception {
    if (options.getDp()) {
      return DpBench.run(options, out);
    }
    if (options.getStrategies()) {
      return StrategyBench.run(options, out);
    }
    ObjectNode result = RoundRecords.JSON.createObjectNode();
    out.println("bench 1/4: aggregation and triad bandwidth");
    // a pair of measurements takes about 0.1 s: take three times as many as for the slower figures
    Bandwidth bandwidth = bandwidth(3 * options.getRepeats());
    double triad = bandwidth.triad();
    double aggregate = bandwidth.aggregate();
    out.printf("  aggregate %.2f GB/s, triad %.2f GB/s%n", aggregate, triad);
    out.println("bench 2/4: local training throughput, JVM (one thread)");
    Path fmnist = Path.of(options.getFashionMnistDir());
    double java = javaSamplesPerSecond(fmnist, options.getRepeats());
    out.printf("  JVM %.0f samples/s%n", java);
    out.println("bench 3/4: local training throughput, NumPy (one thread)");
    Double numpy = numpySamplesPerSecond(options, fmnist, out);
    out.println("  NumPy " + (numpy == null ? "not available" : String.format("%.0f samples/s", numpy)));
    out.println("bench 4/4: federated rounds on the embedded Flink");
    RoundFigures rounds = roundFigures(options, out);
    result.put("round_overhead_s_median", rounds.overhead());
    result.put("round_overhead_s_median_rounds_1_" + EARLY_ROUNDS, rounds.earlyOverhead());
    result.put("round_critical_overhead_s_median", rounds.criticalOverhead());
    result.put("round_wall_s_median", rounds.wall());
    result.put("round_slowest_silo_s_median", rounds.slowest());
    result.put("rounds_timed", rounds.count());
    result.put("train_samples_per_s", java);
    if (numpy == null) {
      result.putNull("numpy_train_samples_per_s");
      result.putNull("train_vs_numpy");
    } else {
      result.put("numpy_train_samples_per_s", numpy);
      result.put("train_vs_numpy", java / numpy);
    }
    result.put("aggregate_gb_s", aggregate);
    result.put("triad_gb_s", triad);
    result.put("aggregate_vs_triad", aggregate / triad);
    ObjectNode targets = result.putObject("targets");
    targets.put("round_overhead_le_0.5s", rounds.overhead() <= 0.5);
    targets.put("train_ge_0.9x_numpy", numpy != null && java >= 0.9 * numpy);
    targets.put("aggregate_ge_0.6x_triad", aggregate >= 0.6 * triad);
    out.println("BENCH " + RoundRecords.oneLine(result));
    return result;
  }

  record Bandwidth(double aggregate, double triad) {}

  /**
   * The aggregation and the triad, measured in alternation (triad, aggregate, triad, ...) so that
   * both see the same state of this shared host; each figure is the median over its repeats.
   * <ul>
   *   <li>aggregate: weighted average of 10 updates of 10M float32 with the CombineFn's
   *       accumulator ({@link WeightedSum}), GB/s of input read;</li>
   *   <li>triad: STREAM's {@code a = b + s * c} on 20M doubles, bytes counted as STREAM does
   *       (3 x 8 per element).</li>
   * </ul>
   */
  static Bandwidth bandwidth(int repeats) {
    int n = 20_000_000;
    double[] a = new double[n];
    double[] b = new double[n];
    double[] c = new double[n];
    java.util.Arrays.fill(b, 1.0);
    java.util.Arrays.fill(c, 2.0);
    ModelSpec spec = new ModelSpec(ModelKind.LOGREG, List.of(AGG_PARAMS / 10 - 1, 10));
    List<Parameters> updates = new ArrayList<>();
    SplittableRandom random = new SplittableRandom(7);
    for (int u = 0; u < AGG_UPDATES; u++) {
      float[] v = new float[spec.parameterCount()];
      for (int i = 0; i < v.length; i++) {
        v[i] = (float) random.nextDouble(-1, 1);
      }
      updates.add(Parameters.copyOf(spec, v));
    }
    double[] triadRates = new double[repeats];
    double[] aggregateRates = new double[repeats];
    float check = 0;
    for (int r = -WARMUP; r < repeats; r++) {
      long t = System.nanoTime();
      triad(a, b, c, 3.0);
      long triadNanos = System.nanoTime() - t;
      t = System.nanoTime();
      WeightedSum sum = new WeightedSum(spec);
      for (int u = 0; u < AGG_UPDATES; u++) {
        sum.add(updates.get(u), 1000 + u);
      }
      check += sum.average().get(12345);
      long aggregateNanos = System.nanoTime() - t;
      if (r >= 0) {
        triadRates[r] = 3.0 * 8 * n / triadNanos;
        aggregateRates[r] = 4.0 * AGG_PARAMS * AGG_UPDATES / aggregateNanos;
      }
    }
    if (a[n / 2] != 7.0) {
      throw new IllegalStateException("triad computed " + a[n / 2] + ", expected 7.0");
    }
    if (!Float.isFinite(check)) {
      throw new IllegalStateException("aggregation produced " + check);
    }
    return new Bandwidth(Stats.median(aggregateRates), Stats.median(triadRates));
  }

  private static void triad(double[] a, double[] b, double[] c, double s) {
    for (int i = 0; i < a.length; i++) {
      a[i] = b[i] + s * c[i];
    }
  }

  /** Samples per second of one-thread MLP training on Fashion-MNIST, median of per-epoch rates. */
  static double javaSamplesPerSecond(Path fmnist, int repeats) {
    Dataset train = IdxReader.fashionMnistTrain(fmnist);
    DenseNetwork network = new DenseNetwork(ModelSpec.of(784, List.of(128), 10));
    Parameters p = network.initialize(42);
    TrainConfig config = new TrainConfig(1, 64, 0.05, 0.9, 0);
    double[] rates = new double[repeats + 1];
    for (int r = 0; r <= repeats; r++) {
      long t = System.nanoTime();
      p = network.train(p, train, config, r).parameters();
      rates[r] = train.size() / ((System.nanoTime() - t) / 1e9);
    }
    return Stats.median(java.util.Arrays.copyOfRange(rates, 1, rates.length));
  }

  /** Runs the NumPy twin on one thread; null if python3 or NumPy is missing. */
  static Double numpySamplesPerSecond(BenchOptions options, Path fmnist, PrintStream out) throws Exception {
    Path script = Files.createTempFile("fedbeam-numpy-mlp", ".py");
    try (InputStream in = Bench.class.getResourceAsStream("bench/numpy_mlp.py")) {
      Files.write(script, in.readAllBytes());
    }
    ProcessBuilder pb = new ProcessBuilder(options.getPython(), script.toString(), fmnist.toString(), "128", "64",
        String.valueOf(options.getRepeats() + 1), "0.05", "0.9");
    pb.environment().put("OPENBLAS_NUM_THREADS", "1");
    pb.environment().put("OMP_NUM_THREADS", "1");
    pb.environment().put("MKL_NUM_THREADS", "1");
    pb.redirectErrorStream(true);
    Process process;
    try {
      process = pb.start();
    } catch (IOException e) {
      out.println("  " + options.getPython() + " cannot be started: " + e.getMessage());
      return null;
    }
    ByteArrayOutputStream buffer = new ByteArrayOutputStream();
    process.getInputStream().transferTo(buffer);
    if (!process.waitFor(10, TimeUnit.MINUTES)) {
      process.destroyForcibly();
      throw new IllegalStateException("the NumPy benchmark did not finish in 10 minutes");
    }
    Files.deleteIfExists(script);
    String text = buffer.toString(StandardCharsets.UTF_8).trim();
    if (process.exitValue() != 0) {
      if (text.contains("No module named 'numpy'")) {
        return null;
      }
      throw new IllegalStateException("the NumPy benchmark failed (exit " + process.exitValue() + "): " + text);
    }
    JsonNode json = RoundRecords.JSON.readTree(text.substring(text.lastIndexOf('\n') + 1));
    double[] rates = new double[json.get("samples_per_s").size() - 1];
    for (int i = 0; i < rates.length; i++) {
      rates[i] = json.get("samples_per_s").get(i + 1).asDouble();
    }
    out.println("  NumPy " + json.get("numpy").asText());
    return Stats.median(rates);
  }

  /** The bench timed this many rounds before the main job's 50; their median is reported as well. */
  static final int EARLY_ROUNDS = 12;

  record RoundFigures(double overhead, double earlyOverhead, double criticalOverhead, double wall, double slowest,
      int count) {}

  /** Federated rounds on the embedded Flink with the main job's defaults, without baselines. */
  static RoundFigures roundFigures(BenchOptions options, PrintStream out) throws Exception {
    TrainOptions train = options;
    train.setRounds(options.getBenchRounds());
    train.setPatience(options.getBenchRounds());
    train.setBaselines(false);
    SimulationData data = SimulationData.prepare(train, out);
    RoundLoop.Settings settings = Simulation.settings(train, data.featureCount(), data.classes());
    RoundLoop.Result result;
    int slots;
    try (Runners.Session session = Runners.prepare(train, train.getOutput(), train.getWebUiPort(), out)) {
      slots = train.as(org.apache.beam.runners.flink.FlinkPipelineOptions.class).getParallelism();
      result = Simulation.run(train, session.roundRunner(), data, settings, train.getOutput(), new PrintStream(out) {
        @Override
        public void println(String x) {
          super.println("  " + x);
        }
      });
    }
    return new RoundFigures(result.median(RoundLoop.RoundStats::overheadSeconds),
        Stats.median(result.rounds().stream().limit(EARLY_ROUNDS).mapToDouble(RoundLoop.RoundStats::overheadSeconds)
            .toArray()),
        result.median(s -> s.wallSeconds() - Math.max(s.slowestSiloSeconds(), summedTrainSeconds(s) / slots)),
        result.median(RoundLoop.RoundStats::wallSeconds), result.median(RoundLoop.RoundStats::slowestSiloSeconds),
        result.rounds().size());
  }

  private static double summedTrainSeconds(RoundLoop.RoundStats s) {
    return s.participants().values().stream().mapToLong(m -> m.trainMillis()).sum() / 1000.0;
  }
}
