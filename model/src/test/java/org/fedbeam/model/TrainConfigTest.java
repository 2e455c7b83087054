package org.fedbeam.model;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

/** Validation of the local training hyperparameters. */
class TrainConfigTest {
  private static final TrainConfig VALID = new TrainConfig(2, 32, 0.05, 0.9, 1e-4);

  @Test
  void validSettingsAreKept() {
    assertThat(VALID.epochs(), equalTo(2));
    assertThat(VALID.batchSize(), equalTo(32));
    assertThat(VALID.learningRate(), equalTo(0.05));
    assertThat(VALID.momentum(), equalTo(0.9));
    assertThat(VALID.weightDecay(), equalTo(1e-4));
  }

  @Test
  void withEpochsChangesOnlyTheEpochs() {
    assertThat(VALID.withEpochs(7), equalTo(new TrainConfig(7, 32, 0.05, 0.9, 1e-4)));
  }

  @Test
  void zeroEpochsAreRejected() {
    assertThat(message(() -> new TrainConfig(0, 32, 0.05, 0, 0)), equalTo("epochs must be >= 1, was 0"));
  }

  @Test
  void zeroBatchSizeIsRejected() {
    assertThat(message(() -> new TrainConfig(1, 0, 0.05, 0, 0)), equalTo("batchSize must be >= 1, was 0"));
  }

  @Test
  void aZeroLearningRateIsRejected() {
    assertThat(message(() -> new TrainConfig(1, 32, 0, 0, 0)), equalTo("learningRate must be a finite number > 0, was 0.0"));
  }

  @Test
  void aNanLearningRateIsRejected() {
    assertThat(message(() -> new TrainConfig(1, 32, Double.NaN, 0, 0)),
        equalTo("learningRate must be a finite number > 0, was NaN"));
  }

  @Test
  void anInfiniteLearningRateIsRejected() {
    assertThat(message(() -> new TrainConfig(1, 32, Double.POSITIVE_INFINITY, 0, 0)),
        equalTo("learningRate must be a finite number > 0, was Infinity"));
  }

  @Test
  void momentumOfOneIsRejected() {
    assertThat(message(() -> new TrainConfig(1, 32, 0.05, 1.0, 0)), equalTo("momentum must be in [0, 1), was 1.0"));
  }

  @Test
  void negativeMomentumIsRejected() {
    assertThat(message(() -> new TrainConfig(1, 32, 0.05, -0.1, 0)), equalTo("momentum must be in [0, 1), was -0.1"));
  }

  @Test
  void negativeWeightDecayIsRejected() {
    assertThat(message(() -> new TrainConfig(1, 32, 0.05, 0, -1e-3)),
        equalTo("weightDecay must be a finite number >= 0, was -0.001"));
  }

  @Test
  void nanWeightDecayIsRejected() {
    assertThat(message(() -> new TrainConfig(1, 32, 0.05, 0, Double.NaN)),
        equalTo("weightDecay must be a finite number >= 0, was NaN"));
  }

  private static String message(org.junit.jupiter.api.function.Executable construct) {
    return assertThrows(IllegalArgumentException.class, construct).getMessage();
  }
}
