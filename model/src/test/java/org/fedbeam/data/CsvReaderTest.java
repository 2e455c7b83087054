package org.fedbeam.data;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.allOf;
import static org.hamcrest.Matchers.contains;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Reading labelled numeric tables from CSV, and what happens to rows and files that are not. */
class CsvReaderTest {
  private static final String SOURCE = "silo-2/iris.csv";
  private static final CsvReader.Options STRICT = new CsvReader.Options("species", 0.0);
  private static final CsvReader.Options LENIENT = new CsvReader.Options("species", 0.5);
  /** Label column in the middle, string labels out of order. */
  private static final List<String> IRIS = List.of(
      "sepal,species,petal",
      "5.1,setosa,1.4",
      "7.0,versicolor,4.7",
      "6.3,virginica,6.0",
      "4.9,setosa,1.5");

  @TempDir
  Path dir;

  @Test
  void theLabelColumnIsFoundByNameAndTheOthersAreFeatures() {
    CsvReader.Table table = CsvReader.parse(IRIS, SOURCE, STRICT);

    Dataset data = table.dataset();
    assertThat(table.featureNames(), contains("sepal", "petal"));
    assertThat(data.featureCount(), equalTo(2));
    assertThat(data.size(), equalTo(4));
    assertThat(data.feature(1, 0), equalTo(7.0f));
    assertThat(data.feature(1, 1), equalTo(4.7f));
    assertThat(data.name(), equalTo(SOURCE));
  }

  @Test
  void stringLabelsMapToTheirSortedClasses() {
    List<String> lines = List.of("x,species", "1,virginica", "2,setosa", "3,versicolor", "4,setosa");

    CsvReader.Table table = CsvReader.parse(lines, SOURCE, STRICT);

    assertThat(table.classNames(), contains("setosa", "versicolor", "virginica"));
    assertThat(table.dataset().classes(), equalTo(3));
    assertThat(labels(table.dataset()), equalTo(new int[] {2, 0, 1, 0}));
  }

  @Test
  void numericLabelsAreSortedNumericallyNotAsText() {
    List<String> lines = List.of("x,species", "1,10", "2,9", "3,2", "4,10");

    CsvReader.Table table = CsvReader.parse(lines, SOURCE, STRICT);

    assertThat(table.classNames(), contains("2", "9", "10"));
    assertThat(labels(table.dataset()), equalTo(new int[] {2, 1, 0, 2}));
  }

  @Test
  void quotedCellsMayHoldCommasAndEscapedQuotes() {
    List<String> lines = List.of(
        "\"width, cm\",species,\"height\"",
        "\"1.5\",\"Iris \"\"setosa\"\"\",2",
        "3,\"virginica, tall\", 4 ");

    CsvReader.Table table = CsvReader.parse(lines, SOURCE, STRICT);

    assertThat(table.featureNames(), contains("width, cm", "height"));
    assertThat(table.classNames(), contains("Iris \"setosa\"", "virginica, tall"));
    assertThat(table.dataset().feature(0, 0), equalTo(1.5f));
    assertThat(table.dataset().feature(1, 1), equalTo(4f));
    assertThat(table.badRows(), equalTo(List.of()));
  }

  @Test
  void readsAFileFromDisk() throws IOException {
    Path file = dir.resolve("iris.csv");
    Files.write(file, IRIS, StandardCharsets.UTF_8);

    CsvReader.Table table = CsvReader.read(file, STRICT);

    assertThat(table.dataset().size(), equalTo(4));
    assertThat(table.dataset().name(), equalTo(file.toString()));
  }

  @Test
  void aMissingFileIsNamed() {
    Path file = dir.resolve("absent.csv");

    DataFormatException e = assertThrows(DataFormatException.class, () -> CsvReader.read(file, STRICT));

    assertThat(e.getMessage(), allOf(containsString(file.toString()), containsString("no such CSV file")));
  }

  @Test
  void aMissingLabelColumnIsReportedNamingTheFileAndTheColumn() {
    CsvReader.Options options = new CsvReader.Options("label", 0.0);

    DataFormatException e = assertThrows(DataFormatException.class, () -> CsvReader.parse(IRIS, SOURCE, options));

    assertThat(e.getMessage(), allOf(containsString(SOURCE), containsString("'label'"),
        containsString("[sepal, species, petal]")));
  }

