package org.fedbeam.pipelines.federated;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.StringReader;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.fedbeam.data.table.SampleData;
import org.fedbeam.data.table.Table;
import org.fedbeam.data.table.TableCsv;
import org.fedbeam.data.table.TableFormat;
import org.fedbeam.pipelines.protocol.Exchange;
import org.fedbeam.pipelines.protocol.Keys;
import org.fedbeam.pipelines.protocol.Messages;
import org.fedbeam.pipelines.protocol.Signed;
import org.fedbeam.pipelines.protocol.StatsMessages;
import org.fedbeam.pipelines.rounds.SiloStatsPipeline;
import org.fedbeam.stats.StatsQuery;
import org.fedbeam.transforms.Artifacts;

/**
 * A {@link World} whose silos hold prepared tables: the real credit-g data set (Weka's, from Debian),
 * split in two halves (alpha the first 500 rows, beta the last 500), with policies that opt in to
 * statistics and approve the stats pipeline.
 */
final class StatsWorld {
  final World world;
  final Table pooled;
  final SampleData.Export export;

  StatsWorld(Path dir, UnaryOperator<List<List<String>>> betaRows) throws Exception {
    world = new World(dir, List.of("alpha", "beta"));
    export = SampleData.load("credit-g");
    List<List<String>> rows = export.rows();
    pooled = table(export.toCsv(rows), "pooled");
    write("alpha", export.toCsv(rows.subList(0, 500)));
    List<List<String>> b = betaRows.apply(new ArrayList<>(rows.subList(500, rows.size())));
    write("beta", export.toCsv(b));
  }

  /** Writes beta's table from {@code csv} (a header of its own), e.g. without a column. */
  void writeBeta(String csv) throws Exception {
    write("beta", csv);
  }

  private static Table table(String csv, String source) {
    return TableCsv.parse(new StringReader(csv), source + ".csv", TableCsv.Options.of("class")).table();
  }

  private void write(String silo, String csv) throws Exception {
    Path file = world.privateDir(silo).resolve("table.fbtb");
    Artifacts.writeAtomically(file.toString(), TableFormat.encode(table(csv, silo)));
    world.writePolicy(silo, policy(silo, p -> {}));
  }

  /** The silo's policy: a prepared table, statistics allowed with k 10, the stats pipeline approved. */
  ObjectNode policy(String silo, java.util.function.Consumer<ObjectNode> adjust) {
    ObjectNode p = world.policy(silo);
    p.put("data", world.privateDir(silo).resolve("table.fbtb").toString());
    p.put("declared_samples", 500);
    ((com.fasterxml.jackson.databind.node.ArrayNode) p.get("approved_pipelines")).addObject()
        .put("name", SiloStatsPipeline.NAME).put("version", SiloStatsPipeline.VERSION)
        .put("sha256", SiloStatsPipeline.definitionSha256());
    p.putObject("statistics").put("allowed", true).put("min_cell_count", 10).put("max_bins", 100)
        .putObject("noise").put("max_epsilon", 2.0);
    adjust.accept(p);
    return p;
  }

  /** A job file for statistics with {@code statistics} as its section. */
  Path job(String jobId, ObjectNode statistics) throws Exception {
    return world.job(jobId, 1, 2, 60, j -> j.set("statistics", statistics));
  }

  StatsJobOptions options(Path job, Path output) {
    return PipelineOptionsFactory.fromArgs("--runner=DirectRunner", "--job=" + job, "--output=" + output)
        .as(StatsJobOptions.class);
  }

  /** Publishes a stats request in {@code silo}'s exchange, as a (curious) orchestrator with {@code signer} would. */
  StatsMessages.StatsRequest publish(String silo, String job, int attempt, StatsQuery q, Keys.Identity signer) {
    StatsMessages.StatsRequest r = new StatsMessages.StatsRequest(job, StatsMessages.passOf(q.pass()), attempt,
        Messages.newNonce(), silo, SiloStatsPipeline.REF, q, System.currentTimeMillis() + 60_000);
    Exchange ex = new Exchange(world.exchanges.get(silo));
    Artifacts.writeAtomically(ex.request(new Exchange.Slot(job, r.pass(), attempt)),
        Signed.seal(StatsMessages.STATS_REQUEST, r.toJson(), signer));
    return r;
  }

  /** The silo's signed answer at the slot, opened with its key. */
  Signed.Opened answer(String silo, String job, int pass, int attempt) throws Exception {
    Exchange ex = new Exchange(world.exchanges.get(silo));
    Keys.Identity key = world.siloKeys.get(silo);
    return Signed.open(Artifacts.read(ex.answer(new Exchange.Slot(job, pass, attempt)), "answer"),
        java.util.Set.of(StatsMessages.STATS, Messages.REFUSAL), Map.of(key.keyId(), key.publicKey()));
  }

  /** Whether a stats file is in the silo's exchange at the slot. */
  boolean statsFileAt(String silo, String job, int pass, int attempt) {
    Exchange ex = new Exchange(world.exchanges.get(silo));
    return Artifacts.exists(StatsMessages.statsFile(ex, new Exchange.Slot(job, pass, attempt)));
  }
}
