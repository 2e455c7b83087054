package org.fedbeam.model;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.not;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.junit.jupiter.api.Test;

/** Validation of what a silo sends back, and the seed derivation that makes runs reproducible. */
class SiloUpdateTest {
  private static final Parameters WEIGHTS = Parameters.zeros(ModelSpec.of(2, List.of(), 2));
  private static final SystemMetadata METADATA = new SystemMetadata(120, 0.7, 35);

  @Test
  void aBlankSiloIdIsRejected() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> new SiloUpdate(" ", 1, WEIGHTS, METADATA));

    assertThat(e.getMessage(), equalTo("an update needs a silo id"));
  }

  @Test
  void roundZeroIsRejectedNamingTheSilo() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> new SiloUpdate("hospital-a", 0, WEIGHTS, METADATA));

    assertThat(e.getMessage(), equalTo("round must be >= 1, was 0 (update from hospital-a)"));
  }

  @Test
  void missingWeightsAreRejectedNamingTheSilo() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> new SiloUpdate("hospital-a", 1, null, METADATA));

    assertThat(e.getMessage(), equalTo("update from hospital-a lacks weights or metadata"));
  }

  @Test
  void aNegativeSampleCountIsRejected() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new SystemMetadata(-1, 0.5, 3));

    assertThat(e.getMessage(), equalTo("sampleCount must be >= 0, was -1"));
  }

  @Test
  void aNegativeTrainTimeIsRejected() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new SystemMetadata(1, 0.5, -3));

    assertThat(e.getMessage(), equalTo("trainMillis must be >= 0, was -3"));
  }

  @Test
  void derivedSeedsAreReproducibleAndDifferPerPurposeAndCoordinate() {
    long seed = 1234L;

    assertThat(Seeds.derive(seed, "train", 3, 7), equalTo(Seeds.derive(seed, "train", 3, 7)));
    assertThat(Seeds.derive(seed, "train", 3, 7), not(equalTo(Seeds.derive(seed, "train", 3, 8))));
    assertThat(Seeds.derive(seed, "train", 3, 7), not(equalTo(Seeds.derive(seed, "train", 7, 3))));
    assertThat(Seeds.derive(seed, "train", 3), not(equalTo(Seeds.derive(seed, "split", 3))));
    assertThat(Seeds.derive(seed, "train"), not(equalTo(Seeds.derive(seed + 1, "train"))));
  }
}
