package org.fedbeam.model.attack;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.sameInstance;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.fedbeam.data.Dataset;
import org.fedbeam.model.ModelSpec;
import org.fedbeam.model.Parameters;
import org.junit.jupiter.api.Test;

/** Each attack against its definition on a small model. */
class AttackTest {
  private static final ModelSpec SPEC = ModelSpec.of(2, List.of(), 2); // 2x2 weights + 2 biases
  private static final Parameters GLOBAL = Parameters.copyOf(SPEC, new float[] {1, 2, 3, 4, 0, 0});
  private static final Parameters TRAINED = Parameters.copyOf(SPEC, new float[] {1.5f, 1, 3, 6, 1, -1});

  @Test
  void signFlipSendsTheReverseChange() {
    // g - (t - g) = 2g - t
    assertThat(Attack.SIGN_FLIP.apply(GLOBAL, TRAINED, 0),
        equalTo(Parameters.copyOf(SPEC, new float[] {0.5f, 3, 3, 2, -1, 1})));
  }

  @Test
  void scaledSendsTheChangeTenTimes() {
    assertThat(Attack.SCALED.apply(GLOBAL, TRAINED, 0),
        equalTo(Parameters.copyOf(SPEC, new float[] {6, -8, 3, 24, 10, -10})));
  }

  @Test
  void labelFlipSendsWhatItTrainedAndTurnsTheLabelsAround() {
    Dataset data = new Dataset("d", new float[] {1, 2, 3, 4, 5, 6}, new int[] {0, 2, 1}, 2, 3);

    Dataset poisoned = Attack.LABEL_FLIP.poison(data);

    assertThat(Attack.LABEL_FLIP.apply(GLOBAL, TRAINED, 0), sameInstance(TRAINED));
    assertThat(List.of(poisoned.label(0), poisoned.label(1), poisoned.label(2)), equalTo(List.of(2, 0, 1)));
    assertThat(poisoned.feature(2, 1), equalTo(6f));
    assertThat(Attack.SIGN_FLIP.poison(data), sameInstance(data));
  }

  @Test
  void anUnknownAttackListsTheKnownOnes() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Attack.parse("gaussian"));

    assertThat(e.getMessage(), containsString("--attack must be one of sign-flip, scaled, label-flip; was 'gaussian'"));
  }
}
