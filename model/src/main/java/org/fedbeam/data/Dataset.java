package org.fedbeam.data;

/**
 * An in-memory labelled data set: {@code size} rows of {@code features} float32 values, row-major,
 * and one class label per row in {@code [0, classes)}. Immutable after construction: the arrays are
 * copied in and never handed out.
 */
public final class Dataset {
  private final String name;
  private final float[] features;
  private final int[] labels;
  private final int featureCount;
  private final int classes;

  /**
   * @param name what the rows are (a file or silo), named in errors
   * @throws IllegalArgumentException if the shapes disagree or a label is out of range
   */
  public Dataset(String name, float[] features, int[] labels, int featureCount, int classes) {
    this(name, features.clone(), labels.clone(), featureCount, classes, true);
  }

  private Dataset(String name, float[] features, int[] labels, int featureCount, int classes, boolean check) {
    if (featureCount < 1) {
      throw new IllegalArgumentException(name + ": featureCount must be >= 1, was " + featureCount);
    }
    if (classes < 2) {
      throw new IllegalArgumentException(name + ": classes must be >= 2, was " + classes);
    }
    if ((long) labels.length * featureCount != features.length) {
      throw new IllegalArgumentException(name + ": " + labels.length + " labels need " + (long) labels.length * featureCount
          + " feature values, found " + features.length);
    }
    if (check) {
      for (int i = 0; i < labels.length; i++) {
        if (labels[i] < 0 || labels[i] >= classes) {
          throw new IllegalArgumentException(name + ": row " + i + " has label " + labels[i] + ", expected [0, " + classes + ")");
        }
      }
    }
    this.name = name;
    this.features = features;
    this.labels = labels;
    this.featureCount = featureCount;
    this.classes = classes;
  }

  /** Wraps arrays the caller made for this data set and will not touch again. */
  static Dataset adopt(String name, float[] features, int[] labels, int featureCount, int classes) {
    return new Dataset(name, features, labels, featureCount, classes, true);
  }

  public String name() {
    return name;
  }

  public int size() {
    return labels.length;
  }

  public int featureCount() {
    return featureCount;
  }

  public int classes() {
    return classes;
  }

  public int label(int row) {
    return labels[row];
  }

  public float feature(int row, int column) {
    return features[row * featureCount + column];
  }

  /** Copies row {@code row}'s features into {@code dst} starting at {@code dstOffset}. */
  public void copyRow(int row, float[] dst, int dstOffset) {
    System.arraycopy(features, row * featureCount, dst, dstOffset, featureCount);
  }

  /** Copies row {@code row}'s features into the direct or heap buffer at absolute {@code dstIndex}. */
  public void copyRow(int row, java.nio.FloatBuffer dst, int dstIndex) {
    dst.put(dstIndex, features, row * featureCount, featureCount);
  }

  /** The same rows (sharing the features) with every label {@code y} replaced by {@code mapping[y]}. */
  public Dataset relabel(String newName, int[] mapping) {
    if (mapping.length != classes) {
      throw new IllegalArgumentException(name + ": a relabelling needs " + classes + " entries, got " + mapping.length);
    }
    int[] l = new int[labels.length];
    for (int i = 0; i < l.length; i++) {
      l[i] = mapping[labels[i]];
    }
    return new Dataset(newName, features, l, featureCount, classes, true);
  }

  /** A new data set holding the given rows, in the given order. */
  public Dataset subset(String subsetName, int[] rows) {
    float[] f = new float[rows.length * featureCount];
    int[] l = new int[rows.length];
    for (int i = 0; i < rows.length; i++) {
      System.arraycopy(features, rows[i] * featureCount, f, i * featureCount, featureCount);
      l[i] = labels[rows[i]];
    }
    return new Dataset(subsetName, f, l, featureCount, classes, false);
  }

  /** The first {@code n} rows (or all of them if there are fewer). */
  public Dataset head(String subsetName, int n) {
    int m = Math.min(n, size());
    int[] rows = new int[m];
    for (int i = 0; i < m; i++) {
      rows[i] = i;
    }
    return subset(subsetName, rows);
  }

  /** All rows of the given data sets, in order; they must agree on features and classes. */
  public static Dataset concat(String name, java.util.List<Dataset> parts) {
    if (parts.isEmpty()) {
      throw new IllegalArgumentException(name + ": nothing to concatenate");
    }
    Dataset first = parts.get(0);
    int rows = 0;
    for (Dataset d : parts) {
      if (d.featureCount != first.featureCount || d.classes != first.classes) {
        throw new IllegalArgumentException(name + ": " + d.name + " has " + d.featureCount + " features and " + d.classes
            + " classes, " + first.name + " has " + first.featureCount + " and " + first.classes);
      }
      rows += d.size();
    }
    float[] f = new float[rows * first.featureCount];
    int[] l = new int[rows];
    int at = 0;
    for (Dataset d : parts) {
      System.arraycopy(d.features, 0, f, at * first.featureCount, d.features.length);
      System.arraycopy(d.labels, 0, l, at, d.labels.length);
      at += d.size();
    }
    return new Dataset(name, f, l, first.featureCount, first.classes, false);
  }

  /** How many rows carry each label. */
  public int[] labelCounts() {
    int[] counts = new int[classes];
    for (int label : labels) {
      counts[label]++;
    }
    return counts;
  }

  /** Direct read access for the codecs in this package. */
  float[] featureArray() {
    return features;
  }

  int[] labelArray() {
    return labels;
  }

  @Override
  public String toString() {
    return "Dataset[" + name + ", " + size() + " x " + featureCount + ", " + classes + " classes]";
  }
}
