package org.fedbeam.pipelines.cli;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import org.fedbeam.data.CsvReader;
import org.fedbeam.data.Dataset;
import org.fedbeam.data.FeatureScaling;
import org.fedbeam.data.IdxReader;
import org.fedbeam.data.table.Table;
import org.fedbeam.data.table.TableCsv;
import org.fedbeam.model.OutputHead;
import org.fedbeam.model.Parameters;
import org.fedbeam.model.Permutations;
import org.fedbeam.model.Seeds;
import org.fedbeam.model.bundle.ModelBundle;
import org.fedbeam.preprocess.CategoricalSpec;
import org.fedbeam.preprocess.ColumnSpec;
import org.fedbeam.preprocess.Preprocessing;

/**
 * The orchestrator's own data, lined up with the model {@code fedbeam finetune} starts from. A bundle
 * with a table preprocessing (from a CSV run) reads the CSV as a table ({@link TableCsv}, its categorical
 * columns declared as the preprocessing has them, missing values kept for it to impute) and encodes
 * it with that preprocessing, never refitted, so the fine-tuned model reads what the federated one did.
 * Otherwise: the raw columns the model reads, in its order (a bundle's feature names, matched by name in a CSV; the
 * pixels of Fashion-MNIST), standardised with the bundle's own scaling (a bare model: the training
 * rows' scaling for a CSV, {@code /255} for Fashion-MNIST); the labels mapped to the model's outputs
 * by their class label (a bare model has none: the data's sorted classes are its outputs in order), or
 * to a new head's outputs with {@code --new-head}; then split (seeded) into
 * fine-tuning, validation and test rows.
 *
 * @param train the fine-tuning rows
 * @param validation the validation rows
 * @param test the test rows
 * @param start the model training starts from (the input model, or with a new head)
 * @param featureNames the raw columns the fine-tuned model reads
 * @param scaling their preprocessing
 * @param classLabels the fine-tuned model's class labels
 * @param source what the data is, for the summary
 * @param preprocessing the input bundle's table preprocessing, with the fine-tuned model's classes, or null
 */