  @Test
  void badRowsAreRecordedWithTheirFileLineNumbers() {
    List<String> lines = List.of(
        "sepal,species,petal", // line 1
        "5.1,setosa,1.4", // line 2
        "", // line 3, blank: skipped, not bad
        "7.0,versicolor", // line 4: too few columns
        "abc,virginica,6.0", // line 5: not a number
        "6.3,virginica,6.0", // line 6
        "4.9,,1.5", // line 7: empty label
        "5.0,setosa,NaN", // line 8: not finite
        "6.1,versicolor,4.0", // line 9
        "6.2,virginica,5.0"); // line 10

    CsvReader.Table table = CsvReader.parse(lines, SOURCE, LENIENT);

    assertThat(table.badRows(), contains(
        new CsvReader.BadRow(4, "expected 3 columns, found 2"),
        new CsvReader.BadRow(5, "column 'sepal' is not a number: 'abc'"),
        new CsvReader.BadRow(7, "empty label in column 'species'"),
        new CsvReader.BadRow(8, "column 'petal' is not a finite number: 'NaN'")));
    assertThat(table.dataset().size(), equalTo(4));
  }

  @Test
  void moreBadRowsThanAllowedFailNamingFileCountsAndFirstBadLine() {
    List<String> lines = List.of(
        "sepal,species,petal",
        "5.1,setosa,1.4",
        "oops,setosa,1.4",
        "7.0,versicolor,4.7",
        "6.3,virginica",
        "4.9,setosa,1.5");
    CsvReader.Options tenPercent = new CsvReader.Options("species", 0.1);

    DataFormatException e = assertThrows(DataFormatException.class, () -> CsvReader.parse(lines, SOURCE, tenPercent));

    assertThat(e.getMessage(), allOf(containsString(SOURCE), containsString("2 of 5 data rows"),
        containsString("40.0%"), containsString("10.0%"), containsString("line 3: column 'sepal' is not a number: 'oops'"),
        containsString("line 5")));
  }

  @Test
  void exactlyTheAllowedShareOfBadRowsIsAccepted() {
    List<String> lines = List.of("x,species", "1,a", "2,b", "bad,a", "4,b");
    CsvReader.Options quarter = new CsvReader.Options("species", 0.25);

    CsvReader.Table table = CsvReader.parse(lines, SOURCE, quarter);

    assertThat(table.badRows().size(), equalTo(1));
    assertThat(table.dataset().size(), equalTo(3));
  }

  @Test
  void noBadRowsAllowedRejectsASingleOne() {
    List<String> lines = List.of("x,species", "1,a", "2,b", "bad,a");

    DataFormatException e = assertThrows(DataFormatException.class, () -> CsvReader.parse(lines, SOURCE, STRICT));

    assertThat(e.getMessage(), allOf(containsString("1 of 3 data rows"), containsString("line 4")));
  }

  @Test
  void everyRowBadIsReportedEvenWhenAllAreAllowed() {
    List<String> lines = List.of("x,species", "a,b", "c,d");
    CsvReader.Options all = new CsvReader.Options("species", 1.0);

    DataFormatException e = assertThrows(DataFormatException.class, () -> CsvReader.parse(lines, SOURCE, all));

    assertThat(e.getMessage(), allOf(containsString(SOURCE), containsString("every data row is malformed"),
        containsString("line 2")));
  }

  @Test
  void anEmptyFileIsReported() {
    DataFormatException e = assertThrows(DataFormatException.class, () -> CsvReader.parse(List.of("", "  "), SOURCE, STRICT));

    assertThat(e.getMessage(), allOf(containsString(SOURCE), containsString("empty file")));
  }

  @Test
  void aHeaderWithoutRowsIsReported() {
    DataFormatException e = assertThrows(DataFormatException.class,
        () -> CsvReader.parse(List.of("sepal,species,petal", ""), SOURCE, STRICT));

    assertThat(e.getMessage(), allOf(containsString(SOURCE), containsString("no data rows")));
  }

  @Test
  void aSingleClassIsReported() {
    DataFormatException e = assertThrows(DataFormatException.class,
        () -> CsvReader.parse(List.of("x,species", "1,setosa", "2,setosa"), SOURCE, STRICT));

    assertThat(e.getMessage(), allOf(containsString(SOURCE), containsString("only one value"), containsString("[setosa]")));
  }

  @Test
  void aBlankLabelColumnNameIsRejected() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new CsvReader.Options(" ", 0));

    assertThat(e.getMessage(), containsString("labelColumn"));
  }

  @Test
  void aBadRowShareAboveOneIsRejectedWithTheValue() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new CsvReader.Options("y", 1.5));

    assertThat(e.getMessage(), equalTo("maxBadRowShare must be in [0, 1], was 1.5"));
  }

  @Test
  void leadingBlankLinesBeforeTheHeaderAreSkipped() {
    List<String> lines = List.of("", "x,species", "1,a", "2,b");

    CsvReader.Table table = CsvReader.parse(lines, SOURCE, STRICT);

    assertThat(table.featureNames(), contains("x"));
    assertThat(table.dataset().size(), equalTo(2));
  }

  private static int[] labels(Dataset data) {
    int[] out = new int[data.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = data.label(i);
    }
    return out;
  }
}
