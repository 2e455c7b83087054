package org.fedbeam.pipelines.federated;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintStream;
import java.time.Clock;
import java.util.List;
import org.fedbeam.model.Parameters;
import org.fedbeam.model.strategy.Convergence;
import org.fedbeam.pipelines.loop.RoundLoop;
import org.fedbeam.pipelines.loop.RunOptions;
import org.fedbeam.pipelines.loop.RunState;
import org.fedbeam.pipelines.loop.RunSummary;
import org.fedbeam.pipelines.loop.StopSignal;
import org.fedbeam.pipelines.protocol.Exchange;
import org.fedbeam.pipelines.protocol.JobSpec;
import org.fedbeam.pipelines.protocol.Keys;
import org.fedbeam.pipelines.rounds.RoundRecords;
import org.fedbeam.pipelines.runners.Runners;
import org.fedbeam.transforms.Artifacts;

/**
 * The orchestrator of the federated mode ({@code fedbeam orchestrate --job JOB.json}): the same
 * {@link RoundLoop} as the simulation, with the exchange with the silos as its executor
 * ({@link ExchangeRounds}): the job's strategy configures each round and aggregates on the
 * orchestrator's own Flink, and the run leaves the same records as a simulation (models with
 * provenance, server state, metrics.csv, run-summary.json).
 *
 * <p>It trusts no silo's word alone: an answer must be signed by one of the silo's keys that is
 * valid at the time it is verified (so a silo rotating its key is accepted with either key during
 * the overlap, and not with the old one after its {@code not_after}); an update may claim no more
 * samples than its silo declared, and each update's share of the round is capped
 * ({@link RoundWeights}).
 */
public final class Orchestrator {
  private final JobSpec job;
  private final Keys.Identity identity;
  private final OrchestrateOptions options;
  private final PrintStream out;
  private final ExchangeRounds exchange;

  Orchestrator(JobSpec job, OrchestrateOptions options, PrintStream out) {
    this(job, options, out, Clock.systemUTC(), ExchangeRounds.Sleeper.REAL);
  }

  /** {@code clock} decides which of a silo's keys are valid when its answer is verified. */
  Orchestrator(JobSpec job, OrchestrateOptions options, PrintStream out, Clock clock) {
    this(job, options, out, clock, ExchangeRounds.Sleeper.REAL);
  }

  /** {@code clock} and {@code sleeper} also measure and wait out the rounds' deadlines and grace periods. */
  Orchestrator(JobSpec job, OrchestrateOptions options, PrintStream out, Clock clock, ExchangeRounds.Sleeper sleeper) {
    if (options.getWarmUpRuns() < 0) {
      throw new IllegalArgumentException("--warm-up-runs must be 0 or more, was " + options.getWarmUpRuns());
    }
    if (options.getMaxNewRounds() < 0) {
      throw new IllegalArgumentException("--max-new-rounds must be 0 (no limit) or more, was " + options.getMaxNewRounds());
    }
    int modes = (options.getResume() ? 1 : 0) + (options.getResumeOrStart() ? 1 : 0) + (options.getOverwrite() ? 1 : 0);
    if (modes > 1) {
      throw new IllegalArgumentException("--resume, --resume-or-start and --overwrite exclude each other; give one");
    }
    this.job = job;
    this.identity = Keys.load(job.submitterKey());
    this.options = options;
    this.out = out;
    this.exchange = new ExchangeRounds(job, identity, options, out, clock, sleeper);
  }

  /** Runs the job the options name; returns the run summary (also in OUTPUT/run-summary.json). */
  public static ObjectNode run(OrchestrateOptions options, PrintStream out) throws Exception {
    JobSpec job = JobSpec.read(java.nio.file.Path.of(options.getJob()));
    return new Orchestrator(job, options, out).run();
  }

  /** The loop's settings from the job file. */
  static RoundLoop.Settings settings(JobSpec job) {
    return org.fedbeam.pipelines.loop.InitialModel.apply(new RoundLoop.Settings(job.spec(), job.config(),
        job.strategy(), job.participation(), job.rounds(), new Convergence(job.patience(), job.tolerance()), job.seed()),
        job.initialModel(), "the job file's model", null);
  }

  /**
   * What a resumed run must share with the run it continues, named as the job file names it: every
   * field that changes the models, in a canonical form (reformatting the file changes nothing).
   * Deadlines, grace, attempts, polling, keys and paths are not in it: they may change between runs.
   */
  static java.util.Map<String, String> fingerprint(JobSpec job) {
    java.util.Map<String, String> f = new java.util.LinkedHashMap<>();
    f.put("job_id", job.jobId());
    flatten("model", org.fedbeam.transforms.ConfigJson.toJson(job.spec()), f);
    flatten("train", org.fedbeam.transforms.ConfigJson.toJson(job.config()), f);
    f.put("rounds", Integer.toString(job.rounds()));
    f.put("seed", Long.toString(job.seed()));
    f.put("strategy", job.strategy().name() + " " + new java.util.TreeMap<>(job.strategy().parameters()));
    f.put("fraction", Double.toString(job.participation().fraction()));
    f.put("min_silos", Integer.toString(job.minSilos()));
    f.put("patience", Integer.toString(job.patience()));
    f.put("tolerance", Double.toString(job.tolerance()));
    f.put("silos", job.silos().stream().map(s -> s.id() + (s.declared() ? "=" + s.declaredSamples() : ""))
        .collect(java.util.stream.Collectors.joining(",")));
    f.put("evaluation", new java.util.TreeMap<>(job.evaluation()).toString());
    f.put("max_update_norm", Double.toString(job.maxUpdateNorm()));
    f.put("max_samples", Long.toString(job.maxSamples()));
    f.put("max_silo_share", Double.toString(job.maxSiloShare()));
    if (job.preprocessing() != null) { // absent for jobs without one, so their fingerprints are unchanged
      f.put("preprocessing_sha256", Artifacts.sha256Hex(org.fedbeam.pipelines.protocol.JobPreprocessing.load(
          job.preprocessing(), job.spec(), "job " + job.jobId()).toJson()));
    }
    return f;
  }

