package org.fedbeam.model;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.not;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@link OutputHead}: a new output layer from a seed; every layer below it kept bit for bit. */
class OutputHeadTest {
  private static final ModelSpec MLP = ModelSpec.of(6, List.of(5, 4), 10);
  private static final Parameters TRAINED = TestData.jitter(new DenseNetwork(MLP).initialize(3L), 0.5, 4L);

  @Test
  void theNewHeadHasTheNewClassesAndTheLowerLayersAreKeptBitForBit() {
    Parameters replaced = OutputHead.replace(TRAINED, 4, 99L);

    assertThat(replaced.spec(), equalTo(ModelSpec.of(6, List.of(5, 4), 4)));
    int lower = MLP.weightOffset(2);
    assertArrayEquals(Arrays.copyOf(TRAINED.toArray(), lower), Arrays.copyOf(replaced.toArray(), lower));
    float[] bias = Arrays.copyOfRange(replaced.toArray(), replaced.spec().biasOffset(2), replaced.size());
    assertArrayEquals(new float[4], bias);
    float[] head = Arrays.copyOfRange(replaced.toArray(), lower, replaced.spec().biasOffset(2));
    double sumSquares = 0;
    for (float w : head) {
      sumSquares += w * w;
    }
    assertThat("LeCun-normal weights are not all zero", sumSquares > 0, equalTo(true));
  }

  @Test
  void theHeadIsDrawnFromTheSeed() {
    assertThat(OutputHead.replace(TRAINED, 4, 99L), equalTo(OutputHead.replace(TRAINED, 4, 99L)));
    assertThat(OutputHead.replace(TRAINED, 4, 99L), not(equalTo(OutputHead.replace(TRAINED, 4, 100L))));
  }

  @Test
  void logisticRegressionGetsANewWeightMatrix() {
    Parameters logreg = new DenseNetwork(ModelSpec.of(6, List.of(), 3)).initialize(1L);

    Parameters replaced = OutputHead.replace(logreg, 5, 2L);

    assertThat(replaced.spec(), equalTo(ModelSpec.of(6, List.of(), 5)));
  }

  @Test
  void fewerThanTwoClassesAreRefused() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> OutputHead.replace(TRAINED, 1, 1L));

    assertThat(e.getMessage(), containsString("a new output layer needs >= 2 classes, was 1"));
  }
}
