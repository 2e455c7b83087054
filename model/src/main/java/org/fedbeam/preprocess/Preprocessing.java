package org.fedbeam.preprocess;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.fedbeam.data.Dataset;
import org.fedbeam.data.table.CategoricalColumn;
import org.fedbeam.data.table.NumericColumn;
import org.fedbeam.data.table.Table;
import org.fedbeam.data.table.TableColumn;
import org.fedbeam.data.table.TableFacts;

/**
 * A fitted preprocessing: what turns a silo's {@link Table} into the numeric {@link Dataset} a
 * learner trains on, and a raw CSV row into a model's input at prediction. Fitted once from
 * {@link TableFacts} ({@link #fit}): the merged federated statistics of the silos (no record leaves a
 * silo), or {@link PooledFacts} of a pooled table (the centralized baseline). Then the same fitted
 * values are applied in every silo, to the orchestrator's validation and test rows, and in
 * {@code predict} and the ONNX export. Immutable; travels as strict, bounded JSON
 * ({@link #toJson}, {@link #fromJson}).
 *
 * <p>Model inputs, in column order: a numeric column gives one input, {@code (x - center) / scale}
 * with a missing x imputed first ({@link NumericSpec}); a categorical column gives one input per
 * vocabulary value then one "other" input, one-hot ({@link CategoricalSpec}). Classes are the label
 * values the facts name, sorted (numerically when all are numbers, else as text), as
 * {@link org.fedbeam.data.CsvReader} orders them.
 */
public final class Preprocessing {
  /** How a numeric column is scaled. */
  public enum Scaling {
    /** {@code (x - mean) / std}, the population std; a constant column gets scale 1. */
    STANDARDIZE,
    /** {@code (x - min) / (max - min)}; needs the silos' policies to release min and max. */
    MINMAX,
    /** x as is. */
    NONE
  }

  /** What a missing numeric value becomes. */
  public enum Impute {
    /** The column's mean. */
    MEAN,
    /** The column's median, from the statistics' quantile sketch. */
    MEDIAN
  }

  /**
   * How to fit.
   *
   * @param scaling the numeric columns' scaling
   * @param impute the numeric columns' imputation
   * @param minCategoryCount k: a category value gets its own input only if the facts count at least k
   *     records of it (federated statistics already suppress values below the silos' own k)
   */
  public record Options(Scaling scaling, Impute impute, long minCategoryCount) {
    public Options {
      if (scaling == null || impute == null) {
        throw new IllegalArgumentException("a preprocessing's scaling and imputation must be named");
      }
      if (minCategoryCount < 1) {
        throw new IllegalArgumentException("minCategoryCount must be >= 1, was " + minCategoryCount);
      }
    }

    /** Standardize, impute the mean, keep every category value the facts release (k = 1). */
    public static Options defaults() {
      return new Options(Scaling.STANDARDIZE, Impute.MEAN, 1);
    }
  }

  /**
   * A table turned into a data set.
   *
   * @param dataset the kept rows' inputs and class indices
   * @param droppedRows rows whose label is not among the classes (a class the facts did not release)
   * @param droppedLabels how many rows of each such label value were dropped (stays where it is made)
   */
  public record Applied(Dataset dataset, long droppedRows, Map<String, Long> droppedLabels) {}

  /** Most classes accepted. */
  public static final int MAX_CLASSES = 1 << 16;
  /** Most raw columns accepted. */
  public static final int MAX_COLUMNS = 1 << 16;
  /** Most model inputs accepted. */
  public static final int MAX_INPUTS = 1 << 20;

  private final String labelName;
  private final List<String> classes;
  private final List<ColumnSpec> columns;
  private final List<String> featureNames;

