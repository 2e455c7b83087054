package org.fedbeam.pipelines.cli;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.allOf;
import static org.hamcrest.Matchers.contains;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.not;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.fedbeam.data.table.CategoricalColumn;
import org.fedbeam.data.table.NumericColumn;
import org.fedbeam.data.table.Table;
import org.fedbeam.data.table.TableFormat;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code fedbeam prepare} and {@code fedbeam sample-data} run through the real CLI on real files. */
class PrepareCommandTest {
  /** A hospital export: a text ID column, semicolons, missing values (NA and empty), a code column, a row without a label. */
  private static final String EXPORT = """
      patient_id;age;sex;ward;bmi;outcome
      A-17;54;f;01;22.5;yes
      A-18;NA;m;02;31.0;no
      A-19;31;m;01;;no
      A-20;47;f;03;27.25;yes
      A-21;62;;02;24;
      A-22;39;m;01;25.5;no
      """;

  @TempDir
  Path dir;

  private record Run(int code, String out, String err) {}

  private static Run fedbeam(String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int code = FedBeam.run(args, new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
    return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }

  private Path export() throws Exception {
    Path csv = dir.resolve("export.csv");
    Files.writeString(csv, EXPORT, StandardCharsets.UTF_8);
    return csv;
  }

  @Test
  void aRealExportBecomesATableWithTheExpectedColumnsAndValues() throws Exception {
    Path csv = export();
    Path fbt = dir.resolve("silo.fbt");

    Run r = fedbeam("prepare", "--input", csv.toString(), "--output", fbt.toString(), "--label-column", "outcome",
        "--delimiter", ";", "--id-column", "patient_id", "--categorical-columns", "ward", "--missing", "impute");

    assertThat(r.err(), r.code(), equalTo(0));
    Table t = TableFormat.decode(Files.readAllBytes(fbt), fbt.toString());
    assertThat(t.columnNames(), contains("age", "sex", "ward", "bmi"));
    assertThat(t.rows(), equalTo(5));
    assertArrayEquals(new double[] {54, Double.NaN, 31, 47, 39}, ((NumericColumn) t.column("age")).values());
    assertArrayEquals(new double[] {22.5, 31.0, Double.NaN, 27.25, 25.5}, ((NumericColumn) t.column("bmi")).values());
    CategoricalColumn ward = (CategoricalColumn) t.column("ward");
    assertThat(ward.dictionary(), contains("01", "02", "03"));
    assertThat(t.label().dictionary(), contains("no", "yes"));
    JsonNode prepared = prepared(r.out());
    assertThat(prepared.get("rows").asInt(), equalTo(5));
    assertThat(prepared.get("columns").asInt(), equalTo(4));
    assertThat(prepared.get("dropped").get("missing_label").asInt(), equalTo(1));
    assertThat(prepared.get("output").asText(), equalTo(fbt.toString()));
    assertThat(r.out(), allOf(containsString("id column 'patient_id'"), not(containsString("A-17"))));
  }

  @Test
  void missingDropCountsTheRowsItDrops() throws Exception {
    Path fbt = dir.resolve("silo.fbt");

    Run r = fedbeam("prepare", "--input", export().toString(), "--output", fbt.toString(), "--label-column", "outcome",
        "--delimiter", ";", "--id-column", "patient_id");

    assertThat(r.err(), r.code(), equalTo(0));
    assertThat(prepared(r.out()).get("dropped").get("missing_values").asInt(), equalTo(2));
    assertThat(TableFormat.decode(Files.readAllBytes(fbt), "f").rows(), equalTo(3));
  }

  @Test
  void badInputsEachGiveTheirMessage() throws Exception {
    Path csv = export();
    String in = csv.toString();
    Path existing = dir.resolve("old.fbt");
    Files.writeString(existing, "keep me");

    assertRefused(fedbeam("prepare", "--input", in, "--output", in, "--label-column", "outcome", "--delimiter", ";"),
        "is the input file");
    assertRefused(fedbeam("prepare", "--input", in, "--output", existing.toString(), "--label-column", "outcome",
        "--delimiter", ";"), "already exists: pass --overwrite");
    assertThat(Files.readString(existing), equalTo("keep me"));
    assertRefused(fedbeam("prepare", "--input", in, "--output", dir.resolve("a.fbt").toString(), "--label-column", "outcome"),
        "use --delimiter ';'");
    assertRefused(fedbeam("prepare", "--input", in, "--output", dir.resolve("a.fbt").toString(), "--label-column", "outcome",
        "--delimiter", ";", "--id-column", "pid"), "no ID column 'pid' in the header");
    assertRefused(fedbeam("prepare", "--input", in, "--output", dir.resolve("a.fbt").toString(), "--label-column", "outcome",
        "--delimiter", ";", "--missing", "guess"), "--missing must be drop or impute, was 'guess'");
    assertRefused(fedbeam("prepare", "--input", in, "--output", dir.resolve("a.fbt").toString(), "--label-column", "outcome",
        "--delimiter", ";;"), "--delimiter must be one character");
    assertRefused(fedbeam("prepare", "--input", dir.resolve("none.csv").toString(), "--output", dir.resolve("a.fbt").toString(),
        "--label-column", "outcome"), "no such CSV file");
    assertThat(Files.exists(dir.resolve("a.fbt")), equalTo(false));
  }

  @Test
  void sampleDataSplitsARealDataSetForPartiesThatPrepareReads() throws Exception {
    Path out = dir.resolve("credit.csv");

    Run s = fedbeam("sample-data", "--dataset", "credit-g", "--output", out.toString(), "--split", "2", "--seed", "7",
        "--with-id");
    Run p = fedbeam("prepare", "--input", dir.resolve("credit-1.csv").toString(), "--output", dir.resolve("a.fbt").toString(),
        "--label-column", "class", "--id-column", "record_id");

    assertThat(s.err(), s.code(), equalTo(0));
    assertThat(p.err(), p.code(), equalTo(0));
    assertTrue(Files.readString(dir.resolve("credit-2.csv")).startsWith("record_id,checking_status,duration,"));
    Table t = TableFormat.decode(Files.readAllBytes(dir.resolve("a.fbt")), "a");
    assertThat(t.rows(), equalTo(500));
    assertThat(t.categoricalNames().size(), equalTo(13));
    assertThat(prepared(p.out()).get("duplicate_ids").asInt(), equalTo(0));
  }

  @Test
  void helpListsEachCommandsFlags() {
    Run prepare = fedbeam("prepare", "--help");
    Run sample = fedbeam("sample-data", "--help");

    assertThat(prepare.code(), equalTo(0));
    assertThat(prepare.out(), allOf(containsString("usage: fedbeam prepare"), containsString("--id-column"),
        containsString("--categorical-columns"), containsString("--missing-values")));
    assertThat(sample.code(), equalTo(0));
    assertThat(sample.out(), allOf(containsString("usage: fedbeam sample-data"), containsString("--split"),
        containsString("--with-id")));
  }

  private static void assertRefused(Run r, String message) {
    assertThat(r.out() + r.err(), r.code(), equalTo(2));
    assertThat(r.err(), containsString(message));
  }

  private static JsonNode prepared(String out) throws Exception {
    String line = out.lines().filter(l -> l.startsWith("PREPARED ")).findFirst().orElseThrow();
    return new ObjectMapper().readTree(line.substring("PREPARED ".length()));
  }
}
