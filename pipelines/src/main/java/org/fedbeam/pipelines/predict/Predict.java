package org.fedbeam.pipelines.predict;

import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.fedbeam.data.CsvLine;
import org.fedbeam.data.DataFormatException;
import org.fedbeam.data.Dataset;
import org.fedbeam.data.table.TableCsv;
import org.fedbeam.model.Learner;
import org.fedbeam.model.bundle.BundleFormat;
import org.fedbeam.model.bundle.ModelBundle;

/**
 * Applies a {@link ModelBundle} to a CSV file, streaming, {@code chunkRows} rows at a time. A bundle
 * with a {@link org.fedbeam.preprocess.Preprocessing} (from a CSV run) reads the raw export as training
 * read it ({@link Reading}: delimiter, missing-value markers, dropped columns; see {@link
 * PreprocessedInput}): its raw columns by name, categories one-hot with unseen ones as "other", missing
 * values imputed as fitted, the label column ignored if present. A bundle without one (version 1, or
 * numeric data) reads comma-separated numbers: the header must name every feature of the bundle (in
 * any order) and nothing else but the optional id column; each row's cells are scaled as the bundle
 * says ({@code (x - mean) / scale}). The output has a header, then per row: the id (with an id column), the predicted class label
 * (the most probable class, the first of equals) and one {@code p_<label>} column per class, each
 * probability written as Java's shortest exact float text. It is written to a temporary file beside
 * the output and moved into place once every row is done, so a failure leaves any earlier output as
 * it was.
 */
public final class Predict {
  private Predict() {}

  /** What was done: rows predicted, the output written. */
  public record Result(long rows, Path output) {}

  /**
   * How the input is read ({@code --id-column --delimiter --missing-values --drop-columns}).
   *
   * @param idColumn the input column copied to the output as each row's id, or null for none
   * @param delimiter the cell separator (a bundle without a preprocessing reads ',' only)
   * @param missingValues cell texts that mean "no value" (the empty cell always does)
   * @param dropColumns input columns skipped (a bundle with a preprocessing only)
   */
  public record Reading(String idColumn, char delimiter, Set<String> missingValues, Set<String> dropColumns) {
    public Reading {
      if (idColumn != null && idColumn.isEmpty()) {
        idColumn = null;
      }
      missingValues = Set.copyOf(missingValues);
      dropColumns = Set.copyOf(dropColumns);
    }

    /** Commas, the default missing-value markers, nothing dropped. */
    public static Reading of(String idColumn) {
      return new Reading(idColumn, ',', TableCsv.Options.DEFAULT_MISSING, Set.of());
    }

    /** From the flags' text: a delimiter of one character or 'tab', comma-separated lists (null: the default). */
    public static Reading parse(String idColumn, String delimiter, String missingValues, String dropColumns) {
      if (!"tab".equals(delimiter) && (delimiter == null || delimiter.length() != 1)) {
        throw new IllegalArgumentException("--delimiter must be one character or 'tab', was '" + delimiter + "'");
      }
      return new Reading(idColumn, "tab".equals(delimiter) ? '\t' : delimiter.charAt(0),
          missingValues == null ? TableCsv.Options.DEFAULT_MISSING : names(missingValues), names(dropColumns));
    }

    private static Set<String> names(String list) {
      return list == null || list.isBlank() ? Set.of() : Set.copyOf(java.util.Arrays.stream(list.split(","))
          .map(String::trim).filter(n -> !n.isEmpty()).toList());
    }

    boolean isDefault() {
      return delimiter == ',' && missingValues.equals(TableCsv.Options.DEFAULT_MISSING) && dropColumns.isEmpty();
    }
  }

