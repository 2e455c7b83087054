package org.fedbeam.data.table;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.allOf;
import static org.hamcrest.Matchers.contains;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.StringReader;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.fedbeam.data.DataFormatException;
import org.junit.jupiter.api.Test;

/** The real data files Debian ships (python3-sklearn, weka), read and round-tripped through TableCsv. */
class SampleDataTest {
  @Test
  void breastCancerIs569RowsOf30NumericFeatures() {
    SampleData.Export d = SampleData.load("breast-cancer");

    assertThat(d.rows().size(), equalTo(569));
    assertThat(d.header().size(), equalTo(31));
    assertThat(d.header().get(0), equalTo("mean radius"));
    assertThat(d.header().get(29), equalTo("worst fractal dimension"));
    assertThat(d.rows().get(0).get(30), equalTo("malignant"));
    assertThat(d.rows().stream().filter(r -> r.get(30).equals("benign")).count(), equalTo(357L));
  }

  @Test
  void wineIs178RowsOf13FeaturesAndThreeCultivars() {
    SampleData.Export d = SampleData.load("wine");

    assertThat(d.rows().size(), equalTo(178));
    assertThat(d.header().size(), equalTo(14));
    assertThat(d.labelColumn(), equalTo("cultivar"));
    assertThat(d.rows().stream().map(r -> r.get(13)).distinct().sorted().toList(), contains("class_0", "class_1", "class_2"));
  }

  @Test
  void creditGIs1000RowsOf20FeaturesWith13Categorical() {
    SampleData.Export d = SampleData.load("credit-g");

    assertThat(d.rows().size(), equalTo(1000));
    assertThat(d.header().size(), equalTo(21));
    assertThat(d.categorical().size(), equalTo(13));
    assertThat(d.rows().get(0).get(0), equalTo("<0"));
    assertThat(d.rows().get(0).get(2), equalTo("critical/other existing credit"));
    assertThat(d.rows().get(0).get(20), equalTo("good"));
  }

  @Test
  void creditGRoundTripsThroughTheCsvReaderWithItsTypes() {
    SampleData.Export d = SampleData.load("credit-g");

    TableCsv.Result r = TableCsv.parse(new StringReader(d.toCsv()), "credit-g.csv", TableCsv.Options.of("class"));

    assertThat(r.table().rows(), equalTo(1000));
    assertThat(r.table().columns().size(), equalTo(20));
    assertThat(r.table().categoricalNames(), equalTo(d.categorical()));
    assertThat(r.table().label().dictionary(), contains("bad", "good"));
    assertThat(r.profile().labelCounts().get("good"), equalTo(700L));
    assertThat(((NumericColumn) r.table().column("duration")).value(0), equalTo(6.0));
    assertThat(((CategoricalColumn) r.table().column("checking_status")).value(0), equalTo("<0"));
  }

  @Test
  void breastCancerRoundTripsAsNumericColumns() {
    SampleData.Export d = SampleData.load("breast-cancer");

    Table t = TableCsv.parse(new StringReader(d.toCsv()), "bc.csv", TableCsv.Options.of("diagnosis")).table();

    assertThat(t.categoricalNames(), equalTo(Set.of()));
    assertThat(((NumericColumn) t.column("mean radius")).value(0), equalTo(17.99));
  }

  @Test
  void aMissingPackageFileNamesThePackageAndTheCommand() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> SampleData.arff(Path.of("/nonexistent/credit-g.arff"), "credit-g", "class"));

    assertThat(e.getMessage(), allOf(containsString("Debian package weka"), containsString("sudo apt-get install weka")));
    assertThat(assertThrows(IllegalArgumentException.class, () -> SampleData.load("iris")).getMessage(),
        containsString("--dataset must be one of [breast-cancer, wine, credit-g], was 'iris'"));
  }

  @Test
  void arffQuotingMissingValuesAndErrors() {
    ArffReader.Arff a = ArffReader.parse(List.of("% c", "@relation 'r'", "@attribute 'a b' {'x y', z}",
        "@attribute n numeric", "@data", "'x y',?", "z, 3"), "t.arff");

    assertThat(a.attributes().get(0).name(), equalTo("a b"));
    assertThat(a.attributes().get(0).nominal(), contains("x y", "z"));
    assertThat(a.rows().get(0), contains("x y", null));
    assertThat(a.rows().get(1), contains("z", "3"));
    assertThat(assertThrows(DataFormatException.class, () -> ArffReader.parse(List.of("@attribute n numeric", "@data", "1,2"),
        "t.arff")).getMessage(), equalTo("t.arff: line 3: expected 1 values, found 2"));
    assertThat(assertThrows(DataFormatException.class, () -> ArffReader.parse(List.of("@attribute n date"), "t.arff"))
        .getMessage(), equalTo("t.arff: line 1: attribute 'n' has unsupported type 'date'"));
  }
}
