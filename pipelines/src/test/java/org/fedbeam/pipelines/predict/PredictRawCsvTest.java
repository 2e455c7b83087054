package org.fedbeam.pipelines.predict;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.contains;
import static org.hamcrest.Matchers.equalTo;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.fedbeam.data.Dataset;
import org.fedbeam.data.table.Table;
import org.fedbeam.data.table.TableCsv;
import org.fedbeam.model.ModelSpec;
import org.fedbeam.model.Parameters;
import org.fedbeam.model.bundle.BundleFormat;
import org.fedbeam.model.bundle.ModelBundle;
import org.fedbeam.preprocess.Preprocessing;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code fedbeam predict} on a provider's raw export with a bundle whose preprocessing has numeric and
 * categorical columns: semicolons, text IDs (one a formula, one quoted with the delimiter in it), a
 * missing number and a missing category (imputed as fitted), a category never seen (the "other" input),
 * no label column. Each row's classes and probabilities equal the in-process model's on {@link
 * Preprocessing#encode} of the same rows.
 */
class PredictRawCsvTest {
  private static final String TRAINING = """
      patient_id;age;ward;smoker;outcome
      A1;54;north;yes;sick
      A2;61;north;no;well
      A3;38;south;no;well
      A4;47;south;yes;sick
      A5;70;east;yes;sick
      A6;29;north;no;well
      A7;52;south;yes;sick
      A8;44;north;no;well
      """;
  private static final String RAW = """
      patient_id;age;ward;smoker
      P-001;54;north;yes
      =cmd|' /C calc'!A0;NA;south;no
      P-003;47.5;west;yes
      P-004;31;;no
      "P;5";60;east;yes
      """;

  @TempDir
  Path dir;

  @Test
  void rawRowsGetTheInProcessModelsClassesAndProbabilities() throws Exception {
    TableCsv.Options read = new TableCsv.Options(';', "outcome", "patient_id", Set.of(), Set.of(), TableCsv.Missing.IMPUTE,
        TableCsv.Options.DEFAULT_MISSING, 0.0);
    Table training = TableCsv.parse(new java.io.StringReader(TRAINING), "training.csv", read).table();
    Preprocessing pre = Preprocessing.fit(Preprocessing.pooled(training),
        new Preprocessing.Options(Preprocessing.Scaling.STANDARDIZE, Preprocessing.Impute.MEAN, 2));
    Parameters model = ModelSpec.of(pre.inputs(), List.of(5), 2).learner().initialize(11);
    ModelBundle bundle = ModelBundle.of(model, pre, "[]");
    Path bundleFile = dir.resolve("model.fbmb");
    Files.write(bundleFile, BundleFormat.encode(bundle));
    Path input = dir.resolve("raw.csv");
    Files.writeString(input, RAW);
    Path output = dir.resolve("predictions.csv");

    PredictTest.cli("predict", "--model", bundleFile.toString(), "--input", input.toString(), "--output",
        output.toString(), "--delimiter", ";", "--id-column", "patient_id", "--chunk-rows", "2");

    String labelled = RAW.lines().map(l -> l + (l.startsWith("patient_id") ? ";outcome" : ";x"))
        .reduce("", (a, b) -> a + b + "\n").replaceFirst(";x\n", ";y\n");
    Table same = TableCsv.parse(new java.io.StringReader(labelled), "same rows", read).table();
    Dataset encoded = PredictTest.encoded(bundle, same);
    float[] expected = model.spec().learner().predictProbabilities(model, encoded);
    float[] row = new float[pre.inputs()];
    encoded.copyRow(2, row, 0);
    assertThat(pre.featureNames(), contains("age", "ward=north", "ward=south", "ward=other", "smoker=no",
        "smoker=yes", "smoker=other"));
    assertThat(row[3], equalTo(1f)); // west was never seen: the "other" input
    List<String> lines = Files.readAllLines(output);
    assertThat(lines.get(0), equalTo("patient_id,predicted,p_sick,p_well"));
    assertThat(lines.size(), equalTo(6));
    String[] ids = {"P-001", "'=cmd|' /C calc'!A0", "P-003", "P-004", "P;5"}; // a formula is defused
    for (int r = 0; r < 5; r++) {
      String[] cells = lines.get(r + 1).split(",");
      assertThat(cells[0], equalTo(ids[r]));
      int top = expected[r * 2 + 1] > expected[r * 2] ? 1 : 0;
      assertThat(cells[1], equalTo(bundle.classLabels().get(top)));
      assertThat(Float.parseFloat(cells[2]), equalTo(expected[r * 2]));
      assertThat(Float.parseFloat(cells[3]), equalTo(expected[r * 2 + 1]));
    }
  }
}
