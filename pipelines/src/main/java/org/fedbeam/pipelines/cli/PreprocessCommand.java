package org.fedbeam.pipelines.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.PrintStream;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.fedbeam.pipelines.rounds.RoundRecords;
import org.fedbeam.preprocess.Preprocessing;
import org.fedbeam.stats.GlobalStats;
import org.fedbeam.stats.GlobalStatsJson;
import org.fedbeam.transforms.Artifacts;

/**
 * {@code fedbeam preprocess fit --stats STATS.json --output PREPROCESSING.json}: fits the preprocessing
 * (docs/preprocessing.md) from the merged statistics {@code fedbeam stats} wrote (its {@code global}
 * part: aggregates only, never a row) and writes it as the JSON a job file's {@code "preprocessing"}
 * names. It runs at the model owner's; nothing is sent anywhere.
 */
final class PreprocessCommand {
  static final String USAGE = "usage: fedbeam preprocess fit --stats STATS.json --output PREPROCESSING.json [flags]"
      + "   fits the preprocessing from federated statistics";
  static final List<Option> FIT = List.of(
      Option.required("stats", "STATS.json", "The statistics fedbeam stats wrote (OUTPUT/stats.json)"),
      Option.required("output", "FILE", "The preprocessing JSON to write, for the job file's \"preprocessing\""),
      Option.text("scaling", "standardize|minmax|none", "How numeric columns are scaled").withDefault("standardize"),
      Option.text("impute", "mean|median", "What a missing numeric value becomes").withDefault("mean"),
      Option.text("min-category-count", "K", "A category value gets its own input only if at least K records hold it")
          .withDefault("1").ofKind(Option.Kind.WHOLE));

  private PreprocessCommand() {}

  static int run(List<String> args, PrintStream out, PrintStream err) throws IOException {
    if (args.isEmpty() || !args.get(0).equals("fit")) {
      err.println(USAGE);
      return 2;
    }
    Map<String, String> f = Flags.values("preprocess fit", args.subList(1, args.size()), FIT);
    String stats = f.get("stats");
    JsonNode doc = RoundRecords.JSON.readTree(Artifacts.read(stats, "statistics"));
    JsonNode global = doc.has("global") ? doc.get("global") : doc;
    GlobalStats facts = GlobalStatsJson.decode(RoundRecords.JSON.writeValueAsBytes(global), stats);
    Preprocessing.Options options = new Preprocessing.Options(
        choice(Preprocessing.Scaling.class, "scaling", f.getOrDefault("scaling", "standardize")),
        choice(Preprocessing.Impute.class, "impute", f.getOrDefault("impute", "mean")),
        Long.parseLong(f.getOrDefault("min-category-count", "1")));
    Preprocessing pre = Preprocessing.fit(facts, options);
    for (String c : facts.partialColumns()) {
      out.printf("warning: column '%s': some silo released no moments of it (fewer than k values there, or one record"
          + " dominating), so its scaling is fitted from the other silos' values only%n", c);
    }
    Artifacts.writeAtomically(f.get("output"), pre.toJson());
    out.printf(Locale.ROOT, "preprocessing fitted from %s: %d columns -> %d model inputs, classes %s; written to %s%n",
        stats, pre.columns().size(), pre.inputs(), pre.classes(), f.get("output"));
    return 0;
  }

  private static <E extends Enum<E>> E choice(Class<E> type, String flag, String value) {
    try {
      return Enum.valueOf(type, value.toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("--" + flag + " must be one of " + java.util.Arrays.stream(type.getEnumConstants())
          .map(c -> c.name().toLowerCase(Locale.ROOT)).toList() + ", was '" + value + "'", e);
    }
  }

  static void help(PrintStream out) {
    out.println(USAGE);
    Help.print(out, new Help.Section("preprocess fit", FIT));
  }
}
