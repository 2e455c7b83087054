package org.fedbeam.transforms;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.Serializable;
import java.nio.ByteBuffer;
import java.nio.channels.ReadableByteChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.beam.sdk.io.FileSystems;
import org.apache.beam.sdk.io.fs.MatchResult;
import org.fedbeam.data.Dataset;
import org.fedbeam.data.DatasetFormat;
import org.fedbeam.data.table.Table;
import org.fedbeam.data.table.TableFormat;
import org.fedbeam.preprocess.Preprocessing;

/**
 * A silo's own use of a preprocessing it was sent: it turns the silo's prepared table into the
 * numeric rows its training reads, inside the silo, and it does not trust the preprocessing to be
 * harmless. A curious orchestrator chooses the preprocessing, so it could craft one that singles out
 * a record: a vocabulary value (or a class) it suspects only one patient has, whose one-hot input
 * then isolates that record in training; or an extreme scaling that makes one record's input
 * explode. Against this class of crafted preprocessing the silo, by its own policy ({@link Limits}):
 * <ul>
 *   <li>folds every category value it holds in fewer than k records into "other" and, when "other"
 *       itself then holds fewer than k records, puts those rows on the column's most frequent value,
 *       so every one-hot input that is ever 1 in this silo is 1 for at least k of its records (or
 *       for all of them);</li>
 *   <li>drops the rows of any class it holds in fewer than k records;</li>
 *   <li>clamps every model input to {@code [-maxAbsInput, maxAbsInput]};</li>
 *   <li>refuses a preprocessing with more columns or larger vocabularies than it allows, or naming a
 *       column its table lacks or has with another type (errors name the silo, the file and the
 *       column).</li>
 * </ul>
 * What it did is counted in a {@link Report} (which columns, how many values and rows; never a value),
 * for the silo's audit log. The result is cached on disk in the silo's private state, keyed on the
 * table's SHA-256, the preprocessing's SHA-256 and the limits ({@link #cached}).
 */
public final class TablePreparation {
  private static final ObjectMapper JSON = StrictJson.mapper();
  /** The value folded rows take: not in any vocabulary, so the preprocessing maps it to "other". */
  private static final String FOLDED = "\u0000folded";

  private TablePreparation() {}

  /**
   * A silo policy's bounds on preprocessings (its {@code preprocessing} section).
   *
   * @param maxColumns the most raw columns a preprocessing may name
   * @param maxVocabulary the most values one categorical column's vocabulary may have
   * @param minCategoryCount k: a category value, or a class, held in fewer records is folded (dropped)
   * @param maxAbsInput every model input is clamped to {@code [-maxAbsInput, maxAbsInput]}
   */
  public record Limits(int maxColumns, int maxVocabulary, long minCategoryCount, double maxAbsInput)
      implements Serializable {
    public Limits {
      if (maxColumns < 1) {
        throw new IllegalArgumentException("preprocessing.max_columns must be >= 1, was " + maxColumns);
      }
      if (maxVocabulary < 0) {
        throw new IllegalArgumentException("preprocessing.max_vocabulary must be >= 0, was " + maxVocabulary);
      }
      if (minCategoryCount < 1) {
        throw new IllegalArgumentException("preprocessing.min_category_count must be >= 1, was " + minCategoryCount);
      }
      if (!(maxAbsInput > 0) || !Double.isFinite(maxAbsInput)) {
        throw new IllegalArgumentException("preprocessing.max_abs_input must be a finite number > 0, was " + maxAbsInput);
      }
    }

    /** 1024 columns, 1000 values per vocabulary, k = 10, |input| <= 1000. */
    public static Limits defaults() {
      return new Limits(1024, 1000, 10, 1e3);
    }
  }

