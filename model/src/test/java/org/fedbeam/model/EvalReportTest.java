package org.fedbeam.model;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.allOf;
import static org.hamcrest.Matchers.closeTo;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

/** Accuracy, confusion matrix, macro-F1 and log-loss on small hand-worked examples. */
class EvalReportTest {
  private static final int CLASSES = 3;
  /**
   * Five rows: row 0 (label 0) right, row 1 (label 0) predicted 1, row 2 (label 1) right, row 3
   * (label 2) right, row 4 (label 2) predicted 0.
   */
  private static final float[] PROBABILITIES = {
      0.7f, 0.2f, 0.1f,
      0.3f, 0.6f, 0.1f,
      0.1f, 0.8f, 0.1f,
      0.2f, 0.2f, 0.6f,
      0.5f, 0.25f, 0.25f,
  };
  private static final int[] LABELS = {0, 0, 1, 2, 2};

  @Test
  void accuracyIsTheShareOfRowsWhoseTopClassIsTheLabel() {
    EvalReport report = EvalReport.of(PROBABILITIES, LABELS, CLASSES);

    assertThat(report.samples(), equalTo(5));
    assertThat(report.accuracy(), closeTo(0.6, 1e-12));
  }

  @Test
  void confusionMatrixCountsLabelAgainstPrediction() {
    EvalReport report = EvalReport.of(PROBABILITIES, LABELS, CLASSES);

    assertThat(report.confusion(), equalTo(new long[][] {{1, 1, 0}, {0, 1, 0}, {1, 0, 1}}));
  }

  @Test
  void macroF1IsTheMeanOfPerClassF1() {
    // class 0: tp 1, 2 actual, 2 predicted -> 0.5; class 1: tp 1, 1 actual, 2 predicted -> 2/3;
    // class 2: tp 1, 2 actual, 1 predicted -> 2/3.
    EvalReport report = EvalReport.of(PROBABILITIES, LABELS, CLASSES);

    assertThat(report.macroF1(), closeTo((0.5 + 2.0 / 3 + 2.0 / 3) / 3, 1e-12));
  }

  @Test
  void logLossIsTheMeanNegativeLogProbabilityOfTheLabel() {
    EvalReport report = EvalReport.of(PROBABILITIES, LABELS, CLASSES);

    // -(ln 0.7 + ln 0.3 + ln 0.8 + ln 0.6 + ln 0.25) / 5
    assertThat(report.logLoss(), closeTo(0.7361822, 1e-6));
  }

  @Test
  void aZeroProbabilityForTheLabelIsClippedAt1eMinus15() {
    EvalReport report = EvalReport.of(new float[] {1f, 0f}, new int[] {1}, 2);

    assertThat(report.logLoss(), closeTo(-Math.log(1e-15), 1e-9));
    assertThat(report.accuracy(), equalTo(0.0));
  }

  @Test
  void aTieGoesToTheLowestClass() {
    EvalReport report = EvalReport.of(new float[] {0.4f, 0.4f, 0.2f}, new int[] {0}, 3);

    assertThat(report.accuracy(), equalTo(1.0));
    assertThat(report.confusion()[0][0], equalTo(1L));
  }

  @Test
  void classesAbsentFromLabelsAndPredictionsDoNotCountInMacroF1() {
    // Two of four classes occur; both perfectly predicted: macro-F1 1, not 0.5.
    float[] p = {0.9f, 0.1f, 0f, 0f, 0.1f, 0.9f, 0f, 0f};

    EvalReport report = EvalReport.of(p, new int[] {0, 1}, 4);

    assertThat(report.macroF1(), closeTo(1.0, 1e-12));
  }

  @Test
  void noRowsGiveZeroes() {
    EvalReport report = EvalReport.of(new float[0], new int[0], 3);

    assertThat(report.samples(), equalTo(0));
    assertThat(report.accuracy(), equalTo(0.0));
    assertThat(report.logLoss(), equalTo(0.0));
    assertThat(report.macroF1(), equalTo(0.0));
  }

  @Test
  void probabilitiesOfTheWrongLengthAreRejectedWithBothCounts() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> EvalReport.of(new float[14], LABELS, CLASSES));

    assertThat(e.getMessage(), allOf(containsString("expected 15"), containsString("5 rows"), containsString("got 14")));
  }
}
