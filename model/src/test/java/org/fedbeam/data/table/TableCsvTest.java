package org.fedbeam.data.table;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.allOf;
import static org.hamcrest.Matchers.contains;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.not;
import static org.hamcrest.Matchers.startsWith;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import org.fedbeam.data.DataFormatException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Reading a provider's CSV export: quoting, delimiters, ID and dropped columns, types, missing values, errors. */
class TableCsvTest {
  private static final String SRC = "export.csv";
  private static final TableCsv.Options OUTCOME = TableCsv.Options.of("outcome");
  private static final String PATIENTS = """
      patient_id;age;sex;ward;outcome
      P-001;54;f;01;yes
      P-002;NA;m;02;no
      P-003;31;;01;no
      P-004;47,5;m;03;
      P-001;60;f;02;yes
      P-005;40;m;03;no
      """;

  @Test
  void quotedCellsHoldDelimitersDoubledQuotesAndLineBreaks() {
    String csv = "name,x,outcome\n\"Smith, J\",1,a\n\"say \"\"hi\"\"\",2,b\n\"two\nlines\",3,a\n";

    Table t = parse(csv, OUTCOME).table();

    CategoricalColumn name = (CategoricalColumn) t.column("name");
    assertThat(name.dictionary(), contains("Smith, J", "say \"hi\"", "two\nlines"));
    assertThat(t.rows(), equalTo(3));
  }

  @Test
  void aByteOrderMarkCrlfAndBlankLinesAreHandled() {
    String csv = "\uFEFFx,outcome\r\n1,a\r\n\r\n2,b\r\n  \r\n3,a";

    TableCsv.Result r = parse(csv, OUTCOME);

    assertThat(r.table().columnNames(), contains("x"));
    assertThat(((NumericColumn) r.table().column("x")).values(), equalTo(new double[] {1, 2, 3}));
    assertThat(r.profile().rowsRead(), equalTo(3L));
  }

  @Test
  void semicolonsTabsAndPipesAreDelimiters() {
    for (char d : new char[] {';', '\t', '|'}) {
      String csv = "x" + d + "c" + d + "outcome\n1.5" + d + "a,b" + d + "y\n2" + d + "c" + d + "n\n";

      Table t = parse(csv, withDelimiter(d)).table();

      assertThat(((NumericColumn) t.column("x")).values(), equalTo(new double[] {1.5, 2}));
      assertThat(((CategoricalColumn) t.column("c")).dictionary(), contains("a,b", "c"));
    }
  }

  @Test
  void aSemicolonFileReadWithCommasSaysToUseDelimiter() {
    DataFormatException e = assertThrows(DataFormatException.class, () -> parse(PATIENTS, OUTCOME));

    assertThat(e.getMessage(), allOf(startsWith(SRC + ": line 1 (header)"), containsString("use --delimiter ';'")));
  }

  @Test
  void anIdColumnIsKeptOutAndItsDuplicatesCounted() {
    TableCsv.Result r = parse(PATIENTS, patients(TableCsv.Missing.IMPUTE, Set.of()));

    assertThat(r.table().columnNames(), contains("age", "sex", "ward"));
    assertThat(r.profile().idColumn(), equalTo("patient_id"));
    assertThat(r.profile().duplicateIds(), equalTo(1L));
    assertThat(r.profile().render(), not(containsString("P-00")));
  }

  @Test
  void textInANumericLookingColumnMakesItCategoricalAndDeclaredColumnsStayCategorical() {
    TableCsv.Result r = parse(PATIENTS, patients(TableCsv.Missing.IMPUTE, Set.of("ward")));

    CategoricalColumn ward = (CategoricalColumn) r.table().column("ward");
    assertThat(ward.dictionary(), contains("01", "02", "03"));
    assertThat(r.table().column("age").type(), equalTo("numeric"));
    assertTrue(r.profile().columns().get(2).declared());
    TableCsv.Result inferred = parse(PATIENTS, patients(TableCsv.Missing.IMPUTE, Set.of()));
    assertThat(inferred.table().column("ward").type(), equalTo("numeric"));
  }