  /**
   * @param labelName the label column's name
   * @param classes the label values, in output order, at least 2, none repeated
   * @param columns the raw columns, in input order, names unique and none the label's
   * @throws IllegalArgumentException saying what is wrong
   */
  public Preprocessing(String labelName, List<String> classes, List<ColumnSpec> columns) {
    this.labelName = ColumnSpec.checkName("the label column's name", labelName);
    if (classes == null || classes.size() < 2 || classes.size() > MAX_CLASSES) {
      throw new IllegalArgumentException("the label '" + labelName + "' needs between 2 and " + MAX_CLASSES
          + " classes, has " + (classes == null ? 0 : classes.size()));
    }
    this.classes = List.copyOf(classes);
    for (String c : this.classes) {
      ColumnSpec.checkName("a class", c);
    }
    if (new HashSet<>(this.classes).size() != this.classes.size()) {
      throw new IllegalArgumentException("the label '" + labelName + "' repeats a class");
    }
    if (columns == null || columns.isEmpty() || columns.size() > MAX_COLUMNS) {
      throw new IllegalArgumentException("a preprocessing needs between 1 and " + MAX_COLUMNS + " columns, has "
          + (columns == null ? 0 : columns.size()));
    }
    this.columns = List.copyOf(columns);
    Set<String> names = new HashSet<>();
    List<String> inputs = new ArrayList<>();
    for (ColumnSpec c : this.columns) {
      if (!names.add(c.name()) || c.name().equals(labelName)) {
        throw new IllegalArgumentException("column '" + c.name() + "' appears twice or is the label");
      }
      if (inputs.size() + c.width() > MAX_INPUTS) {
        throw new IllegalArgumentException("the columns expand to more than " + MAX_INPUTS + " inputs");
      }
      inputs.addAll(c.inputNames());
    }
    if (new HashSet<>(inputs).size() != inputs.size()) {
      throw new IllegalArgumentException("two columns expand to the same input name: " + duplicate(inputs));
    }
    this.featureNames = List.copyOf(inputs);
  }

  private static String duplicate(List<String> names) {
    Set<String> seen = new HashSet<>();
    for (String n : names) {
      if (!seen.add(n)) {
        return n;
      }
    }
    return "";
  }

  /** Fits from what the facts release; see {@link PreprocessingFit} for every rule and error. */
  public static Preprocessing fit(TableFacts facts, Options options) {
    return PreprocessingFit.fit(facts, options);
  }

  /** The pooled table's facts (the centralized baseline); shorthand for {@link PooledFacts#of}. */
  public static TableFacts pooled(Table table) {
    return PooledFacts.of(table);
  }

  /** The label column's name. */
  public String labelName() {
    return labelName;
  }

  /** The classes, in output order. */
  public List<String> classes() {
    return classes;
  }

  /** The raw columns' specs, in input order. */
  public List<ColumnSpec> columns() {
    return columns;
  }

  /** The model inputs' names, expanded ("age", "colour=red", "colour=other"). */
  public List<String> featureNames() {
    return featureNames;
  }

  /** How many inputs the model reads. */
  public int inputs() {
    return featureNames.size();
  }

  /** Whether some column is categorical. */
  public boolean hasCategorical() {
    return columns.stream().anyMatch(c -> c instanceof CategoricalSpec);
  }

  /** {@link #transform}'s data set; dropped rows are counted there. */
  public Dataset apply(Table table) {
    return transform(table).dataset();
  }