record FinetuneData(Dataset train, Dataset validation, Dataset test, Parameters start, List<String> featureNames,
    FeatureScaling scaling, List<String> classLabels, String source, Preprocessing preprocessing) {

  /** Fashion-MNIST's columns, as a bundle of a Fashion-MNIST run names them. */
  static final List<String> FASHION_MNIST_FEATURES = ModelBundle.numberedNames("pixel_", 784);
  private static final float PIXEL_SCALE = 255f;

  /** A table as read: raw values (row-major), its column names and class names, a label index per row. */
  private record Raw(float[] values, int columns, List<String> names, List<String> classes, int[] labels,
      String source) {}

  /**
   * Reads and lines up the data.
   *
   * @throws IllegalArgumentException naming the model and the data when they do not fit: the input
   *     width, the bundle's columns missing from the data, the data's classes the model lacks
   */
  static FinetuneData prepare(FinetuneOptions o, FinetuneModel model, PrintStream out) {
    Raw raw = "fashion-mnist".equals(o.getDataset()) ? fashionMnist(o)
        : model.preprocessing() != null ? table(o, model.preprocessing(), out) : csv(o, out);
    String modelName = "model " + model.uri() + " (" + model.parameters().spec() + ")";
    int inputs = model.parameters().spec().inputs();
    int[] columns = columns(raw, model, modelName, inputs);
    List<String> features = model.isBundle() ? model.featureNames() : raw.names();

    List<String> labels;
    int[] classOf;
    Parameters start;
    if (o.getNewHead()) {
      labels = raw.classes();
      classOf = Permutations.identity(labels.size());
      start = OutputHead.replace(model.parameters(), labels.size(), Seeds.derive(o.getSeed(), "finetune-new-head"));
    } else if (model.classLabels() == null) {
      // a bare model names no classes: a run's model numbers them in the sorted order the data's reader uses
      int outputs = model.parameters().spec().classes();
      if (raw.classes().size() != outputs) {
        throw new IllegalArgumentException(modelName + " has " + outputs + " outputs and no class labels (a bare model),"
            + " " + raw.source() + " has " + raw.classes().size() + " classes " + raw.classes()
            + "; pass --new-head, or fine-tune a bundle");
      }
      labels = raw.classes();
      classOf = Permutations.identity(outputs);
      start = model.parameters();
    } else {
      labels = model.classLabels();
      classOf = new int[raw.classes().size()];
      List<String> lacking = new ArrayList<>();
      for (int c = 0; c < classOf.length; c++) {
        classOf[c] = labels.indexOf(raw.classes().get(c));
        if (classOf[c] < 0) {
          lacking.add(raw.classes().get(c));
        }
      }
      if (!lacking.isEmpty()) {
        throw new IllegalArgumentException(raw.source() + " has classes " + lacking + " that " + modelName
            + " lacks (its classes: " + labels + "); pass --new-head to replace the output layer for the data's classes");
      }
      start = model.parameters();
    }

    int n = raw.labels().length;
    int[] order = Permutations.identity(n);
    Permutations.shuffle(order, new SplittableRandom(Seeds.derive(o.getSeed(), "finetune-split")));
    int tests = held(n, o.getTestShare(), "--test-share", raw.source());
    int validations = held(n, o.getValidationShare(), "--validation-share", raw.source());
    if (tests + validations >= n) {
      throw new IllegalArgumentException(raw.source() + ": holding out " + tests + " test and " + validations
          + " validation rows of " + n + " leaves none to fine-tune on");
    }
    int[] testRows = sorted(Arrays.copyOfRange(order, 0, tests));
    int[] validationRows = sorted(Arrays.copyOfRange(order, tests, tests + validations));
    int[] trainRows = sorted(Arrays.copyOfRange(order, tests + validations, n));

    FeatureScaling scaling = model.isBundle() ? model.scaling() : fit(raw, columns, trainRows, o);
    int classes = start.spec().classes();
    return new FinetuneData(build(raw, columns, scaling, classOf, classes, trainRows, "fine-tuning rows"),
        build(raw, columns, scaling, classOf, classes, validationRows, "validation rows"),
        build(raw, columns, scaling, classOf, classes, testRows, "test rows"),
        start, features, scaling, labels, raw.source(),
        model.preprocessing() == null ? null : new Preprocessing(o.getLabelColumn(), labels, model.preprocessing().columns()));
  }

  /** For each input of the model, the data's column that feeds it. */
  private static int[] columns(Raw raw, FinetuneModel model, String modelName, int inputs) {
    boolean named = model.isBundle() && !raw.source().startsWith("fashion-mnist");
    if (!named) {
      if (raw.columns() != inputs) {
        throw new IllegalArgumentException(modelName + " reads " + inputs + " features, " + raw.source() + " has "
            + raw.columns());
      }
      return Permutations.identity(inputs);
    }
    Map<String, Integer> index = new HashMap<>();
    for (int c = 0; c < raw.names().size(); c++) {
      index.put(raw.names().get(c), c);
    }
    List<String> missing = model.featureNames().stream().filter(f -> !index.containsKey(f)).toList();
    if (!missing.isEmpty()) {
      throw new IllegalArgumentException(raw.source() + " lacks " + missing.size() + " of the " + inputs
          + " columns " + modelName + " reads: " + (missing.size() > 20 ? missing.subList(0, 20) + " ..." : missing));
    }
    return model.featureNames().stream().mapToInt(index::get).toArray();
  }

  private static Raw fashionMnist(FinetuneOptions o) {
    Dataset data = IdxReader.fashionMnistTrain(Path.of(o.getFashionMnistDir()));
    if (o.getMaxRows() < 0) {
      throw new IllegalArgumentException("--max-rows must be >= 0, was " + o.getMaxRows());
    }
    if (o.getMaxRows() > 0 && o.getMaxRows() < data.size()) {
      int[] rows = Permutations.identity(data.size());
      Permutations.shuffle(rows, new SplittableRandom(Seeds.derive(o.getSeed(), "finetune-rows")));
      data = data.subset(data.name(), sorted(Arrays.copyOf(rows, o.getMaxRows())));
    }
    int d = data.featureCount();
    float[] values = values(data);
    int[] labels = labels(data);
    for (int i = 0; i < values.length; i++) {
      values[i] = Math.round(values[i] * PIXEL_SCALE); // the raw pixel, 0..255
    }
    // the official names, as a Fashion-MNIST federated run's bundle labels its classes
    List<String> classes = IdxReader.FASHION_MNIST_CLASSES.subList(0, data.classes());
    return new Raw(values, d, FASHION_MNIST_FEATURES, classes, labels, "fashion-mnist (" + o.getFashionMnistDir()
        + ", " + data.size() + " rows)");
  }

  /** The data set's rows, one after the other. */
  private static float[] values(Dataset data) {
    float[] values = new float[data.size() * data.featureCount()];
    for (int r = 0; r < data.size(); r++) {
      data.copyRow(r, values, r * data.featureCount());
    }
    return values;
  }

  private static int[] labels(Dataset data) {
    int[] labels = new int[data.size()];
    for (int r = 0; r < labels.length; r++) {
      labels[r] = data.label(r);
    }
    return labels;
  }

  private static Raw csv(FinetuneOptions o, PrintStream out) {
    CsvReader.Table table = CsvReader.read(Path.of(o.getDataset()),
        new CsvReader.Options(o.getLabelColumn(), o.getMaxBadRowShare()));
    if (!table.badRows().isEmpty()) {
      out.println("warning: " + o.getDataset() + ": skipped " + table.badRows().size() + " malformed rows, first: "
          + table.badRows().get(0));
    }
    Dataset data = table.dataset();
    int d = data.featureCount();
    float[] values = values(data);
    int[] labels = labels(data);
    return new Raw(values, d, table.featureNames(), table.classNames(), labels, "csv " + o.getDataset());
  }

  /** The CSV as a table, encoded by the bundle's preprocessing: its inputs are the model's, by name. */
  private static Raw table(FinetuneOptions o, Preprocessing pre, PrintStream out) {
    Set<String> categorical = new HashSet<>();
    for (ColumnSpec c : pre.columns()) {
      if (c instanceof CategoricalSpec) {
        categorical.add(c.name());
      }
    }
    Path file = Path.of(o.getDataset());
    TableCsv.Result read = TableCsv.read(file, new TableCsv.Options(',', o.getLabelColumn(), null, Set.of(), categorical,
        TableCsv.Missing.IMPUTE, TableCsv.Options.DEFAULT_MISSING, o.getMaxBadRowShare()));
    if (read.profile().malformed() > 0) {
      out.println("warning: " + o.getDataset() + ": skipped " + read.profile().malformed() + " malformed rows, first: "
          + String.join("; ", read.profile().malformedLines()));
    }
    Table table = read.table();
    double[] x = pre.encode(table);
    float[] values = new float[x.length];
    for (int i = 0; i < x.length; i++) {
      values[i] = (float) x[i];
    }
    int[] labels = new int[table.rows()];
    for (int r = 0; r < labels.length; r++) {
      labels[r] = table.label().code(r);
    }
    return new Raw(values, pre.inputs(), pre.featureNames(), table.label().dictionary(), labels, "csv " + o.getDataset());
  }

  private static FeatureScaling fit(Raw raw, int[] columns, int[] trainRows, FinetuneOptions o) {
    if (raw.source().startsWith("fashion-mnist")) {
      float[] mean = new float[columns.length];
      float[] scale = new float[columns.length];
      Arrays.fill(scale, PIXEL_SCALE);
      return new FeatureScaling(mean, scale);
    }
    return FeatureScaling.fit(build(raw, columns, null, Permutations.identity(raw.classes().size()),
        raw.classes().size(), trainRows, "fine-tuning rows (raw)"));
  }

  /** The rows, their columns in the model's order, scaled (unless {@code scaling} is null), labels mapped. */
  private static Dataset build(Raw raw, int[] columns, FeatureScaling scaling, int[] classOf, int classes, int[] rows,
      String name) {
    int d = columns.length;
    float[] f = new float[rows.length * d];
    int[] labels = new int[rows.length];
    for (int i = 0; i < rows.length; i++) {
      int base = rows[i] * raw.columns();
      for (int j = 0; j < d; j++) {
        float x = raw.values()[base + columns[j]];
        f[i * d + j] = scaling == null ? x : (x - scaling.mean()[j]) / scaling.scale()[j];
      }
      labels[i] = classOf[raw.labels()[rows[i]]];
    }
    return new Dataset(name, f, labels, d, classes);
  }

  private static int held(int n, double share, String flag, String source) {
    if (!(share > 0 && share < 1)) {
      throw new IllegalArgumentException(flag + " must be in (0, 1), was " + share);
    }
    int held = (int) Math.round(n * share);
    if (held < 1) {
      throw new IllegalArgumentException(source + ": " + flag + " " + share + " of " + n + " rows holds out none");
    }
    return held;
  }

  private static int[] sorted(int[] rows) {
    Arrays.sort(rows);
    return rows;
  }
}