  @Test
  void aTypoInAMostlyNumericColumnMakesItsRowMalformedNamingLineColumnAndCell() {
    String csv = "x,y,outcome\n1,u,a\n2,v,b\noops,w,a\n4,u,b\n5.5,v,a\n";
    TableCsv.Options lenient = new TableCsv.Options(',', "outcome", null, Set.of(), Set.of(), TableCsv.Missing.DROP,
        TableCsv.Options.DEFAULT_MISSING, 0.25);

    TableCsv.Result r = parse(csv, lenient);

    assertThat(((NumericColumn) r.table().column("x")).values(), equalTo(new double[] {1, 2, 4, 5.5}));
    assertThat(r.table().rows(), equalTo(4));
    assertThat(r.profile().malformed(), equalTo(1L));
    assertThat(r.profile().malformedLines(), contains("line 4: column 'x' is not a number: 'oops'"));
    assertThat(r.profile().render(), containsString("malformed: line 4: column 'x' is not a number: 'oops'"));
  }

  @Test
  void tooManyTyposFailNamingFileLineColumnCellAndTheFlagsThatHelp() {
    String csv = "x,outcome\n1,a\n2,b\n3,a\n-,b\n" + "y".repeat(60) + ",a\n";

    DataFormatException e = assertThrows(DataFormatException.class, () -> parse(csv, OUTCOME));

    assertThat(e.getMessage(), allOf(startsWith(SRC + ": 2 of 5 data rows are malformed (40.0%"),
        containsString("first: line 5: column 'x' is not a number: '-'; line 6: column 'x' is not a number: '"
            + "y".repeat(40) + "...'"),
        containsString("declare it with --categorical-columns"), containsString("list them with --missing-values")));
  }

  @Test
  void aDeclaredCategoricalColumnOrAMissingMarkerTakesTheTypoInstead() {
    String csv = "x,outcome\n1,a\n2,b\n-,a\n4,b\n";
    TableCsv.Options declared = new TableCsv.Options(',', "outcome", null, Set.of(), Set.of("x"), TableCsv.Missing.DROP,
        TableCsv.Options.DEFAULT_MISSING, 0.0);
    TableCsv.Options dash = new TableCsv.Options(',', "outcome", null, Set.of(), Set.of(), TableCsv.Missing.IMPUTE,
        Set.of("-"), 0.0);

    Table asCategories = parse(csv, declared).table();
    Table asMissing = parse(csv, dash).table();

    assertThat(((CategoricalColumn) asCategories.column("x")).dictionary(), contains("-", "1", "2", "4"));
    assertThat(asMissing.column("x").type(), equalTo("numeric"));
    assertTrue(asMissing.column("x").isMissing(2));
  }

  @Test
  void aColumnWithHalfOrMoreTextStaysCategoricalWithNoRowLost() {
    String csv = "grade,size,outcome\nlow,1,a\n2,2,b\nhigh,3,a\n3,4,b\n";

    TableCsv.Result r = parse(csv, OUTCOME);

    assertThat(((CategoricalColumn) r.table().column("grade")).dictionary(), contains("2", "3", "high", "low"));
    assertThat(r.table().column("size").type(), equalTo("numeric"));
    assertThat(r.profile().malformed(), equalTo(0L));
  }

  @Test
  void rowsWithoutALabelAreReadUntypedWithTheSameRules() {
    String csv = "\uFEFFpatient_id;age;ward\nP-1;54;01\n\nP-2;NA;\"a;b\"\nP-3;1\n";
    TableCsv.Options o = new TableCsv.Options(';', null, "patient_id", Set.of(), Set.of(), TableCsv.Missing.IMPUTE,
        TableCsv.Options.DEFAULT_MISSING, 0.0);

    TableCsvRows rows = new TableCsvRows(new StringReader(csv), SRC, o);
    TableCsvRows.Row first = rows.next();
    TableCsvRows.Row second = rows.next();
    DataFormatException e = assertThrows(DataFormatException.class, rows::next);

    assertThat(rows.header(), contains("patient_id", "age", "ward"));
    assertThat(first.cells(), contains("P-1", "54", "01"));
    assertThat(second.line(), equalTo(4));
    assertThat(rows.value(second.cells().get(1)), equalTo(null));
    assertThat(second.cells().get(2), equalTo("a;b"));
    assertThat(e.getMessage(), equalTo(SRC + ": line 5: expected 3 cells, found 2"));
    assertThat(assertThrows(IllegalArgumentException.class, () -> parse(csv, o)).getMessage(),
        containsString("a table needs a label column"));
  }