  /**
   * What {@code fedbeam predict} is asked (its flags, {@code --model --input --output --id-column --chunk-rows}).
   *
   * @param idColumn the input column copied to the output as each row's id, or null for none
   * @param chunkRows rows predicted at a time: the most rows held in memory
   */
  public record Request(Path model, Path input, Path output, Reading reading, int chunkRows) {
    public Request {
      if (chunkRows < 1) {
        throw new IllegalArgumentException("--chunk-rows must be >= 1, was " + chunkRows);
      }
      java.util.Objects.requireNonNull(reading, "reading");
    }

    /** Comma-separated input, default missing-value markers, nothing dropped. */
    public Request(Path model, Path input, Path output, String idColumn, int chunkRows) {
      this(model, input, output, Reading.of(idColumn), chunkRows);
    }
  }

  /** Runs {@code fedbeam predict}; prints one line on {@code out}. */
  public static Result run(Request request, PrintStream out) {
    ModelBundle bundle = read(request.model());
    Result result = predict(bundle, request.input(), request.output(), request.reading(), request.chunkRows());
    out.printf("predicted %d rows with %s (%s, classes %s) into %s%n", result.rows(), request.model(),
        bundle.model().spec().describe(), bundle.classLabels(), result.output());
    return result;
  }

  /** Reads a bundle file; every error names it. */
  public static ModelBundle read(Path file) {
    if (!Files.isRegularFile(file)) {
      throw new IllegalArgumentException("--model " + file + ": no such file");
    }
    try {
      return BundleFormat.decode(Files.readAllBytes(file), file.toString());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the model bundle " + file + ": " + e.getMessage(), e);
    }
  }

  /** Predicts every row of comma-separated {@code input} into {@code output} (see the class comment). */
  public static Result predict(ModelBundle bundle, Path input, Path output, String idColumn, int chunkRows) {
    return predict(bundle, input, output, Reading.of(idColumn), chunkRows);
  }