  /**
   * Turns a silo's (or the orchestrator's) table into training data. Rows whose label is not among
   * the classes are dropped and counted.
   *
   * @throws IllegalArgumentException naming the table's source and the column: a column missing, of
   *     another type, or with no value at all; a table whose label column has another name
   */
  public Applied transform(Table table) {
    if (!table.label().name().equals(labelName)) {
      throw new IllegalArgumentException(table.source() + ": its label column is '" + table.label().name()
          + "', the preprocessing's is '" + labelName + "'");
    }
    for (ColumnSpec spec : columns) {
      TableColumn col = column(table, spec);
      if (table.rows() > 0 && col.missingCount() == table.rows()) {
        throw new IllegalArgumentException(table.source() + ": column '" + spec.name() + "' has no value in any of its "
            + table.rows() + " rows");
      }
    }
    Map<String, Integer> classIndex = new HashMap<>();
    for (int i = 0; i < classes.size(); i++) {
      classIndex.put(classes.get(i), i);
    }
    CategoricalColumn label = table.label();
    int[] labelOf = new int[label.dictionary().size()];
    for (int i = 0; i < labelOf.length; i++) {
      labelOf[i] = classIndex.getOrDefault(label.dictionary().get(i), -1);
    }
    int kept = 0;
    Map<String, Long> dropped = new LinkedHashMap<>();
    int[] keep = new int[table.rows()];
    for (int r = 0; r < table.rows(); r++) {
      if (labelOf[label.code(r)] >= 0) {
        keep[kept++] = r;
      } else {
        dropped.merge(label.value(r), 1L, Long::sum);
      }
    }
    Table rows = kept == table.rows() ? table : table.select(java.util.Arrays.copyOf(keep, kept), table.source());
    double[] x = encode(rows);
    float[] features = new float[x.length];
    for (int i = 0; i < x.length; i++) {
      features[i] = (float) x[i];
    }
    int[] labels = new int[rows.rows()];
    for (int r = 0; r < labels.length; r++) {
      labels[r] = classIndex.get(rows.label().value(r));
    }
    return new Applied(new Dataset(table.source(), features, labels, inputs(), classes.size()), table.rows() - kept,
        Collections.unmodifiableMap(dropped));
  }

  /**
   * Every row's model inputs, row-major, in double (before the float cast a {@link Dataset} makes).
   * Missing values are imputed row by row (no all-missing check: a row to predict may lack a value);
   * the label is ignored.
   *
   * @throws IllegalArgumentException naming the table's source and the column if one is missing or of
   *     another type
   */
  public double[] encode(Table table) {
    int d = inputs();
    double[] out = new double[table.rows() * d];
    int offset = 0;
    for (ColumnSpec spec : columns) {
      TableColumn col = column(table, spec);
      if (spec instanceof NumericSpec n) {
        NumericColumn values = (NumericColumn) col;
        for (int r = 0; r < table.rows(); r++) {
          out[r * d + offset] = n.encode(values.value(r));
        }
      } else {
        CategoricalSpec c = (CategoricalSpec) spec;
        CategoricalColumn values = (CategoricalColumn) col;
        int[] slots = c.slots(values.dictionary());
        int missing = c.missingSlot();
        for (int r = 0; r < table.rows(); r++) {
          int code = values.code(r);
          out[r * d + offset + (code < 0 ? missing : slots[code])] = 1;
        }
      }
      offset += spec.width();
    }
    return out;
  }

  private static TableColumn column(Table table, ColumnSpec spec) {
    TableColumn col = table.column(spec.name());
    if (col == null) {
      throw new IllegalArgumentException(table.source() + ": column '" + spec.name() + "' is missing (the"
          + " preprocessing expects a " + spec.type() + " column)");
    }
    if (!col.type().equals(spec.type())) {
      throw new IllegalArgumentException(table.source() + ": column '" + spec.name() + "' is " + col.type()
          + " here, the preprocessing expects it " + spec.type());
    }
    return col;
  }

  /** This preprocessing as JSON (UTF-8); {@link #fromJson} reads it back equal. */
  public byte[] toJson() {
    return PreprocessingJson.write(this);
  }

  /**
   * Reads {@link #toJson}'s output, refusing anything else with a message naming {@code source}.
   *
   * @throws PreprocessingFormatException if the bytes are not one valid preprocessing within bounds
   */
  public static Preprocessing fromJson(byte[] json, String source) {
    return PreprocessingJson.read(json, source);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Preprocessing p && p.labelName.equals(labelName) && p.classes.equals(classes)
        && p.columns.equals(columns);
  }

  @Override
  public int hashCode() {
    return java.util.Objects.hash(labelName, classes, columns);
  }

  @Override
  public String toString() {
    return new String(toJson(), java.nio.charset.StandardCharsets.UTF_8);
  }
}
