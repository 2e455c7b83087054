package org.fedbeam.preprocess;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import java.util.Map;
import org.fedbeam.preprocess.Preprocessing.Impute;
import org.fedbeam.preprocess.Preprocessing.Options;
import org.fedbeam.preprocess.Preprocessing.Scaling;
import org.junit.jupiter.api.Test;

class PreprocessingFitTest {
  private static final Facts FACTS = new Facts(20, List.of(
      Facts.numeric("age", 18, 2, 10.0, 4.0),
      Facts.numeric("flat", 20, 0, 1e6, 1e-6),
      Facts.categorical("colour", 3, Map.of("red", 6L, "blue", 6L, "green", 1L, "amber", 4L))),
      "grade", Map.of("10", 5L, "9", 7L, "2", 8L));

  @Test
  void standardizesWithMeanAndPopulationStdAndScaleOneForAConstantColumn() {
    Preprocessing p = Preprocessing.fit(FACTS, Options.defaults());

    assertThat(p.columns().get(0), equalTo(new NumericSpec("age", Scaling.STANDARDIZE, 10.0, 10.0, 2.0)));
    assertThat(p.columns().get(1), equalTo(new NumericSpec("flat", Scaling.STANDARDIZE, 1e6, 1e6, 1.0)));
  }

  @Test
  void keepsCategoryValuesWithAtLeastKRecordsSortedAndImputesMissingToTheMostFrequent() {
    Preprocessing p = Preprocessing.fit(FACTS, new Options(Scaling.STANDARDIZE, Impute.MEAN, 4));

    // red and blue tie at 6: the first in sorted order wins
    assertThat(p.columns().get(2), equalTo(new CategoricalSpec("colour", List.of("amber", "blue", "red"), "blue")));
    assertThat(p.featureNames(), equalTo(List.of("age", "flat", "colour=amber", "colour=blue", "colour=red",
        "colour=other")));
    assertThat(p.inputs(), equalTo(6));
  }

  @Test
  void ordersNumericClassesNumerically() {
    assertThat(Preprocessing.fit(FACTS, Options.defaults()).classes(), equalTo(List.of("2", "9", "10")));
  }

  @Test
  void minMaxUsesReleasedMinAndMaxAndMedianImputesFromTheSketch() {
    Facts facts = new Facts(10, List.of(Facts.numeric("x", 5, 9, -1, 7, 4.5), Facts.numeric("c", 3, 0, 3, 3, 3)),
        "y", Map.of("a", 5L, "b", 5L));

    Preprocessing p = Preprocessing.fit(facts, new Options(Scaling.MINMAX, Impute.MEDIAN, 1));

    assertThat(p.columns().get(0), equalTo(new NumericSpec("x", Scaling.MINMAX, 4.5, -1, 8)));
    assertThat(p.columns().get(1), equalTo(new NumericSpec("c", Scaling.MINMAX, 3, 3, 1)));
  }

  @Test
  void minMaxWithoutReleasedMinAndMaxSaysThePoliciesDoNotReleaseThem() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> Preprocessing.fit(FACTS, new Options(Scaling.MINMAX, Impute.MEAN, 1)));

    assertThat(e.getMessage(), containsString("column 'age'"));
    assertThat(e.getMessage(), containsString("policies do not release its min and max"));
    assertThat(e.getMessage(), containsString("use standardize"));
  }

  @Test
  void medianWithoutASketchIsRefused() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> Preprocessing.fit(FACTS, new Options(Scaling.STANDARDIZE, Impute.MEDIAN, 1)));

    assertThat(e.getMessage(), containsString("column 'age': the statistics release no quantile sketch"));
  }

  @Test
  void anAllMissingColumnIsRefusedByName() {
    Facts facts = new Facts(4, List.of(Facts.numeric("empty", 0, 4, Double.NaN, Double.NaN)), "y",
        Map.of("a", 2L, "b", 2L));

    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> Preprocessing.fit(facts, Options.defaults()));

    assertThat(e.getMessage(), containsString("column 'empty' has no value in any silo (all 4 rows missing)"));
  }

  @Test
  void fewerThanTwoReleasedClassesAreRefused() {
    Facts facts = new Facts(4, List.of(Facts.numeric("x", 4, 0, 1, 1)), "y", Map.of("a", 4L));

    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> Preprocessing.fit(facts, Options.defaults()));

    assertThat(e.getMessage(), containsString("the label 'y' has 1 released classes"));
  }

  @Test
  void badOptionsAreRefusedByName() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> new Options(Scaling.NONE, Impute.MEAN, 0));

    assertThat(e.getMessage(), equalTo("minCategoryCount must be >= 1, was 0"));
  }
}
