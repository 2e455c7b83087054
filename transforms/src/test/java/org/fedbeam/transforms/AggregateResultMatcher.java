package org.fedbeam.transforms;

import static org.hamcrest.MatcherAssert.assertThat;

import org.apache.beam.sdk.transforms.SerializableFunction;
import org.hamcrest.Description;
import org.hamcrest.Matcher;
import org.hamcrest.TypeSafeDiagnosingMatcher;

/**
 * Matches an {@link AggregateResult} with the expected round, total samples and participants, and a
 * model of the expected spec within {@code tolerance} of the expected values (the average is
 * accumulated in double and rounded to float32, so the order of additions may move the last bit).
 */
final class AggregateResultMatcher extends TypeSafeDiagnosingMatcher<AggregateResult> {
  private final AggregateResult expected;
  private final double tolerance;

  private AggregateResultMatcher(AggregateResult expected, double tolerance) {
    this.expected = expected;
    this.tolerance = tolerance;
  }

  static Matcher<AggregateResult> closeTo(AggregateResult expected, double tolerance) {
    return new AggregateResultMatcher(expected, tolerance);
  }

  /**
   * The same check as a PAssert function: the expected result travels as its encoding, because
   * {@link AggregateResult} is not {@link java.io.Serializable}.
   */
  static SerializableFunction<AggregateResult, Void> assertCloseTo(AggregateResult expected, double tolerance) {
    byte[] encoded = Fixtures.encode(FedBeamCoders.AggregateResultCoder.of(), expected);
    return actual -> {
      assertThat(actual, closeTo(Fixtures.decode(FedBeamCoders.AggregateResultCoder.of(), encoded), tolerance));
      return null;
    };
  }

  @Override
  protected boolean matchesSafely(AggregateResult actual, Description mismatch) {
    if (actual.round() != expected.round()) {
      mismatch.appendText("round was ").appendValue(actual.round());
      return false;
    }
    if (actual.totalSamples() != expected.totalSamples()) {
      mismatch.appendText("totalSamples was ").appendValue(actual.totalSamples());
      return false;
    }
    if (!actual.participants().equals(expected.participants())) {
      mismatch.appendText("participants were ").appendValue(actual.participants());
      return false;
    }
    if (!actual.model().spec().equals(expected.model().spec())) {
      mismatch.appendText("model spec was ").appendValue(actual.model().spec());
      return false;
    }
    double difference = actual.model().maxAbsDifference(expected.model());
    if (difference > tolerance) {
      mismatch.appendText("model differed by up to ").appendValue(difference);
      return false;
    }
    return true;
  }

  @Override
  public void describeTo(Description description) {
    description.appendText("round ").appendValue(expected.round())
        .appendText(", totalSamples ").appendValue(expected.totalSamples())
        .appendText(", participants ").appendValue(expected.participants())
        .appendText(", model ").appendValue(expected.model().spec())
        .appendText(" within ").appendValue(tolerance);
  }
}
