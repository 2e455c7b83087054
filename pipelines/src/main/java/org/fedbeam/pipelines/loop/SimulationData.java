package org.fedbeam.pipelines.loop;

import java.nio.file.Path;
import java.util.List;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;
import org.fedbeam.data.CsvReader;
import org.fedbeam.data.Dataset;
import org.fedbeam.data.DatasetFormat;
import org.fedbeam.data.FeatureScaling;
import org.fedbeam.data.IdxReader;
import org.fedbeam.data.Partitioner;
import org.fedbeam.model.Permutations;
import org.fedbeam.model.Seeds;
import org.fedbeam.transforms.Artifacts;

/**
 * Prepares a simulation's data: reads a central data set, holds out the orchestrator's validation
 * and test sets, splits the rest into silo shards with a {@link Partitioner}, and writes each shard
 * to its own folder ({@code OUTPUT/silos/silo-NN/train.fbds}), which stands for that silo's private
 * storage. Deterministic for a seed.
 *
 * @param silos silo id -> shard URI, in silo order
 * @param evaluationSets name ("validation", "test") -> shard URI
 * @param featureCount input width
 * @param classes number of classes
 * @param siloSizes silo id -> rows in its shard
 * @param source what the data is, for the summary
 * @param featureNames the raw data's feature names (a CSV's header without the label column;
 *     Fashion-MNIST's {@code pixel_0 .. pixel_783})
 * @param scaling what turned the raw rows into the model's inputs (a CSV: the standardisation fitted
 *     on the training pool; Fashion-MNIST: {@link IdxReader#pixelScaling(int)}, mean 0 and scale 255)
 * @param classLabels the class names in label order (a CSV's sorted label values; Fashion-MNIST's
 *     official names)
 */