  /** Predicts every row of {@code input}, read as {@code reading} says, into {@code output} (see the class comment). */
  public static Result predict(ModelBundle bundle, Path input, Path output, Reading reading, int chunkRows) {
    if (bundle.preprocessing() == null && !reading.isDefault()) {
      throw new IllegalArgumentException("--delimiter, --missing-values and --drop-columns apply to a bundle with a"
          + " preprocessing (from a CSV run); this bundle has none: its input is comma-separated numbers");
    }
    if (!Files.isRegularFile(input)) {
      throw new IllegalArgumentException("--input " + input + ": no such file");
    }
    Path target = output.toAbsolutePath();
    Path dir = target.getParent();
    if (dir == null || !Files.isDirectory(dir)) {
      throw new IllegalArgumentException("--output " + output + ": its folder does not exist");
    }
    if (Files.isDirectory(target)) {
      throw new IllegalArgumentException("--output " + output + " is a folder");
    }
    try {
      if (Files.exists(target) && Files.isSameFile(input, target)) {
        throw new IllegalArgumentException("--output " + output + " is the --input file: predictions never replace"
            + " the rows they were made from");
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot compare --input and --output: " + e.getMessage(), e);
    }
    Path temp;
    try {
      temp = Files.createTempFile(dir, "." + target.getFileName() + ".", ".partial");
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write beside " + output + ": " + e.getMessage(), e);
    }
    try {
      long rows;
      try (BufferedReader reader = Files.newBufferedReader(input, StandardCharsets.UTF_8);
          BufferedWriter writer = Files.newBufferedWriter(temp, StandardCharsets.UTF_8)) {
        rows = new Run(bundle, input.toString(), reading.idColumn(), chunkRows, writer).all(reader, reading);
      }
      Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      return new Result(rows, output);
    } catch (IOException e) {
      throw new UncheckedIOException("predict " + input + " -> " + output + ": " + e.getMessage(), e);
    } finally {
      try {
        Files.deleteIfExists(temp);
      } catch (IOException ignored) {
        // the partial file is hidden and named .partial; nothing reads it
      }
    }
  }

  /** One pass over an input. */
  private static final class Run {
    private final ModelBundle bundle;
    private final String source;
    private final String idColumn;
    private final int chunkRows;
    private final BufferedWriter writer;
    private long rowsDone;
    private final Learner learner;
    private final int features;
    private final int classes;
    private int[] featureAt;
    private int idAt = -1;
    private int width;
    private final float[] chunk;
    private final List<String> ids = new ArrayList<>();
    private int filled;

    Run(ModelBundle bundle, String source, String idColumn, int chunkRows, BufferedWriter writer) {
      this.bundle = bundle;
      this.source = source;
      this.idColumn = idColumn;
      this.chunkRows = chunkRows;
      this.writer = writer;
      this.learner = bundle.model().spec().learner();
      this.features = bundle.featureNames().size();
      this.classes = bundle.classLabels().size();
      this.chunk = new float[Math.multiplyExact(chunkRows, features)];
    }

    long all(BufferedReader reader, Reading reading) throws IOException {
      if (bundle.preprocessing() != null) {
        return preprocessed(reader, reading);
      }
      String line = reader.readLine();
      int lineNo = 1;
      while (line != null && line.isBlank()) {
        line = reader.readLine();
        lineNo++;
      }
      if (line == null) {
        throw new DataFormatException(source + ": empty file, expected a header row");
      }
      header(CsvLine.split(stripBom(line)));
      long rows = 0;
      while ((line = reader.readLine()) != null) {
        lineNo++;
        if (line.isBlank()) {
          continue;
        }
        row(CsvLine.split(line), lineNo);
        rows++;
        if (filled == chunkRows) {
          flush();
        }
      }
      flush();
      return rows;
    }

    private long preprocessed(BufferedReader reader, Reading reading) throws IOException {
      PreprocessedInput in = new PreprocessedInput(reader, source, bundle.preprocessing(), reading);
      idAt = in.hasId() ? 0 : -1;
      writeHeader();
      long rows = 0;
      for (String id = in.next(chunk, 0); id != null; id = in.next(chunk, filled * features)) {
        if (idAt >= 0) {
          ids.add(id);
        }
        filled++;
        rows++;
        if (filled == chunkRows) {
          flush();
        }
      }
      flush();
      return rows;
    }

    private void writeHeader() throws IOException {
      List<String> out = new ArrayList<>();
      if (idAt >= 0) {
        out.add(idColumn);
      }
      out.add("predicted");
      bundle.classLabels().forEach(l -> out.add("p_" + l));
      writeLine(out);
    }

    private void header(List<String> header) throws IOException {
      Map<String, Integer> at = new HashMap<>();
      for (int c = 0; c < header.size(); c++) {
        if (at.put(header.get(c), c) != null) {
          throw new DataFormatException(source + ": the header names column '" + header.get(c) + "' twice");
        }
      }
      width = header.size();
      featureAt = new int[features];
      List<String> missing = new ArrayList<>();
      for (int f = 0; f < features; f++) {
        Integer c = at.remove(bundle.featureNames().get(f));
        if (c == null) {
          missing.add(bundle.featureNames().get(f));
        } else {
          featureAt[f] = c;
        }
      }
      if (idColumn != null) {
        Integer c = at.remove(idColumn);
        if (c == null) {
          throw new DataFormatException(source + ": no id column '" + idColumn + "' in the header"
              + (bundle.featureNames().contains(idColumn) ? " ('" + idColumn + "' is one of the model's features)" : ""));
        }
        idAt = c;
      }
      if (!missing.isEmpty()) {
        throw new DataFormatException(source + ": missing " + missing.size() + " of the model's " + features
            + " feature columns: " + abbreviate(missing));
      }
      if (!at.isEmpty()) {
        List<String> extra = header.stream().filter(at::containsKey).toList();
        throw new DataFormatException(source + ": column(s) " + abbreviate(extra) + " are not features of the model"
            + (idColumn == null ? "; name an id column with --id-column, or remove them" : "; remove them"));
      }
      writeHeader();
    }

    private void row(List<String> cells, int lineNo) {
      if (cells.size() != width) {
        throw new DataFormatException(source + ": line " + lineNo + ": expected " + width + " columns, found "
            + cells.size());
      }
      int base = filled * features;
      float[] mean = bundle.scaling().mean();
      float[] scale = bundle.scaling().scale();
      for (int f = 0; f < features; f++) {
        String cell = cells.get(featureAt[f]);
        float x;
        try {
          x = Float.parseFloat(cell);
        } catch (NumberFormatException e) {
          x = Float.NaN;
        }
        if (!Float.isFinite(x)) {
          throw new DataFormatException(source + ": line " + lineNo + ", column '" + bundle.featureNames().get(f)
              + "': not a finite number: '" + (cell.length() > 40 ? cell.substring(0, 40) + "..." : cell) + "'");
        }
        float scaled = (x - mean[f]) / scale[f];
        if (!Float.isFinite(scaled)) {
          throw new DataFormatException(source + ": line " + lineNo + ", column '" + bundle.featureNames().get(f)
              + "': " + cell + " scaled by the bundle's scaling ((x - " + mean[f] + ") / " + scale[f]
              + ") is not a finite number");
        }
        chunk[base + f] = scaled;
      }
      if (idAt >= 0) {
        ids.add(cells.get(idAt));
      }
      filled++;
    }

    private void flush() throws IOException {
      if (filled == 0) {
        return;
      }
      float[] rows = java.util.Arrays.copyOf(chunk, filled * features);
      float[] p = learner.predictProbabilities(bundle.model(), new Dataset(source, rows, new int[filled], features, classes));
      List<String> out = new ArrayList<>(classes + 2);
      for (int r = 0; r < filled; r++) {
        out.clear();
        if (idAt >= 0) {
          out.add(ids.get(r));
        }
        for (int c = 0; c < classes; c++) {
          if (!Float.isFinite(p[r * classes + c])) {
            throw new DataFormatException(source + ": the model's probabilities for data row " + (rowsDone + r + 1)
                + " are not finite numbers; no prediction is written for it");
          }
        }
        int best = 0;
        for (int c = 1; c < classes; c++) {
          if (p[r * classes + c] > p[r * classes + best]) {
            best = c;
          }
        }
        out.add(bundle.classLabels().get(best));
        for (int c = 0; c < classes; c++) {
          out.add(Float.toString(p[r * classes + c]));
        }
        writeLine(out);
      }
      ids.clear();
      rowsDone += filled;
      filled = 0;
    }

    /**
     * A text cell a spreadsheet would run as a formula ({@code =}, {@code +}, {@code -}, {@code @},
     * tab or carriage return first) gets a leading {@code '} (OWASP's CSV injection advice); numbers
     * are written as they are.
     */
    static String spreadsheetSafe(String cell) {
      if (cell.isEmpty() || "=+-@\t\r".indexOf(cell.charAt(0)) < 0) {
        return cell;
      }
      try {
        Double.parseDouble(cell);
        return cell; // a number such as -1.5 is data, not a formula
      } catch (NumberFormatException e) {
        return "'" + cell;
      }
    }

    private void writeLine(List<String> cells) throws IOException {
      for (int i = 0; i < cells.size(); i++) {
        if (i > 0) {
          writer.write(',');
        }
        writer.write(CsvLine.quote(spreadsheetSafe(cells.get(i))));
      }
      writer.write('\n');
    }

    private static String stripBom(String line) {
      return line.startsWith("\uFEFF") ? line.substring(1) : line;
    }

  }

  static String abbreviate(List<String> names) {
    return names.size() <= 10 ? names.toString()
        : names.subList(0, 10).toString().replace("]", ", ... (" + (names.size() - 10) + " more)]");
  }
}
