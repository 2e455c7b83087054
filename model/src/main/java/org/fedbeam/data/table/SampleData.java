package org.fedbeam.data.table;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.fedbeam.data.DataFormatException;

/**
 * Real tabular data that Debian packages ship, as a CSV export with a proper header: scikit-learn's
 * breast-cancer (569 x 30, numeric; label {@code diagnosis}: malignant, benign) and wine (178 x 13, numeric;
 * label {@code cultivar}: class_0..class_2) from {@code python3-sklearn}, and Weka's German credit data
 * (1000 x 20, 13 categorical; label {@code class}: good, bad) from {@code weka}. sklearn's files start with
 * a line {@code n_rows,n_features,class names...}, not a header: the feature names are sklearn's public
 * ones ({@code load_breast_cancer().feature_names}, {@code load_wine().feature_names}).
 */
public final class SampleData {
  /** The data sets, by their command-line name. */
  public static final List<String> NAMES = List.of("breast-cancer", "wine", "credit-g");
  public static final Path SKLEARN_DATA = Path.of("/usr/lib/python3/dist-packages/sklearn/datasets/data");
  public static final Path WEKA_EXAMPLES = Path.of("/usr/share/doc/weka/examples");

  private static final List<String> BREAST_CANCER_FEATURES = breastCancerFeatures();
  private static final List<String> WINE_FEATURES = List.of("alcohol", "malic_acid", "ash", "alcalinity_of_ash",
      "magnesium", "total_phenols", "flavanoids", "nonflavanoid_phenols", "proanthocyanins", "color_intensity", "hue",
      "od280/od315_of_diluted_wines", "proline");

  /**
   * A data set as text: its header, its label column, its rows (a value per header column, null where
   * missing) and the columns that are categorical.
   */
  public record Export(String name, List<String> header, String labelColumn, List<List<String>> rows,
      Set<String> categorical) {
    /** The export as CSV text (comma-separated, RFC 4180 quoting where needed, a missing value as an empty cell). */
    public String toCsv() {
      return toCsv(rows);
    }

    /** The header and {@code someRows} as CSV text. */
    public String toCsv(List<List<String>> someRows) {
      StringBuilder sb = new StringBuilder();
      line(sb, header);
      someRows.forEach(r -> line(sb, r));
      return sb.toString();
    }

    private static void line(StringBuilder sb, List<String> cells) {
      for (int i = 0; i < cells.size(); i++) {
        String c = cells.get(i) == null ? "" : cells.get(i);
        boolean plain = c.chars().noneMatch(ch -> ch == ',' || ch == '"' || ch == '\n' || ch == '\r') && c.equals(c.strip());
        sb.append(i == 0 ? "" : ",").append(plain ? c : '"' + c.replace("\"", "\"\"") + '"');
      }
      sb.append('\n');
    }
  }

  private SampleData() {}

  /**
   * @param name one of {@link #NAMES}
   * @throws IllegalArgumentException for an unknown name, or naming the Debian package and the apt-get
   *     command when its file is missing
   */
  public static Export load(String name) {
    return switch (name) {
      case "breast-cancer" -> sklearn(SKLEARN_DATA.resolve("breast_cancer.csv"), "breast-cancer", BREAST_CANCER_FEATURES, "diagnosis");
      case "wine" -> sklearn(SKLEARN_DATA.resolve("wine_data.csv"), "wine", WINE_FEATURES, "cultivar");
      case "credit-g" -> arff(WEKA_EXAMPLES.resolve("credit-g.arff"), "credit-g", "class");
      default -> throw new IllegalArgumentException("--dataset must be one of " + NAMES + ", was '" + name + "'");
    };
  }

  /** sklearn's CSV: a first line {@code n_rows,n_features,class names...}, then features and a class index per row. */
  public static Export sklearn(Path file, String name, List<String> features, String labelColumn) {
    List<String> lines = lines(file, "python3-sklearn");
    String source = file.toString();
    List<String> first = List.of(lines.get(0).split(","));
    int n = whole(first, 0, source);
    int d = whole(first, 1, source);
    List<String> classes = first.subList(2, first.size());
    if (d != features.size() || classes.size() < 2) {
      throw new DataFormatException(source + ": line 1: expected " + features.size() + " features and 2+ classes, found "
          + first);
    }
    List<List<String>> rows = new ArrayList<>();
    for (int i = 1; i < lines.size(); i++) {
      if (lines.get(i).isBlank()) {
        continue;
      }
      List<String> cells = new ArrayList<>(List.of(lines.get(i).split(",", -1)));
      if (cells.size() != d + 1) {
        throw new DataFormatException(source + ": line " + (i + 1) + ": expected " + (d + 1) + " values, found " + cells.size());
      }
      int k = whole(cells, d, source + ": line " + (i + 1));
      if (k < 0 || k >= classes.size()) {
        throw new DataFormatException(source + ": line " + (i + 1) + ": class " + k + " is not one of " + classes);
      }
      cells.set(d, classes.get(k));
      rows.add(List.copyOf(cells));
    }
    if (rows.size() != n) {
      throw new DataFormatException(source + ": line 1 announces " + n + " rows, the file has " + rows.size());
    }
    List<String> header = new ArrayList<>(features);
    header.add(labelColumn);
    return new Export(name, List.copyOf(header), labelColumn, rows, Set.of());
  }

  /** An ARFF file; its last attribute must be {@code labelColumn}. */
  public static Export arff(Path file, String name, String labelColumn) {
    ArffReader.Arff arff = ArffReader.parse(lines(file, "weka"), file.toString());
    List<String> header = arff.attributes().stream().map(ArffReader.Attribute::name).toList();
    if (!header.get(header.size() - 1).equals(labelColumn)) {
      throw new DataFormatException(file + ": the last attribute is '" + header.get(header.size() - 1) + "', expected '"
          + labelColumn + "'");
    }
    Set<String> categorical = new LinkedHashSet<>();
    arff.attributes().stream().filter(a -> !a.numeric() && !a.name().equals(labelColumn))
        .forEach(a -> categorical.add(a.name()));
    List<List<String>> rows = arff.rows().stream().map(r -> java.util.Collections.unmodifiableList(new ArrayList<>(r))).toList();
    return new Export(name, header, labelColumn, rows, categorical);
  }

  private static List<String> lines(Path file, String debianPackage) {
    if (!Files.isRegularFile(file)) {
      throw new IllegalArgumentException(file + " is missing: it comes with the Debian package " + debianPackage
          + "; install it with: sudo apt-get install " + debianPackage);
    }
    try {
      List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
      if (lines.isEmpty()) {
        throw new DataFormatException(file + ": empty file");
      }
      return lines;
    } catch (IOException e) {
      throw new DataFormatException(file + ": cannot read: " + e.getMessage());
    }
  }

  private static int whole(List<String> cells, int i, String where) {
    try {
      return Integer.parseInt(cells.get(i).strip());
    } catch (NumberFormatException | IndexOutOfBoundsException e) {
      throw new DataFormatException(where + ": value " + (i + 1) + " is not a whole number");
    }
  }

  private static List<String> breastCancerFeatures() {
    List<String> base = List.of("radius", "texture", "perimeter", "area", "smoothness", "compactness", "concavity",
        "concave points", "symmetry", "fractal dimension");
    return Stream.of("mean %s", "%s error", "worst %s")
        .flatMap(f -> base.stream().map(b -> String.format(f, b))).toList();
  }
}