  /**
   * What the silo changed, for its audit log only: per categorical column the vocabulary values folded
   * into "other" and the rows they held, and the rows of a too-rare "other" moved to the column's most
   * frequent value; the classes held in fewer than k records and their rows dropped; per numeric
   * column the inputs clamped. Counts only, never a value.
   */
  public record Report(int rows, Map<String, long[]> folded, int rareClasses, long rareClassRows,
      Map<String, Long> clamped) {
    /** As JSON: {@code {"rows":N,"folded":{"col":{"values":v,"rows":r,"other_rows_moved":m}},...}}. */
    public ObjectNode toJson() {
      ObjectNode n = JSON.createObjectNode();
      n.put("rows", rows);
      ObjectNode f = n.putObject("folded");
      folded.forEach((c, v) -> f.putObject(c).put("values", v[0]).put("rows", v[1]).put("other_rows_moved", v[2]));
      n.put("rare_classes", rareClasses);
      n.put("rare_class_rows", rareClassRows);
      ObjectNode c = n.putObject("clamped");
      clamped.forEach(c::put);
      return n;
    }

    static Report fromJson(JsonNode n) {
      Map<String, long[]> folded = new LinkedHashMap<>();
      n.get("folded").fields().forEachRemaining(e -> folded.put(e.getKey(), new long[] {
          e.getValue().get("values").asLong(), e.getValue().get("rows").asLong(),
          e.getValue().get("other_rows_moved").asLong()}));
      Map<String, Long> clamped = new LinkedHashMap<>();
      n.get("clamped").fields().forEachRemaining(e -> clamped.put(e.getKey(), e.getValue().asLong()));
      return new Report(n.get("rows").asInt(), folded, n.get("rare_classes").asInt(), n.get("rare_class_rows").asLong(),
          clamped);
    }
  }

  /** The silo's rows, prepared, and what was changed. */
  public record Result(Dataset dataset, Report report) {}

  /** Where a cached preparation is: the numeric shard and its report. */
  public record Cached(String datasetUri, Report report) {}

  /** Whether the file at {@code uri} is a prepared table (by its magic number, reading only its first bytes). */
  public static boolean isTable(String uri, String owner) {
    MatchResult.Metadata m = Artifacts.metadataOrNull(uri);
    if (m == null) {
      throw new IllegalArgumentException(owner + ": data file " + uri + " does not exist");
    }
    try (ReadableByteChannel channel = FileSystems.open(m.resourceId())) {
      ByteBuffer head = ByteBuffer.allocate(4);
      while (head.hasRemaining() && channel.read(head) >= 0) {
        // until the magic number is in
      }
      return TableFormat.isTable(java.util.Arrays.copyOf(head.array(), head.position()));
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(owner + ": cannot read " + uri + ": " + e.getMessage(), e);
    }
  }

  /** The rows of a silo's data: a prepared table's, or a numeric shard's. */
  public static int rows(String uri, String owner) {
    return isTable(uri, owner) ? SiloData.loadTable(uri, owner).rows() : SiloData.load(uri, owner).size();
  }

  /**
   * Checks {@code pre} against the limits and the table: its size, its label column, each column it
   * names present here with the same type, each numeric scale positive and finite.
   *
   * @throws IllegalArgumentException naming {@code owner}, {@code file} and the column
   */
  public static void check(Table table, Preprocessing pre, Limits limits, String owner, String file) {
    String at = owner + ": data file " + file;
    if (pre.columns().size() > limits.maxColumns()) {
      throw new IllegalArgumentException(at + ": the preprocessing names " + pre.columns().size()
          + " columns, this silo's policy allows at most " + limits.maxColumns() + " (preprocessing.max_columns)");
    }
    if (!table.label().name().equals(pre.labelName())) {
      throw new IllegalArgumentException(at + ": the label column is '" + table.label().name()
          + "' here, the preprocessing's is '" + pre.labelName() + "'");
    }
    for (var spec : pre.columns()) {
      var col = table.column(spec.name());
      if (col == null) {
        throw new IllegalArgumentException(at + ": column '" + spec.name() + "' is not in this silo's table (the"
            + " preprocessing expects a " + spec.type() + " column)");
      }
      if (!col.type().equals(spec.type())) {
        throw new IllegalArgumentException(at + ": column '" + spec.name() + "' is " + col.type()
            + " here, the preprocessing expects it " + spec.type());
      }
      if (spec instanceof org.fedbeam.preprocess.CategoricalSpec c && c.vocabulary().size() > limits.maxVocabulary()) {
        throw new IllegalArgumentException(at + ": column '" + spec.name() + "': a vocabulary of "
            + c.vocabulary().size() + " values, this silo's policy allows at most " + limits.maxVocabulary()
            + " (preprocessing.max_vocabulary)");
      }
      if (spec instanceof org.fedbeam.preprocess.NumericSpec n && (!(n.scale() > 0) || !Double.isFinite(n.scale()))) {
        throw new IllegalArgumentException(at + ": column '" + spec.name() + "': scale must be a finite number > 0,"
            + " was " + n.scale());
      }
    }
  }

