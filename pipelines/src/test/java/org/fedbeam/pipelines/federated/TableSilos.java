package org.fedbeam.pipelines.federated;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.fedbeam.data.table.Table;
import org.fedbeam.model.Seeds;
import org.fedbeam.pipelines.cli.FedBeam;
import org.fedbeam.preprocess.Preprocessing;
import org.fedbeam.stats.GlobalStats;
import org.fedbeam.stats.StatsComputation;
import org.fedbeam.stats.StatsQuery;
import org.fedbeam.transforms.SiloData;

/**
 * Test support: real breast-cancer rows ({@code fedbeam sample-data --split 3}, from python3-sklearn's
 * file) turned into prepared tables by {@code fedbeam prepare}, one per silo of a {@link World}, the
 * third part kept by the orchestrator; and the preprocessing fitted from the silos' federated
 * statistics (each silo's {@code SiloStats}, merged into {@code GlobalStats}: the simulation's code path,
 * as {@code fedbeam stats --job} is not there yet).
 */
final class TableSilos {
  static final String LABEL = "diagnosis";
  final List<Table> tables = new ArrayList<>();
  final Path heldOutCsv;
  final Path heldOutTable;

  TableSilos(World world, List<String> silos) throws Exception {
    Path csv = world.dir.resolve("providers/breast-cancer.csv");
    Files.createDirectories(csv.getParent());
    cli("sample-data", "--dataset", "breast-cancer", "--output", csv.toString(), "--split", "3", "--seed", "7");
    for (int i = 0; i < silos.size(); i++) {
      String silo = silos.get(i);
      Path table = world.privateDir(silo).resolve("train.fbtb");
      cli("prepare", "--input", csv.resolveSibling("breast-cancer-" + (i + 1) + ".csv").toString(), "--output",
          table.toString(), "--label-column", LABEL);
      world.data.put(silo, table.toString());
      ObjectNode policy = world.policy(silo);
      world.writePolicy(silo, policy);
      tables.add(SiloData.loadTable(table.toString(), "silo " + silo));
    }
    heldOutCsv = csv.resolveSibling("breast-cancer-3.csv");
    heldOutTable = world.dir.resolve("orchestrator/held-out.fbtb");
    cli("prepare", "--input", heldOutCsv.toString(), "--output", heldOutTable.toString(), "--label-column", LABEL);
  }

  /** The preprocessing fitted from the silos' merged statistics (k = 10). */
  Preprocessing federatedFit(Preprocessing.Scaling scaling) {
    GlobalStats merged = GlobalStats.empty();
    for (Table t : tables) {
      merged = merged.merge(GlobalStats.of(StatsComputation.INSTANCE.compute(StatsQuery.summary(10), t,
          Seeds.derive(5, "stats-" + t.source()))));
    }
    return Preprocessing.fit(merged, new Preprocessing.Options(scaling, Preprocessing.Impute.MEAN, 10));
  }

  /** Runs a fedbeam command in this JVM; fails with its output if it does not exit 0. */
  static String cli(String... args) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);
    int code = FedBeam.run(args, out, out);
    String text = bytes.toString(StandardCharsets.UTF_8);
    if (code != 0) {
      throw new AssertionError("fedbeam " + String.join(" ", args) + " exited " + code + ":\n" + text);
    }
    return text;
  }
}
