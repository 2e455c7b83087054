package org.fedbeam.model;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.allOf;
import static org.hamcrest.Matchers.closeTo;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.not;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.junit.jupiter.api.Test;

/** Immutability, arithmetic and validation of {@link Parameters}. */
class ParametersTest {
  private static final ModelSpec TINY = ModelSpec.of(1, List.of(), 2); // 4 values
  private static final ModelSpec OTHER = ModelSpec.of(2, List.of(), 2); // 6 values

  @Test
  void copyOfDoesNotShareTheCallersArray() {
    float[] values = {1, 2, 3, 4};
    Parameters p = Parameters.copyOf(TINY, values);

    values[0] = 99;

    assertThat(p.get(0), equalTo(1f));
  }

  @Test
  void toArrayReturnsACopy() {
    Parameters p = Parameters.copyOf(TINY, new float[] {1, 2, 3, 4});

    p.toArray()[0] = 99;

    assertThat(p.get(0), equalTo(1f));
  }

  @Test
  void minusSubtractsElementByElement() {
    Parameters a = Parameters.copyOf(TINY, new float[] {5, 5, 5, 5});
    Parameters b = Parameters.copyOf(TINY, new float[] {1, 2, 3, 4});

    assertThat(a.minus(b), equalTo(Parameters.copyOf(TINY, new float[] {4, 3, 2, 1})));
  }

  @Test
  void l2NormAndMaxAbsDifference() {
    Parameters a = Parameters.copyOf(TINY, new float[] {3, 4, 0, 0});

    assertThat(a.l2Norm(), closeTo(5.0, 1e-12));
    assertThat(a.maxAbsDifference(Parameters.zeros(TINY)), closeTo(4.0, 1e-12));
  }

  @Test
  void firstNonFiniteFindsNanAndInfinity() {
    assertThat(Parameters.copyOf(TINY, new float[] {0, 0, Float.NaN, 1}).firstNonFinite(), equalTo(2));
    assertThat(Parameters.copyOf(TINY, new float[] {Float.NEGATIVE_INFINITY, 0, 0, 1}).firstNonFinite(), equalTo(0));
    assertThat(Parameters.zeros(TINY).firstNonFinite(), equalTo(-1));
  }

  @Test
  void equalityNeedsTheSameSpecAndValues() {
    Parameters a = Parameters.copyOf(TINY, new float[] {1, 2, 3, 4});

    assertThat(Parameters.copyOf(TINY, new float[] {1, 2, 3, 4}), equalTo(a));
    assertThat(Parameters.copyOf(TINY, new float[] {1, 2, 3, 5}), not(equalTo(a)));
    assertThat(Parameters.copyOf(TINY, new float[] {1, 2, 3, 4}).hashCode(), equalTo(a.hashCode()));
  }

  @Test
  void theWrongNumberOfValuesIsRejectedNamingSpecAndCounts() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> Parameters.copyOf(TINY, new float[5]));

    assertThat(e.getMessage(), equalTo("model logreg 1-2 has 4 parameters, got 5 values"));
  }

  @Test
  void subtractingAnotherSpecIsRejectedNamingBoth() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> Parameters.zeros(TINY).minus(Parameters.zeros(OTHER)));

    assertThat(e.getMessage(), allOf(containsString("subtract"), containsString("logreg 1-2"), containsString("logreg 2-2")));
  }
}