  /** Checks ({@link #check}), folds, drops and clamps, then applies {@code pre}: the silo's training rows. */
  public static Result apply(Table table, Preprocessing pre, Limits limits, String owner, String file) {
    check(table, pre, limits, owner, file);
    long k = limits.minCategoryCount();
    int[] kept = commonClassRows(table, pre, k);
    int rareClasses = countRareClasses(table, pre, k);
    Table rows = kept.length == table.rows() ? table : table.select(kept, table.source());
    Map<String, long[]> folded = new LinkedHashMap<>();
    List<org.fedbeam.data.table.TableColumn> columns = new ArrayList<>();
    for (var col : rows.columns()) {
      var spec = pre.columns().stream().filter(s -> s.name().equals(col.name())).findFirst().orElse(null);
      if (spec instanceof org.fedbeam.preprocess.CategoricalSpec c) {
        long[] counts = new long[3];
        columns.add(CategoryFolding.fold((org.fedbeam.data.table.CategoricalColumn) col, c, k, FOLDED, counts));
        if (counts[0] > 0 || counts[2] > 0) {
          folded.put(col.name(), counts);
        }
      } else {
        columns.add(col);
      }
    }
    Table prepared = new Table(rows.source(), columns, rows.label());
    Dataset data = pre.apply(prepared);
    Map<String, Long> clamped = new LinkedHashMap<>();
    Dataset bounded = clamp(data, pre, limits.maxAbsInput(), limits.minCategoryCount(), clamped);
    return new Result(bounded, new Report(bounded.size(), folded, rareClasses, table.rows() - kept.length, clamped));
  }