  /**
   * An object's fields as {@code prefix.field} entries ({@code train.learning_rate},
   * {@code train.dp.clip}), so a refused resume names the very field that changed; other values as
   * their JSON text.
   */
  private static void flatten(String prefix, com.fasterxml.jackson.databind.JsonNode node, java.util.Map<String, String> f) {
    if (!node.isObject()) {
      f.put(prefix, node.isTextual() ? node.asText() : node.toString());
      return;
    }
    java.util.List<String> names = new java.util.ArrayList<>();
    node.fieldNames().forEachRemaining(names::add);
    java.util.Collections.sort(names);
    for (String name : names) {
      flatten(prefix + "." + name, node.get(name), f);
    }
  }

  ObjectNode run() throws Exception {
    RunState.Start start = options.getResumeOrStart() ? RunState.Start.RESUME_OR_NEW : RunOptions.start(options);
    // the settings first (an initial model that does not fit is refused here): nothing is created before
    RoundLoop.Settings settings = settings(job);
    try {
      // up front, before anything is posted or written: a finished job, another job's folder, changed settings
      RunState.check(job.output(), start, fingerprint(job), false);
    } catch (RunState.Refused e) {
      throw new RunState.Refused("job " + job.jobId() + ": " + e.getMessage());
    }
    // two orchestrators never drive one job at once (a scheduled slice overlapping the next): the second stops here
    try (RunLock lock = RunLock.acquire(job.output(), job.jobId(), out)) {
      return runLocked(start, settings);
    }
  }

  /** The command that continues this job. */
  private String resumeCommand() {
    return "fedbeam orchestrate --job " + (options.getJob() == null ? "JOB.json" : options.getJob()) + " --resume";
  }

  private ObjectNode runLocked(RunState.Start start, RoundLoop.Settings settings) throws Exception {
    long started = System.nanoTime();
    out.printf("orchestrator (pid %d, key %s): job %s, %d silos, quorum %d, model %s, strategy %s%s%n",
        ProcessHandle.current().pid(), identity.keyId(), job.jobId(), job.silos().size(), job.minSilos(),
        job.spec().describe(), job.strategy().name(),
        job.strategy().parameters().isEmpty() ? "" : " " + job.strategy().parameters());
    for (JobSpec.Silo silo : job.silos()) {
      if (!silo.declared()) {
        out.printf("  silo %s declared no sample count: its updates get at most an equal share of a round%n", silo.id());
      }
    }
    RoundLoop.Result result;
    try (Runners.Session session = Runners.prepare(options, job.output(), options.getWebUiPort(), out)) {
      if (session.webUi() != null) {
        out.println("orchestrator Flink web UI " + session.webUi());
      }
      // each round's aggregation job is listed in the Flink web UI as fedbeam-JOB-round-NNNN
      try (StopSignal stop = StopSignal.onSignals(out, resumeCommand())) {
        result = RoundLoop.run(settings, exchange.using(session.roundRunner(job.jobId())), job.output(), out, 1e-5,
            new RoundLoop.RunControl(start, options.getMaxNewRounds(), fingerprint(job), stop, resumeCommand()));
      }
    }
    if (result.rounds().isEmpty()) {
      return RunSummary.noRound(result);
    }
    ObjectNode summary = RunSummary.of(settings, result, exchange, (System.nanoTime() - started) / 1e9);
    RunSummary.putStatus(summary, result, resumeCommand());
    org.fedbeam.pipelines.loop.Bundles.write(job.output(), settings, result, bundleMetadata(),
        job.jobId(), options.getKeep(), summary, out);
    RoundRecords.write(Artifacts.resolve(job.output(), "run-summary.json"), summary);
    return summary;
  }

  /** The job file's features, scaling and class labels ({@link org.fedbeam.pipelines.protocol.JobBundleFields}). */
  private org.fedbeam.pipelines.loop.Bundles.Metadata bundleMetadata() {
    if (job.preprocessing() != null) { // the preprocessing names the inputs and classes; predict applies it
      var pre = org.fedbeam.pipelines.protocol.JobPreprocessing.load(job.preprocessing(), job.spec(), "job " + job.jobId());
      var b = org.fedbeam.model.bundle.ModelBundle.of(new org.fedbeam.model.DenseNetwork(job.spec()).initialize(0), pre, "");
      return new org.fedbeam.pipelines.loop.Bundles.Metadata(b.featureNames(), b.scaling(), b.classLabels(), pre);
    }
    if (options.getJob() == null) {
      return org.fedbeam.pipelines.loop.Bundles.Metadata.numbered(job.spec().inputs(), job.spec().classes());
    }
    var fields = org.fedbeam.pipelines.protocol.JobBundleFields.read(java.nio.file.Path.of(options.getJob()), job.spec());
    return new org.fedbeam.pipelines.loop.Bundles.Metadata(fields.featureNames(), fields.scaling(), fields.classLabels());
  }

  /** Verifies a silo's answer (see {@link ExchangeRounds#verify}). */
  ExchangeRounds.Answer verify(JobSpec.Silo silo, Exchange exchange, Exchange.Slot slot, String nonce, Parameters global,
      String modelSha, double latency) {
    return this.exchange.verify(silo, exchange, slot, nonce, global, modelSha, latency);
  }

  /** The job cannot go on; the message says why. */
  public static final class JobFailed extends RuntimeException {
    JobFailed(String message) {
      super(message);
    }
  }
}
