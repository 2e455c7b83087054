package org.fedbeam.pipelines.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.transforms.Combine;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.values.PCollection;
import org.fedbeam.data.table.Table;
import org.fedbeam.data.table.TableFormat;
import org.fedbeam.pipelines.runners.RoundRunner;
import org.fedbeam.pipelines.rounds.StatsFiles;
import org.fedbeam.pipelines.runners.Runners;
import org.fedbeam.stats.GlobalStats;
import org.fedbeam.stats.GlobalStatsJson;
import org.fedbeam.stats.SiloStats;
import org.fedbeam.stats.SiloStatsJson;
import org.fedbeam.stats.StatsQuery;
import org.fedbeam.transforms.ComputeStats;
import org.fedbeam.transforms.MergeStatsCombineFn;
import org.fedbeam.transforms.StatsCoders;
import org.fedbeam.transforms.StatsTask;

/**
 * The simulation's {@code fedbeam stats --dataset CSV --label-column C --silos K --output DIR}: splits a
 * pooled CSV into K silo tables (a seeded shuffle, an even split; or takes one CSV per silo), then runs
 * the two passes of federated statistics, each a bounded Beam pipeline on the embedded Flink: {@code
 * Create(silo tasks) -> ComputeStats -> Combine.globally(MergeStatsCombineFn) -> write}. Writes {@code
 * stats.json} (global and per silo), {@code stats.txt} (each silo beside the global view), and a last
 * line {@code SUMMARY {json}} with {@code pooled_max_rel_error}: the largest relative difference of a
 * federated mean or variance from the pooled one, computed here only because a simulation holds the
 * pooled data.
 */
final class StatsCommand {
  static final String USAGE = "usage: fedbeam stats --dataset CSV[,CSV...] --label-column NAME --silos K --output DIR"
      + " [flags]   federated statistics in a simulation";
  private static final ObjectMapper JSON = new ObjectMapper();

  private StatsCommand() {}

  /** {@code fedbeam stats} (one dispatch line in {@link FedBeam}). */
  static int run(List<String> args, PrintStream out) throws Exception {
    return run(FedBeam.parse("stats", args, StatsOptions.class), out);
  }

  static int run(StatsOptions o, PrintStream out) throws Exception {
    if (o.getOutput() == null || !args(o)) {
      throw new IllegalArgumentException("stats needs --dataset CSV and --output DIR");
    }
    Path dir = Path.of(o.getOutput());
    Files.createDirectories(dir.resolve("silos"));
    List<Table> silos = StatsSilos.load(o);
    List<String> uris = new ArrayList<>();
    for (Table t : silos) {
      Path file = dir.resolve("silos").resolve(t.source() + ".fbt");
      Files.write(file, TableFormat.encode(t));
      uris.add(file.toString());
    }
    StatsQuery summary = StatsSilos.query(o);
    Passes passes;
    try (Runners.Session session = Runners.prepare(o, o.getOutput(), "8081-8099", false, out)) {
      Passes first = runPass(o, session, summary, silos, uris, dir, 1);
      StatsQuery second = summary.forHistograms(first.global);
      Passes hist = runPass(o, session, second, silos, uris, dir, 2);
      passes = new Passes(first.global.withHistograms(hist.global), StatsFiles.combine(first.silos, hist.silos));
    }
    ObjectNode s = StatsFiles.write(dir.toString(), null, passes.global, passes.silos, summary, more -> {
      more.put("pooled_max_rel_error", StatsSilos.pooledMaxRelError(passes.global, silos));
      more.put("output", dir.toString());
    });
    out.println("SUMMARY " + JSON.writeValueAsString(s));
    return 0;
  }

  private static boolean args(StatsOptions o) {
    return !"fashion-mnist".equals(o.getDataset());
  }

  private record Passes(GlobalStats global, Map<String, SiloStats> silos) {}

  private static Passes runPass(StatsOptions o, Runners.Session session, StatsQuery q, List<Table> silos,
      List<String> uris, Path dir, int pass) throws Exception {
    List<StatsTask> tasks = new ArrayList<>();
    for (int i = 0; i < silos.size(); i++) {
      tasks.add(new StatsTask(silos.get(i).source(), uris.get(i), q, o.getSeed() * 1_000_003L + 31L * i + pass));
    }
    Path passDir = dir.resolve("pass-" + pass);
    Files.createDirectories(passDir);
    RoundRunner.beam().run(pass, () -> {
      Pipeline p = Pipeline.create(o);
      PCollection<SiloStats> stats = p.apply("CreateSiloTasks", Create.of(tasks).withCoder(StatsCoders.StatsTaskCoder.of()))
          .apply("ComputeStats", ComputeStats.perSilo());
      stats.apply("WriteSiloStats", ParDo.of(new WriteSiloFn(passDir.toString())));
      stats.apply("MergeStats", Combine.globally(new MergeStatsCombineFn()).withoutDefaults())
          .apply("WriteGlobalStats", ParDo.of(new WriteGlobalFn(passDir.toString())));
      return p;
    });
    GlobalStats global = GlobalStatsJson.decode(Files.readAllBytes(passDir.resolve("global.json")), "pass " + pass);
    Map<String, SiloStats> per = new LinkedHashMap<>();
    for (Table t : silos) {
      Path f = passDir.resolve(t.source() + ".json");
      per.put(t.source(), SiloStatsJson.decode(Files.readAllBytes(f), f.toString()));
    }
    return new Passes(global, per);
  }

  /** Writes a silo's release of the pass (the simulation's stand-in for the exchange). */
  static final class WriteSiloFn extends DoFn<SiloStats, Void> {
    private final String dir;

    WriteSiloFn(String dir) {
      this.dir = dir;
    }

    @ProcessElement
    public void process(@Element SiloStats s) throws java.io.IOException {
      Files.write(Path.of(dir, s.silo() + ".json"), SiloStatsJson.encode(s));
    }
  }

  /** Writes the merged statistics of the pass. */
  static final class WriteGlobalFn extends DoFn<GlobalStats, Void> {
    private final String dir;

    WriteGlobalFn(String dir) {
      this.dir = dir;
    }

    @ProcessElement
    public void process(@Element GlobalStats g) throws java.io.IOException {
      Files.write(Path.of(dir, "global.json"), GlobalStatsJson.encode(g));
    }
  }

  static void help(boolean all, PrintStream out) {
    Help.options(out, "stats", USAGE, StatsOptions.class, all);
  }

}
