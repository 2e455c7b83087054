package org.fedbeam.pipelines.cli;

import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.fedbeam.data.table.SampleData;
import org.fedbeam.transforms.Artifacts;

/**
 * {@code fedbeam sample-data --dataset breast-cancer|wine|credit-g --output CSV [--split K --seed S] [--with-id]}:
 * writes a real data set from a Debian package ({@link SampleData}) as a CSV export with a header, the kind
 * of file a provider hands {@code fedbeam prepare}. {@code --split K} writes K files {@code NAME-1.csv ..
 * NAME-K.csv} instead (a seeded shuffle, then K even parts), one per party; {@code --with-id} adds a text
 * {@code record_id} column first.
 */
final class SampleDataCommand {
  static final String USAGE = "usage: fedbeam sample-data --dataset breast-cancer|wine|credit-g --output FILE.csv [flags]"
      + "   real tabular data from Debian packages (python3-sklearn, weka) as a CSV export";
  static final List<Option> OPTIONS = List.of(
      Option.required("dataset", "breast-cancer|wine|credit-g", "The data set: breast-cancer and wine (python3-sklearn),"
          + " credit-g (weka; mixed categorical and numeric)"),
      Option.required("output", "FILE.csv", "The CSV file to write; with --split K, FILE-1.csv .. FILE-K.csv"),
      Option.text("split", "K", "Write K files of (nearly) equal size, one per party, after a seeded shuffle")
          .withDefault("1").ofKind(Option.Kind.WHOLE),
      Option.text("seed", "S", "Seed of the shuffle before --split").withDefault("42").ofKind(Option.Kind.WHOLE),
      Option.flag("with-id", "Add a text record_id column first (R00001, ...), as real exports have"),
      Option.flag("overwrite", "Replace existing output files"));

  private SampleDataCommand() {}

  static void help(PrintStream out) {
    out.println(USAGE);
    Help.print(out, new Help.Section("sample-data", OPTIONS));
  }

  static int run(List<String> args, PrintStream out) {
    Map<String, String> f = Flags.values("sample-data", args, OPTIONS);
    SampleData.Export data = SampleData.load(f.get("dataset"));
    int k = Integer.parseInt(f.getOrDefault("split", "1"));
    long seed = Long.parseLong(f.getOrDefault("seed", "42"));
    boolean withId = "true".equals(f.get("with-id"));
    boolean overwrite = "true".equals(f.get("overwrite"));
    if (k < 1 || k > data.rows().size() / 2) {
      throw new IllegalArgumentException("--split must be in [1, " + data.rows().size() / 2 + "] for " + data.name()
          + ", was " + k);
    }
    if (withId) {
      data = withIds(data);
    }
    List<String> outputs = outputs(f.get("output"), k);
    for (String o : outputs) {
      if (Artifacts.exists(o) && !overwrite) {
        throw new IllegalArgumentException("--output " + o + " already exists: pass --overwrite to replace it");
      }
    }
    List<List<List<String>>> parts = split(data.rows(), k, seed);
    for (int i = 0; i < k; i++) {
      Artifacts.writeAtomically(outputs.get(i), data.toCsv(parts.get(i)).getBytes(StandardCharsets.UTF_8));
      out.printf("wrote %s: %d rows, %d columns (label '%s'%s)%n", outputs.get(i), parts.get(i).size(),
          data.header().size(), data.labelColumn(), data.categorical().isEmpty() ? ""
              : "; categorical: " + String.join(",", data.categorical()));
    }
    return 0;
  }

  /** {@code data.csv} for one part; {@code data-1.csv .. data-K.csv} for K. */
  static List<String> outputs(String output, int k) {
    if (k == 1) {
      return List.of(output);
    }
    int dot = output.lastIndexOf('.');
    int slash = output.lastIndexOf('/');
    String stem = dot > slash ? output.substring(0, dot) : output;
    String ext = dot > slash ? output.substring(dot) : "";
    List<String> out = new ArrayList<>();
    for (int i = 1; i <= k; i++) {
      out.add(stem + "-" + i + ext);
    }
    return out;
  }

  /** A seeded Fisher-Yates shuffle, then K contiguous parts whose sizes differ by at most one. */
  static List<List<List<String>>> split(List<List<String>> rows, int k, long seed) {
    List<List<String>> shuffled = new ArrayList<>(rows);
    if (k > 1) {
      SplittableRandom random = new SplittableRandom(seed);
      for (int i = shuffled.size() - 1; i > 0; i--) {
        java.util.Collections.swap(shuffled, i, random.nextInt(i + 1));
      }
    }
    List<List<List<String>>> parts = new ArrayList<>();
    for (int i = 0; i < k; i++) {
      parts.add(shuffled.subList((int) ((long) i * shuffled.size() / k), (int) ((long) (i + 1) * shuffled.size() / k)));
    }
    return parts;
  }

  private static SampleData.Export withIds(SampleData.Export data) {
    List<String> header = new ArrayList<>();
    header.add("record_id");
    header.addAll(data.header());
    List<List<String>> rows = new ArrayList<>();
    for (int i = 0; i < data.rows().size(); i++) {
      List<String> row = new ArrayList<>();
      row.add(String.format("R%05d", i + 1));
      row.addAll(data.rows().get(i));
      rows.add(row);
    }
    return new SampleData.Export(data.name(), header, data.labelColumn(), rows, data.categorical());
  }
}