  @Test
  void dropAndImputeCountTheRowsTheyDropAndKeep() {
    TableCsv.Result drop = parse(PATIENTS, patients(TableCsv.Missing.DROP, Set.of()));
    TableCsv.Result impute = parse(PATIENTS, patients(TableCsv.Missing.IMPUTE, Set.of()));

    assertThat(drop.profile().droppedMissingLabel(), equalTo(1L));
    assertThat(drop.profile().droppedMissingValues(), equalTo(2L));
    assertThat(drop.table().rows(), equalTo(3));
    assertThat(impute.profile().droppedMissingValues(), equalTo(0L));
    assertThat(impute.table().rows(), equalTo(5));
    assertTrue(impute.table().column("age").isMissing(1));
    assertThat(((CategoricalColumn) impute.table().column("sex")).code(2), equalTo(-1));
    assertThat(impute.profile().columns().get(0).missing(), equalTo(1L));
    assertThat(impute.profile().labelCounts(), equalTo(Map.of("no", 3L, "yes", 2L)));
  }

  @Test
  void missingMarkersAreConfigurable() {
    String csv = "x,outcome\n1,a\n-,b\n?,a\n";
    TableCsv.Options dash = new TableCsv.Options(',', "outcome", null, Set.of(), Set.of(), TableCsv.Missing.IMPUTE,
        Set.of("-"), 0.0);

    Table t = parse(csv, dash).table();

    assertThat(t.column("x").type(), equalTo("categorical"));
    assertThat(t.column("x").missingCount(), equalTo(1));
  }

  @Test
  void dropColumnsAreLeftOut() {
    TableCsv.Options o = new TableCsv.Options(',', "outcome", null, Set.of("name"), Set.of(), TableCsv.Missing.DROP,
        TableCsv.Options.DEFAULT_MISSING, 0.0);

    TableCsv.Result r = parse("name,x,outcome\nann,1,a\nbob,2,b\n", o);

    assertThat(r.table().columnNames(), contains("x"));
    assertThat(r.profile().droppedColumns(), contains("name"));
  }

  @Test
  void numericLabelsAreCanonical() {
    Table t = parse("x,outcome\n1,1.0\n2,0\n3,1\n4,0.00\n", OUTCOME).table();

    assertThat(t.label().dictionary(), contains("0", "1"));
    assertThat(t.label().value(0), equalTo("1"));
  }

  @Test
  void anUndeclaredIdentifierColumnIsWarnedAbout() {
    StringBuilder csv = new StringBuilder("ref,x,outcome\n");
    for (int i = 0; i < 25; i++) {
      csv.append("R").append(i).append(',').append(i).append(',').append(i % 2).append('\n');
    }

    TableCsv.Result r = parse(csv.toString(), OUTCOME);

    assertThat(r.profile().warnings(), hasItem(containsString("column 'ref' looks like an identifier")));
    assertThat(r.profile().render(), containsString("use --id-column or --drop-columns"));
  }

  @Test
  void malformedRowsAreCountedWithTheirLinesAndTooManyFail() {
    String csv = "x,outcome\n1,a\n2,b,extra\n3,a\n\"4\"z,b\n5,b\n";
    TableCsv.Options lenient = new TableCsv.Options(',', "outcome", null, Set.of(), Set.of(), TableCsv.Missing.DROP,
        TableCsv.Options.DEFAULT_MISSING, 0.5);

    TableCsv.Result r = parse(csv, lenient);
    DataFormatException e = assertThrows(DataFormatException.class, () -> parse(csv, OUTCOME));

    assertThat(r.profile().malformed(), equalTo(2L));
    assertThat(r.profile().malformedLines().get(0), equalTo("line 3: expected 2 cells, found 3"));
    assertThat(r.profile().malformedLines().get(1), startsWith("line 5: cell 1 has text after its closing quote"));
    assertThat(r.table().rows(), equalTo(3));
    assertThat(e.getMessage(), allOf(startsWith(SRC + ": 2 of 5 data rows are malformed (40.0%"),
        containsString("first: line 3: expected 2 cells, found 3; line 5")));
  }