  /**
   * {@link #apply}, cached in {@code cacheDir} (silo-private): the shard and the report are written
   * once per table content, preprocessing and limits, and read back after. The table's key is its
   * SHA-256 trailer, the preprocessing's the SHA-256 of its file.
   *
   * @return the numeric shard's URI (read it with {@link SiloData#load}) and the report
   */
  public static Cached cached(String tableUri, String preprocessingUri, Limits limits, String cacheDir, String owner) {
    byte[] preBytes = Artifacts.read(preprocessingUri, owner + " preprocessing");
    String key = Artifacts.sha256Hex((SiloData.tableSha256(tableUri, owner) + "\n" + Artifacts.sha256Hex(preBytes) + "\n"
        + limits).getBytes(StandardCharsets.UTF_8));
    String shard = Artifacts.resolve(cacheDir, key + ".fbds");
    String reportUri = Artifacts.resolve(cacheDir, key + "-report.json");
    if (Artifacts.exists(shard) && Artifacts.exists(reportUri)) {
      try {
        return new Cached(shard, Report.fromJson(JSON.readTree(Artifacts.read(reportUri, owner + " preparation report"))));
      } catch (IOException | RuntimeException e) {
        // a damaged cache entry is prepared again below
      }
    }
    Table table = SiloData.loadTable(tableUri, owner);
    Preprocessing pre = Preprocessing.fromJson(preBytes, preprocessingUri);
    Result r = apply(table, pre, limits, owner, tableUri);
    Artifacts.writeAtomically(shard, DatasetFormat.encode(r.dataset()));
    try {
      Artifacts.writeAtomically(reportUri, JSON.writeValueAsBytes(r.report().toJson()));
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
    return new Cached(shard, r.report());
  }

  /**
   * A preprocessing that changes nothing it need not: each numeric column as it is (missing: 0), each
   * categorical column as one constant "other" input, the table's own classes. For the agent's
   * warm-up, which trains scratch rounds that are never published.
   *
   * @throws IllegalArgumentException if the table has fewer than 2 classes
   */
  public static Preprocessing neutral(Table table) {
    List<org.fedbeam.preprocess.ColumnSpec> specs = new ArrayList<>();
    for (var col : table.columns()) {
      specs.add(col.type().equals("numeric")
          ? new org.fedbeam.preprocess.NumericSpec(col.name(), Preprocessing.Scaling.NONE, 0, 0, 1)
          : new org.fedbeam.preprocess.CategoricalSpec(col.name(), List.of(), null));
    }
    List<String> classes = new ArrayList<>(table.label().compact().dictionary());
    java.util.Collections.sort(classes);
    return new Preprocessing(table.label().name(), classes, specs);
  }

  /** The rows whose class is held in at least k records here (rows of classes the preprocessing lacks stay: it drops them). */
  private static int[] commonClassRows(Table table, Preprocessing pre, long k) {
    Map<String, Long> counts = classCounts(table);
    java.util.Set<String> classes = new java.util.HashSet<>(pre.classes());
    int[] keep = new int[table.rows()];
    int n = 0;
    for (int r = 0; r < table.rows(); r++) {
      String v = table.label().value(r);
      if (!classes.contains(v) || counts.get(v) >= k) {
        keep[n++] = r;
      }
    }
    return java.util.Arrays.copyOf(keep, n);
  }

  private static int countRareClasses(Table table, Preprocessing pre, long k) {
    Map<String, Long> counts = classCounts(table);
    return (int) pre.classes().stream().filter(c -> counts.getOrDefault(c, 0L) > 0 && counts.get(c) < k).count();
  }

  private static Map<String, Long> classCounts(Table table) {
    Map<String, Long> counts = new HashMap<>();
    for (int r = 0; r < table.rows(); r++) {
      counts.merge(table.label().value(r), 1L, Long::sum);
    }
    return counts;
  }

  /** Every input within {@code [-bound, bound]}; clamped inputs counted per raw column. */
  /**
   * Clamps every input to +-{@code bound}, and refuses a numeric scaling that would single out a record: for
   * each numeric input, the rows at -bound, the rows inside and the rows at +bound must each be none or at
   * least {@code k}. An honest standardisation fitted from the federation's statistics clamps nothing (a
   * standardised value exceeds sqrt(n) in no data set of n rows); a crafted centre and a tiny scale (or an
   * imputed value far out) that leaves one record inside the window, or alone at a clamp, would make that
   * input an indicator of the one record, as a one-hot input of a rare value would.
   */
  private static Dataset clamp(Dataset data, Preprocessing pre, double bound, long k, Map<String, Long> clamped) {
    int d = data.featureCount();
    String[] columnOf = new String[d];
    boolean[] numeric = new boolean[d];
    int at = 0;
    for (var spec : pre.columns()) {
      for (int i = 0; i < spec.width(); i++) {
        numeric[at] = spec instanceof org.fedbeam.preprocess.NumericSpec;
        columnOf[at++] = spec.name();
      }
    }
    float[] x = new float[data.size() * d];
    float[] row = new float[d];
    float max = (float) bound;
    int[] labels = new int[data.size()];
    long[][] groups = new long[d][3]; // per input: rows at -bound, inside, at +bound
    for (int r = 0; r < data.size(); r++) {
      data.copyRow(r, row, 0);
      labels[r] = data.label(r);
      for (int f = 0; f < d; f++) {
        float v = row[f];
        if (Float.isNaN(v)) {
          throw new IllegalArgumentException(data.name() + ": column '" + columnOf[f] + "' gives an input that is not"
              + " a number");
        }
        if (v > max || v < -max) {
          v = v > 0 ? max : -max;
          clamped.merge(columnOf[f], 1L, Long::sum);
        }
        groups[f][v <= -max ? 0 : v >= max ? 2 : 1]++;
        x[r * d + f] = v;
      }
    }
    for (int f = 0; f < d; f++) {
      if (!numeric[f]) {
        continue;
      }
      for (int g = 0; g < 3; g++) {
        if (groups[f][g] > 0 && groups[f][g] < k) {
          throw new IllegalArgumentException(data.name() + ": column '" + columnOf[f] + "': the preprocessing's scaling"
              + " leaves " + groups[f][g] + " of this silo's records " + (g == 1 ? "inside +-" + bound
              + " and the rest clamped" : "alone at the clamp " + (g == 0 ? "-" : "+") + bound) + ", fewer than k = "
              + k + ": that input would single them out");
        }
      }
    }
    return new Dataset(data.name(), x, labels, d, data.classes());
  }
}
