package org.fedbeam.pipelines.federated;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintStream;
import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.beam.sdk.Pipeline;
import org.fedbeam.pipelines.protocol.Keys;
import org.fedbeam.pipelines.protocol.StatsJob;
import org.fedbeam.pipelines.rounds.StatsMergePipeline;
import org.fedbeam.pipelines.runners.RoundRunner;
import org.fedbeam.pipelines.runners.Runners;
import org.fedbeam.stats.GlobalStats;
import org.fedbeam.stats.SiloStats;
import org.fedbeam.stats.StatsQuery;
import org.fedbeam.transforms.Artifacts;
import org.fedbeam.transforms.Errors;

/**
 * {@code fedbeam stats --job JOB.json}: federated statistics in the deployment mode. Pass 1 asks every
 * silo of the job for its summary release (counts, moments, sketch, categories, labels) through the
 * signed exchange ({@link StatsRounds}), merges the verified releases on the orchestrator's own Flink
 * ({@link StatsMergePipeline}, a Beam CombineFn); pass 2 asks for histograms whose edges come from pass
 * 1's merge, and merges them too. It writes {@code stats.json} and {@code stats.txt} ({@link
 * StatsOutput}) and returns the summary ({@code columns}, {@code silos}, {@code suppressed_cells},
 * {@code epsilon_spent}) that the command prints as {@code SUMMARY {json}}. A silo whose answer is
 * invalid is left out, named, and the pass goes on with the quorum; releases that cannot be merged (a
 * column missing in one silo, or of another type there) fail the job naming the silos and the column.
 */
public final class StatsOrchestrator {
  private final StatsJob job;
  private final StatsJobOptions options;
  private final String output;
  private final PrintStream out;
  private final StatsRounds rounds;

  StatsOrchestrator(StatsJob job, StatsJobOptions options, PrintStream out, Clock clock, ExchangeRounds.Sleeper sleeper) {
    this.job = job;
    this.options = options;
    this.output = options.getOutput() != null ? options.getOutput() : Artifacts.resolve(job.output(), "stats");
    this.out = out;
    this.rounds = new StatsRounds(job, Keys.load(job.submitterKey()), output, out, clock, sleeper);
  }

  /** Runs the statistics of the job the options name; returns the summary. */
  public static ObjectNode run(StatsJobOptions options, PrintStream out) throws Exception {
    StatsJob job = StatsJob.read(java.nio.file.Path.of(options.getJob()));
    return new StatsOrchestrator(job, options, out, Clock.systemUTC(), ExchangeRounds.Sleeper.REAL).run();
  }

  ObjectNode run() throws Exception {
    out.printf("statistics of job %s (exchange job %s): %d silos, quorum %d, k %d, noise %s%n", job.jobId(),
        job.exchangeJob(), job.silos().size(), job.minSilos(), job.query().k(), job.query().noise().mechanism());
    Map<String, List<SiloStats>> releases = new LinkedHashMap<>();
    GlobalStats global;
    try (Runners.Session session = Runners.prepare(options, output, options.getWebUiPort(), out)) {
      RoundRunner runner = session.roundRunner();
      GlobalStats summary = pass(job.query(), 1, runner, releases);
      StatsQuery histograms = job.query().forHistograms(summary);
      global = summary;
      if (!histograms.histograms().isEmpty()) {
        global = summary.withHistograms(pass(histograms, 2, runner, releases));
      }
    }
    ObjectNode result = StatsOutput.write(output, job.jobId(), global, releases);
    out.printf("statistics written to %s (stats.json, stats.txt)%n", output);
    out.flush();
    return result;
  }

  private GlobalStats pass(StatsQuery query, int pass, RoundRunner runner, Map<String, List<SiloStats>> releases)
      throws InterruptedException {
    List<String> copies = new ArrayList<>();
    for (StatsRounds.Answer a : rounds.pass(query)) {
      if ("accepted".equals(a.status())) {
        copies.add(a.copy());
        releases.computeIfAbsent(a.silo(), s -> new ArrayList<>()).add(a.stats());
      }
    }
    String merged = Artifacts.resolve(output, "merged-pass-" + pass + ".json");
    String runUri = Artifacts.resolve(output, "current-merge.json");
    StatsMergePipeline.writeRun(runUri, copies, merged);
    Artifacts.deleteIfExists(merged);
    try {
      runner.run(pass, () -> {
        Pipeline p = Pipeline.create(options);
        StatsMergePipeline.build(p, runUri);
        return p;
      });
    } catch (RuntimeException e) {
      throw new Orchestrator.JobFailed("statistics job " + job.jobId() + ": the silos' releases of pass " + pass
          + " cannot be merged: " + Errors.messages(e));
    }
    GlobalStats g = StatsMergePipeline.read(merged);
    out.printf("  pass %d: %d silo(s) merged (%s)%n", pass, g.silos().size(), String.join(", ", g.silos()));
    out.flush();
    return g;
  }
}