public record SimulationData(Map<String, String> silos, Map<String, String> evaluationSets, int featureCount,
    int classes, Map<String, Integer> siloSizes, String source, List<String> featureNames, FeatureScaling scaling,
    List<String> classLabels) {

  public SimulationData {
    Bundles.Metadata checked = new Bundles.Metadata(featureNames, scaling, classLabels);
    if (checked.featureNames().size() != featureCount || checked.classLabels().size() != classes) {
      throw new IllegalArgumentException(source + ": " + featureCount + " features and " + classes + " classes, but "
          + checked.featureNames().size() + " feature names and " + checked.classLabels().size() + " class labels");
    }
    featureNames = checked.featureNames();
    classLabels = checked.classLabels();
  }

  /** Data whose rows are already the model's inputs: numbered names, the identity scaling (see {@link Bundles.Metadata#numbered}). */
  public SimulationData(Map<String, String> silos, Map<String, String> evaluationSets, int featureCount, int classes,
      Map<String, Integer> siloSizes, String source) {
    this(silos, evaluationSets, featureCount, classes, siloSizes, source, Bundles.Metadata.numbered(featureCount, classes));
  }

  private SimulationData(Map<String, String> silos, Map<String, String> evaluationSets, int featureCount, int classes,
      Map<String, Integer> siloSizes, String source, Bundles.Metadata metadata) {
    this(silos, evaluationSets, featureCount, classes, siloSizes, source, metadata.featureNames(), metadata.scaling(),
        metadata.classLabels());
  }

  /** What a model bundle of this data carries besides the model. */
  public Bundles.Metadata metadata() {
    return new Bundles.Metadata(featureNames, scaling, classLabels);
  }

  /**
   * Reads the data set named by the options and writes the shards under {@code output}; warnings
   * (malformed CSV rows skipped) go to {@code out}.
   */
  public static SimulationData prepare(TrainOptions options, java.io.PrintStream out) {
    Dataset pool;
    Dataset test;
    String source;
    Bundles.Metadata metadata;
    if ("fashion-mnist".equals(options.getDataset())) {
      Path dir = Path.of(options.getFashionMnistDir());
      pool = IdxReader.fashionMnistTrain(dir);
      test = IdxReader.fashionMnistTest(dir);
      source = "fashion-mnist (" + dir + ")";
      metadata = new Bundles.Metadata(org.fedbeam.model.bundle.ModelBundle.numberedNames("pixel_", pool.featureCount()),
          IdxReader.pixelScaling(pool.featureCount()), IdxReader.FASHION_MNIST_CLASSES);
    } else {
      CsvReader.Table table = CsvReader.read(Path.of(options.getDataset()),
          new CsvReader.Options(options.getLabelColumn(), options.getMaxBadRowShare()));
      if (!table.badRows().isEmpty()) {
        out.println("warning: " + options.getDataset() + ": skipped " + table.badRows().size()
            + " malformed rows, first: " + table.badRows().get(0));
      }
      Dataset[] split = holdOut(table.dataset(), options.getTestShare(), Seeds.derive(options.getSeed(), "test-split"));
      pool = split[0];
      test = split[1];
      source = "csv " + options.getDataset() + " (" + table.classNames().size() + " classes " + table.classNames() + ")";
      FeatureScaling scaling = FeatureScaling.fit(pool);
      pool = scaling.apply(pool);
      test = scaling.apply(test);
      metadata = new Bundles.Metadata(table.featureNames(), scaling, table.classNames());
    }
    Dataset[] trainVal = holdOut(pool, options.getValidationShare(), Seeds.derive(options.getSeed(), "validation-split"));
    return write(trainVal[0], trainVal[1], test, options, source, metadata);
  }

  private static SimulationData write(Dataset train, Dataset validation, Dataset test, TrainOptions options, String source,
      Bundles.Metadata metadata) {
    int[] labels = new int[train.size()];
    for (int i = 0; i < labels.length; i++) {
      labels[i] = train.label(i);
    }
    int[][] parts = Partitioner.split(labels, train.classes(), options.getSilos(),
        Partitioner.Scheme.parse(options.getPartition()), options.getAlpha(), Seeds.derive(options.getSeed(), "partition"));
    Map<String, String> silos = new LinkedHashMap<>();
    Map<String, Integer> sizes = new LinkedHashMap<>();
    String root = Artifacts.resolve(options.getOutput(), "silos");
    for (int s = 0; s < parts.length; s++) {
      String id = String.format("silo-%02d", s);
      String uri = Artifacts.resolve(Artifacts.resolve(root, id), "train.fbds");
      Artifacts.writeAtomically(uri, DatasetFormat.encode(train.subset(id, parts[s])));
      silos.put(id, uri);
      sizes.put(id, parts[s].length);
    }
    Map<String, String> eval = new LinkedHashMap<>();
    String evalRoot = Artifacts.resolve(options.getOutput(), "orchestrator");
    for (var e : Map.of("validation", validation, "test", test).entrySet()) {
      String uri = Artifacts.resolve(evalRoot, e.getKey() + ".fbds");
      Artifacts.writeAtomically(uri, DatasetFormat.encode(e.getValue()));
      eval.put(e.getKey(), uri);
    }
    return new SimulationData(silos, eval, train.featureCount(), train.classes(), sizes, source, metadata);
  }

  /** Splits off a random {@code share} of rows: [kept, held out]. */
  static Dataset[] holdOut(Dataset data, double share, long seed) {
    if (!(share > 0 && share < 1)) {
      throw new IllegalArgumentException("a held-out share must be in (0, 1), was " + share);
    }
    int n = data.size();
    int[] order = Permutations.identity(n);
    Permutations.shuffle(order, new SplittableRandom(seed));
    int held = (int) Math.round(n * share);
    if (held < 1 || held >= n) {
      throw new IllegalArgumentException(data.name() + ": holding out " + share + " of " + n + " rows leaves an empty side");
    }
    int[] keep = java.util.Arrays.copyOfRange(order, held, n);
    int[] out = java.util.Arrays.copyOfRange(order, 0, held);
    java.util.Arrays.sort(keep);
    java.util.Arrays.sort(out);
    return new Dataset[] {data.subset(data.name(), keep), data.subset(data.name() + " (held out)", out)};
  }
}