  @Test
  void everyErrorNamesTheFileAndWhere() {
    assertError("", OUTCOME, SRC + ": empty file");
    assertError("x,outcome\n", OUTCOME, SRC + ": no data rows after the header on line 1");
    assertError("x,y\n1,2\n", OUTCOME, SRC + ": line 1 (header): no label column 'outcome' in the header [x, y]");
    assertError("x,,outcome\n1,2,a\n", OUTCOME, SRC + ": line 1 (header), column 2: the column has no name");
    assertError("x,x,outcome\n1,2,a\n", OUTCOME, SRC + ": line 1 (header), column 2: column 'x' appears twice");
    assertError("x,outcome\n1,a\n2,a\n", OUTCOME, SRC + ": label column 'outcome' has fewer than 2 classes [a]");
    assertError("x,outcome\n1,\n2,NA\n", OUTCOME, SRC + ": no row has a value in label column 'outcome'");
    assertError("x,outcome\n\"1,a\n2,b\n", OUTCOME, SRC + ": line 2: a quoted cell opened here is never closed");
    assertError("x,z,outcome\n1,NA,a\n2,NA,b\n", OUTCOME, SRC + ": every row with a label lacks a value in some feature column (most missing in 'z'");
    assertError("x,outcome\n1,a\n", new TableCsv.Options(',', "outcome", "pid", Set.of(), Set.of(), TableCsv.Missing.DROP,
        Set.of(), 0), SRC + ": line 1 (header): no ID column 'pid' in the header");
    assertError("x,outcome\n1,a\n", new TableCsv.Options(',', "outcome", null, Set.of("gone"), Set.of(), TableCsv.Missing.DROP,
        Set.of(), 0), SRC + ": line 1 (header): no column to drop 'gone' in the header");
    assertError("x,outcome\n1,a\n", new TableCsv.Options(',', "outcome", null, Set.of(), Set.of("code"), TableCsv.Missing.DROP,
        Set.of(), 0), SRC + ": line 1 (header): no categorical column 'code' in the header");
  }

  @Test
  void badOptionsAreNamed() {
    assertThat(assertThrows(IllegalArgumentException.class, () -> new TableCsv.Options(',', "y", null, Set.of(), Set.of(),
        TableCsv.Missing.DROP, Set.of(), 1.5)).getMessage(), equalTo("maxBadRowShare must be in [0, 1], was 1.5"));
    assertThat(assertThrows(IllegalArgumentException.class, () -> new TableCsv.Options(',', "y", "y", Set.of(), Set.of(),
        TableCsv.Missing.DROP, Set.of(), 0)).getMessage(), containsString("idColumn must be a named column other than the label"));
    assertThat(assertThrows(IllegalArgumentException.class, () -> new TableCsv.Options('"', "y", null, Set.of(), Set.of(),
        TableCsv.Missing.DROP, Set.of(), 0)).getMessage(), containsString("delimiter must not be a quote"));
    assertThat(assertThrows(IllegalArgumentException.class, () -> new TableCsv.Options(',', "y", null, Set.of("y"), Set.of(),
        TableCsv.Missing.DROP, Set.of(), 0)).getMessage(), containsString("the label column 'y' cannot be dropped"));
  }

  @Test
  void aFileIsReadAsUtf8AndAMissingFileIsNamed(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("ünï.csv");
    Files.writeString(file, "ville,outcome\nMünchen,a\nZürich,b\n", StandardCharsets.UTF_8);

    Table t = TableCsv.read(file, OUTCOME).table();
    DataFormatException e = assertThrows(DataFormatException.class, () -> TableCsv.read(dir.resolve("none.csv"), OUTCOME));

    assertThat(((CategoricalColumn) t.column("ville")).dictionary(), contains("München", "Zürich"));
    assertThat(t.source(), equalTo(file.toString()));
    assertThat(e.getMessage(), equalTo(dir.resolve("none.csv") + ": no such CSV file"));
  }

  private static TableCsv.Options patients(TableCsv.Missing missing, Set<String> categorical) {
    return new TableCsv.Options(';', "outcome", "patient_id", Set.of(), categorical, missing,
        TableCsv.Options.DEFAULT_MISSING, 0.0);
  }

  private static TableCsv.Options withDelimiter(char d) {
    return new TableCsv.Options(d, "outcome", null, Set.of(), Set.of(), TableCsv.Missing.DROP, TableCsv.Options.DEFAULT_MISSING, 0.0);
  }

  private static TableCsv.Result parse(String csv, TableCsv.Options o) {
    return TableCsv.parse(new StringReader(csv), SRC, o);
  }

  private static void assertError(String csv, TableCsv.Options o, String expectedStart) {
    DataFormatException e = assertThrows(DataFormatException.class, () -> parse(csv, o), csv);
    assertThat(e.getMessage(), startsWith(expectedStart));
  }
}
