package org.fedbeam.pipelines.loop;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.options.PipelineOptions;
import org.fedbeam.model.strategy.Strategy;
import org.fedbeam.pipelines.rounds.RoundDescriptor;
import org.fedbeam.pipelines.rounds.RoundPipeline;
import org.fedbeam.pipelines.rounds.RoundRecords;
import org.fedbeam.pipelines.runners.RoundRunner;
import org.fedbeam.transforms.Artifacts;
import org.fedbeam.transforms.SiloTask;

/**
 * The simulation's executor of the {@link RoundLoop}: every round is one bounded Beam pipeline
 * ({@link RoundPipeline}, the same for the whole run, so a runner translates it once) that trains
 * the round's silos from the global model, aggregates with the strategy's aggregator, takes the
 * strategy's server step, writes the new model and evaluates it. What changes from round to round
 * is in the {@link RoundDescriptor} written before each run.
 */
public final class SimulationRounds implements RoundLoop.Executor {
  private final RoundRunner runner;
  private final SimulationData data;
  private final SiloSeeds seeds;
  private final Supplier<Pipeline> pipeline;
  private final String descriptorUri;
  private final Map<String, Long> shardBytes;
  private final List<String> silos;
  private final SiloAttacks attacks;

  /**
   * Rounds of {@code data}'s silos with {@code strategy}, run by {@code runner} with the runner
   * {@code options} select; round descriptors under {@code output}.
   */
  public SimulationRounds(PipelineOptions options, RoundRunner runner, SimulationData data, RoundLoop.Settings settings,
      SiloSeeds seeds, SiloAttacks attacks, String output) {
    this.runner = runner;
    this.data = data;
    this.seeds = seeds;
    this.attacks = attacks;
    this.descriptorUri = RoundDescriptor.uri(output);
    Strategy strategy = settings.strategy();
    RoundPipeline.Plan plan = new RoundPipeline.Plan(descriptorUri, settings.spec(), data.evaluationSets(),
        workers(options), strategy);
    this.pipeline = () -> {
      Pipeline p = Pipeline.create(options);
      RoundPipeline.build(p, plan);
      return p;
    };
    this.shardBytes = shardBytes(data.silos());
    this.silos = List.copyOf(data.silos().keySet());
  }

  /** The run's Byzantine silos (none in an honest run). */
  public SiloAttacks attacks() {
    return attacks;
  }

  @Override
  public String mode() {
    return "simulation";
  }

  @Override
  public List<String> silos() {
    return silos;
  }

  @Override
  public RoundLoop.RoundOutcome run(RoundLoop.Round round) throws Exception {
    RoundRecords.clear(round.roundDir());
    List<SiloTask> tasks = tasks(data, seeds, attacks, round.round(), round.silos(), round.config());
    new RoundDescriptor(round.round(), round.globalModelUri(), round.modelUri(), round.roundDir(), tasks, shardBytes,
        round.stateInUri(), round.stateOutUri()).write(descriptorUri);
    runner.run(round.round(), pipeline);
    if (!Artifacts.exists(round.modelUri())) {
      throw new IllegalStateException("round " + round.round() + " produced no global model: no silo sent an update"
          + " (left out: " + RoundRecords.readSkipped(round.roundDir()) + ")");
    }
    RoundRecords.Outcome outcome = RoundRecords.read(round.round(), round.roundDir(),
        new ArrayList<>(data.evaluationSets().keySet()));
    return new RoundLoop.RoundOutcome(outcome.participants(), outcome.skipped(), outcome.evaluations());
  }

  /**
   * The tasks of round {@code round} for the {@code chosen} silos: each silo's shard, its seed for
   * the round (by its index among all of {@code data}'s silos), the round's config and its attack if
   * it is Byzantine.
   */
  static List<SiloTask> tasks(SimulationData data, SiloSeeds seeds, SiloAttacks attacks, int round, List<String> chosen,
      org.fedbeam.model.TrainConfig config) {
    List<String> all = new ArrayList<>(data.silos().keySet());
    List<SiloTask> tasks = new ArrayList<>();
    for (String silo : chosen) {
      tasks.add(new SiloTask(silo, data.silos().get(silo), round, seeds.seed(silo, all.indexOf(silo), round), config,
          attacks.of(silo)));
    }
    return tasks;
  }

  /** Each silo's shard size in bytes (0 if it cannot be found: training then fails naming the file). */
  public static Map<String, Long> shardBytes(Map<String, String> silos) {
    Map<String, Long> bytes = new HashMap<>();
    for (var silo : silos.entrySet()) {
      var metadata = Artifacts.metadataOrNull(silo.getValue());
      bytes.put(silo.getKey(), metadata == null ? 0L : metadata.sizeBytes());
    }
    return bytes;
  }

  /** How many silos train at once: the Flink parallelism when set, else this machine's cores. */
  static int workers(PipelineOptions options) {
    int parallelism = options.as(org.apache.beam.runners.flink.FlinkPipelineOptions.class).getParallelism();
    return parallelism > 0 ? parallelism : Runtime.getRuntime().availableProcessors();
  }
}
