package org.fedbeam.pipelines.predict;

import java.io.BufferedReader;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.fedbeam.data.CsvLine;
import org.fedbeam.data.DataFormatException;
import org.fedbeam.model.bundle.ModelBundle;

/**
 * The input of a bundle without a preprocessing (format version 1, or numeric data): comma-separated
 * numbers, one line per row. The header must name every feature of the bundle (in any order) and
 * nothing else but the optional id column; each cell is scaled as the bundle says
 * ({@code (x - mean) / scale}) and must stay a finite number.
 */
final class NumericInput implements PredictInput {
  private final BufferedReader reader;
  private final String source;
  private final ModelBundle bundle;
  private final int features;
  private final int[] featureAt;
  private int idAt = -1;
  private int width;
  private int lineNo = 1;

  NumericInput(BufferedReader reader, String source, ModelBundle bundle, String idColumn) throws IOException {
    this.reader = reader;
    this.source = source;
    this.bundle = bundle;
    this.features = bundle.featureNames().size();
    this.featureAt = new int[features];
    String line = reader.readLine();
    while (line != null && line.isBlank()) {
      line = reader.readLine();
      lineNo++;
    }
    if (line == null) {
      throw new DataFormatException(source + ": empty file, expected a header row");
    }
    header(CsvLine.split(line.startsWith("\uFEFF") ? line.substring(1) : line), idColumn);
  }

  @Override
  public boolean hasId() {
    return idAt >= 0;
  }

  @Override
  public String next(float[] chunk, int base) throws IOException {
    String line;
    while ((line = reader.readLine()) != null) {
      lineNo++;
      if (!line.isBlank()) {
        return row(CsvLine.split(line), chunk, base);
      }
    }
    return null;
  }

  private void header(List<String> header, String idColumn) {
    Map<String, Integer> at = new HashMap<>();
    for (int c = 0; c < header.size(); c++) {
      if (at.put(header.get(c), c) != null) {
        throw new DataFormatException(source + ": the header names column '" + header.get(c) + "' twice");
      }
    }
    width = header.size();
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
          + " feature columns: " + Predict.abbreviate(missing));
    }
    if (!at.isEmpty()) {
      List<String> extra = header.stream().filter(at::containsKey).toList();
      throw new DataFormatException(source + ": column(s) " + Predict.abbreviate(extra) + " are not features of the model"
          + (idColumn == null ? "; name an id column with --id-column, or remove them" : "; remove them"));
    }
  }

  private String row(List<String> cells, float[] chunk, int base) {
    if (cells.size() != width) {
      throw new DataFormatException(source + ": line " + lineNo + ": expected " + width + " columns, found "
          + cells.size());
    }
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
    return idAt >= 0 ? cells.get(idAt) : "";
  }
}
