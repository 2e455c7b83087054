package org.fedbeam.pipelines.loop;

import java.nio.file.Path;
import java.util.List;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;
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
 * @param preprocessing a CSV's fitted table preprocessing (then {@code featureNames} are its expanded
 *     inputs and {@code scaling} the identity), or null
 */
public record SimulationData(Map<String, String> silos, Map<String, String> evaluationSets, int featureCount,
    int classes, Map<String, Integer> siloSizes, String source, List<String> featureNames, FeatureScaling scaling,
    List<String> classLabels, org.fedbeam.preprocess.Preprocessing preprocessing) {

  /** Data without a table preprocessing. */
  public SimulationData(Map<String, String> silos, Map<String, String> evaluationSets, int featureCount, int classes,
      Map<String, Integer> siloSizes, String source, List<String> featureNames, FeatureScaling scaling,
      List<String> classLabels) {
    this(silos, evaluationSets, featureCount, classes, siloSizes, source, featureNames, scaling, classLabels, null);
  }

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
        metadata.classLabels(), metadata.preprocessing());
  }

  /** What a model bundle of this data carries besides the model. */
  public Bundles.Metadata metadata() {
    return new Bundles.Metadata(featureNames, scaling, classLabels, preprocessing);
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
      return TableSimulationData.prepare(options, out);
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
    List<Dataset> shards = new java.util.ArrayList<>();
    for (int s = 0; s < parts.length; s++) {
      shards.add(train.subset(siloId(s), parts[s]));
    }
    return writeShards(shards, validation, test, options, source, metadata);
  }

  /** A silo's id: {@code silo-NN}. */
  static String siloId(int s) {
    return String.format("silo-%02d", s);
  }

  /** Writes each silo's shard (named by its id) and the orchestrator's evaluation sets. */
  static SimulationData writeShards(List<Dataset> shards, Dataset validation, Dataset test, TrainOptions options,
      String source, Bundles.Metadata metadata) {
    Map<String, String> silos = new LinkedHashMap<>();
    Map<String, Integer> sizes = new LinkedHashMap<>();
    String root = Artifacts.resolve(options.getOutput(), "silos");
    for (int s = 0; s < shards.size(); s++) {
      String id = siloId(s);
      String uri = Artifacts.resolve(Artifacts.resolve(root, id), "train.fbds");
      Artifacts.writeAtomically(uri, DatasetFormat.encode(shards.get(s)));
      silos.put(id, uri);
      sizes.put(id, shards.get(s).size());
    }
    Map<String, String> eval = new LinkedHashMap<>();
    String evalRoot = Artifacts.resolve(options.getOutput(), "orchestrator");
    for (var e : Map.of("validation", validation, "test", test).entrySet()) {
      String uri = Artifacts.resolve(evalRoot, e.getKey() + ".fbds");
      Artifacts.writeAtomically(uri, DatasetFormat.encode(e.getValue()));
      eval.put(e.getKey(), uri);
    }
    return new SimulationData(silos, eval, validation.featureCount(), validation.classes(), sizes, source, metadata);
  }

  /** Splits off a random {@code share} of rows: [kept, held out]. */
  static Dataset[] holdOut(Dataset data, double share, long seed) {
    int[][] rows = holdOutRows(data.size(), share, seed, data.name());
    return new Dataset[] {data.subset(data.name(), rows[0]), data.subset(data.name() + " (held out)", rows[1])};
  }

  /** The row indices {@link #holdOut} keeps and holds out, each sorted: [kept, held out]. */
  static int[][] holdOutRows(int n, double share, long seed, String name) {
    if (!(share > 0 && share < 1)) {
      throw new IllegalArgumentException("a held-out share must be in (0, 1), was " + share);
    }
    int[] order = Permutations.identity(n);
    Permutations.shuffle(order, new SplittableRandom(seed));
    int held = (int) Math.round(n * share);
    if (held < 1 || held >= n) {
      throw new IllegalArgumentException(name + ": holding out " + share + " of " + n + " rows leaves an empty side");
    }
    int[] keep = java.util.Arrays.copyOfRange(order, held, n);
    int[] out = java.util.Arrays.copyOfRange(order, 0, held);
    java.util.Arrays.sort(keep);
    java.util.Arrays.sort(out);
    return new int[][] {keep, out};
  }
}
