package org.fedbeam.model;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.allOf;
import static org.hamcrest.Matchers.closeTo;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.greaterThan;
import static org.hamcrest.Matchers.greaterThanOrEqualTo;
import static org.hamcrest.Matchers.lessThan;
import static org.hamcrest.Matchers.lessThanOrEqualTo;
import static org.hamcrest.Matchers.not;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.fedbeam.data.Dataset;
import org.junit.jupiter.api.Test;

/** Forward pass, training and input validation of {@link DenseNetwork}. */
class DenseNetworkTest {
  private static final ModelSpec MLP = ModelSpec.of(12, List.of(16, 8), 4);
  private static final ModelSpec LOGREG = ModelSpec.of(12, List.of(), 4);
  /** More than one evaluation batch (512) with a partial last batch. */
  private static final int EVAL_ROWS = 600;
  private static final Dataset EVAL_DATA = TestData.gaussian("eval-data", EVAL_ROWS, 12, 4, 101L);
  private static final Dataset BLOBS = TestData.blobs("blobs", 240, 12, 4, 202L);
  private static final Dataset SMALL = TestData.gaussian("small", 16, 12, 4, 303L);
  private static final long INIT_SEED = 5L;
  private static final long TRAIN_SEED = 99L;
  private static final TrainConfig SGD = new TrainConfig(3, 16, 0.1, 0, 0);
  private static final TrainConfig MOMENTUM = new TrainConfig(3, 16, 0.1, 0.9, 0);
  private static final TrainConfig DECAY = new TrainConfig(3, 16, 0.1, 0, 0.1);
  private static final float LEARNING_RATE = 0.1f;

  // ---- forward pass ----------------------------------------------------------------------------

  @Test
  void predictedProbabilitiesOfEveryRowSumToOne() {
    DenseNetwork network = new DenseNetwork(MLP);
    Parameters parameters = TestData.jitter(network.initialize(INIT_SEED), 0.2, 1L);

    float[] p = network.predictProbabilities(parameters, EVAL_DATA);

    assertThat(p.length, equalTo(EVAL_ROWS * MLP.classes()));
    for (int r = 0; r < EVAL_ROWS; r++) {
      double sum = 0;
      for (int c = 0; c < MLP.classes(); c++) {
        assertThat(p[r * MLP.classes() + c], allOf(greaterThanOrEqualTo(0f), lessThanOrEqualTo(1f)));
        sum += p[r * MLP.classes() + c];
      }
      assertThat("row " + r, sum, closeTo(1.0, 1e-5));
    }
  }

  @Test
  void evaluatingOnSeveralThreadsGivesTheSameBitsAsOnOne() {
    DenseNetwork network = new DenseNetwork(MLP);
    Parameters parameters = TestData.jitter(network.initialize(INIT_SEED), 0.2, 3L);
    // 4 full batches and a partial one, so some thread counts leave the last part with only the partial batch
    Dataset rows = TestData.gaussian("threaded", 4 * 512 + 37, 12, 4, 404L);
    float[] one = network.predictProbabilities(parameters, rows, 1);

    for (int threads : new int[] {2, 3, 4, 5, 8}) {
      assertThat(threads + " threads", network.predictProbabilities(parameters, rows, threads), equalTo(one));
      EvalReport threaded = network.evaluate(parameters, rows, threads);
      EvalReport single = network.evaluate(parameters, rows);
      assertThat(threaded.logLoss(), equalTo(single.logLoss()));
      assertThat(threaded.accuracy(), equalTo(single.accuracy()));
      assertThat(threaded.macroF1(), equalTo(single.macroF1()));
      assertThat(threaded.confusion(), equalTo(single.confusion()));
    }
    assertThat(network.predictProbabilities(parameters, SMALL, 4), equalTo(network.predictProbabilities(parameters, SMALL)));
    assertThrows(IllegalArgumentException.class, () -> network.predictProbabilities(parameters, rows, 0));
  }

  @Test
  void mlpProbabilitiesMatchThePureJavaForwardPass() {
    DenseNetwork network = new DenseNetwork(MLP);
    Parameters parameters = TestData.jitter(network.initialize(INIT_SEED), 0.2, 2L);

    float[] p = network.predictProbabilities(parameters, EVAL_DATA);

    assertThat(maxAbsDifference(p, ReferenceNetwork.probabilities(parameters, EVAL_DATA)), lessThanOrEqualTo(1e-5));
  }

  @Test
  void logregProbabilitiesMatchThePureJavaForwardPass() {
    DenseNetwork network = new DenseNetwork(LOGREG);
    Parameters parameters = TestData.jitter(network.initialize(INIT_SEED), 0.2, 3L);

    float[] p = network.predictProbabilities(parameters, EVAL_DATA);

    assertThat(maxAbsDifference(p, ReferenceNetwork.probabilities(parameters, EVAL_DATA)), lessThanOrEqualTo(1e-5));
  }

  @Test
  void evaluateAgreesWithPredictedProbabilities() {
    DenseNetwork network = new DenseNetwork(MLP);
    Parameters parameters = network.initialize(INIT_SEED);
    int[] labels = new int[EVAL_ROWS];
    for (int r = 0; r < EVAL_ROWS; r++) {
      labels[r] = EVAL_DATA.label(r);
    }

    EvalReport report = network.evaluate(parameters, EVAL_DATA);

    EvalReport expected = EvalReport.of(ReferenceNetwork.probabilities(parameters, EVAL_DATA), labels, MLP.classes());
    assertThat(report.samples(), equalTo(EVAL_ROWS));
    assertThat(report.accuracy(), closeTo(expected.accuracy(), 1e-9));
    assertThat(report.logLoss(), closeTo(expected.logLoss(), 1e-5));
  }

  // ---- initialization --------------------------------------------------------------------------

  @Test
  void initializationIsDeterministicWithZeroBiases() {
    DenseNetwork network = new DenseNetwork(MLP);

    Parameters first = network.initialize(INIT_SEED);
    Parameters second = network.initialize(INIT_SEED);

    assertThat(second, equalTo(first));
    assertThat(network.initialize(INIT_SEED + 1), not(equalTo(first)));
    for (int l = 0; l < MLP.depth(); l++) {
      for (int j = 0; j < MLP.layers().get(l + 1); j++) {
        assertThat(first.get(MLP.biasOffset(l) + j), equalTo(0f));
      }
    }
  }

  @Test
  void initializationUsesHeScaleForTheFirstLayer() {
    // 784 x 128 He-normal weights: standard deviation sqrt(2 / 784).
    ModelSpec spec = ModelSpec.of(784, List.of(128), 10);
    Parameters p = new DenseNetwork(spec).initialize(INIT_SEED);

    double sumSq = 0;
    int n = 784 * 128;
    for (int i = 0; i < n; i++) {
      sumSq += (double) p.get(i) * p.get(i);
    }

    assertThat(Math.sqrt(sumSq / n), closeTo(Math.sqrt(2.0 / 784), 0.01 * Math.sqrt(2.0 / 784)));
  }

  // ---- training --------------------------------------------------------------------------------

  @Test
  void trainingIsDeterministicForASeed() {
    DenseNetwork network = new DenseNetwork(MLP);
    Parameters start = network.initialize(INIT_SEED);

    TrainResult first = network.train(start, BLOBS, MOMENTUM, TRAIN_SEED);
    TrainResult second = network.train(start, BLOBS, MOMENTUM, TRAIN_SEED);

    assertThat(second.parameters(), equalTo(first.parameters()));
    assertThat(second.meanLoss(), equalTo(first.meanLoss()));
  }

  @Test
  void anotherSeedVisitsRowsInAnotherOrder() {
    DenseNetwork network = new DenseNetwork(MLP);
    Parameters start = network.initialize(INIT_SEED);

    TrainResult first = network.train(start, BLOBS, SGD, TRAIN_SEED);
    TrainResult other = network.train(start, BLOBS, SGD, TRAIN_SEED + 1);

    assertThat(other.parameters(), not(equalTo(first.parameters())));
  }

  @Test
  void trainingCountsEverySampleOfEveryEpoch() {
    DenseNetwork network = new DenseNetwork(MLP);

    TrainResult result = network.train(network.initialize(INIT_SEED), BLOBS, SGD, TRAIN_SEED);

    assertThat(result.samplesSeen(), equalTo((long) SGD.epochs() * BLOBS.size()));
  }

  @Test
  void trainingReducesTheLossOnSeparableData() {
    DenseNetwork network = new DenseNetwork(MLP);
    Parameters start = network.initialize(INIT_SEED);
    double before = network.lossAndGradient(start, BLOBS).loss();

    TrainResult result = network.train(start, BLOBS, SGD, TRAIN_SEED);

    double after = network.lossAndGradient(result.parameters(), BLOBS).loss();
    assertThat(after, lessThan(0.2 * before));
    assertThat(network.evaluate(result.parameters(), BLOBS).accuracy(), greaterThanOrEqualTo(0.95));
  }

  @Test
  void logregTrainingReducesTheLossOnSeparableData() {
    DenseNetwork network = new DenseNetwork(LOGREG);
    Parameters start = network.initialize(INIT_SEED);
    double before = network.lossAndGradient(start, BLOBS).loss();

    TrainResult result = network.train(start, BLOBS, SGD, TRAIN_SEED);

    assertThat(network.lossAndGradient(result.parameters(), BLOBS).loss(), lessThan(0.2 * before));
    assertThat(network.evaluate(result.parameters(), BLOBS).accuracy(), greaterThanOrEqualTo(0.95));
  }

  @Test
  void reportedMeanLossIsTheLossBeforeEachStep() {
    // One full-batch step: the mean loss reported is the loss at the start point.
    DenseNetwork network = new DenseNetwork(MLP);
    Parameters start = network.initialize(INIT_SEED);
    TrainConfig oneStep = new TrainConfig(1, SMALL.size(), LEARNING_RATE, 0, 0);

    TrainResult result = network.train(start, SMALL, oneStep, TRAIN_SEED);

    assertThat(result.meanLoss(), closeTo(network.lossAndGradient(start, SMALL).loss(), 1e-5));
  }

  @Test
  void oneFullBatchStepOfPlainSgdIsStartMinusLearningRateTimesGradient() {
    DenseNetwork network = new DenseNetwork(MLP);
    Parameters start = TestData.jitter(network.initialize(INIT_SEED), 0.1, 4L);
    float[] g = network.lossAndGradient(start, SMALL).gradient();

    Parameters trained = network.train(start, SMALL, new TrainConfig(1, SMALL.size(), LEARNING_RATE, 0, 0), TRAIN_SEED)
        .parameters();

    float[] expected = start.toArray();
    for (int i = 0; i < expected.length; i++) {
      expected[i] -= LEARNING_RATE * g[i];
    }
    assertThat(trained.maxAbsDifference(Parameters.copyOf(MLP, expected)), lessThanOrEqualTo(1e-6));
  }

  @Test
  void weightDecayAddsDecayTimesWeightsToTheStep() {
    float decay = 0.5f;
    DenseNetwork network = new DenseNetwork(MLP);
    Parameters start = TestData.jitter(network.initialize(INIT_SEED), 0.1, 4L);
    float[] g = network.lossAndGradient(start, SMALL).gradient();

    Parameters trained = network.train(start, SMALL, new TrainConfig(1, SMALL.size(), LEARNING_RATE, 0, decay), TRAIN_SEED)
        .parameters();

    float[] expected = start.toArray();
    for (int i = 0; i < expected.length; i++) {
      expected[i] -= LEARNING_RATE * (g[i] + decay * start.get(i));
    }
    assertThat(trained.maxAbsDifference(Parameters.copyOf(MLP, expected)), lessThanOrEqualTo(1e-6));
  }

  @Test
  void momentumCarriesTheFirstGradientIntoTheSecondStep() {
    // Two full-batch epochs: v1 = g0, w1 = w0 - lr g0; v2 = m g0 + g1, w2 = w1 - lr v2.
    float momentum = 0.9f;
    DenseNetwork network = new DenseNetwork(MLP);
    Parameters w0 = TestData.jitter(network.initialize(INIT_SEED), 0.1, 4L);
    float[] g0 = network.lossAndGradient(w0, SMALL).gradient();
    float[] w1 = w0.toArray();
    for (int i = 0; i < w1.length; i++) {
      w1[i] -= LEARNING_RATE * g0[i];
    }
    float[] g1 = network.lossAndGradient(Parameters.copyOf(MLP, w1), SMALL).gradient();

    Parameters trained = network.train(w0, SMALL, new TrainConfig(2, SMALL.size(), LEARNING_RATE, momentum, 0), TRAIN_SEED)
        .parameters();

    float[] expected = w1.clone();
    for (int i = 0; i < expected.length; i++) {
      expected[i] -= LEARNING_RATE * (momentum * g0[i] + g1[i]);
    }
    assertThat(trained.maxAbsDifference(Parameters.copyOf(MLP, expected)), lessThanOrEqualTo(1e-5));
  }

  @Test
  void momentumGivesOtherWeightsThanPlainSgd() {
    DenseNetwork network = new DenseNetwork(MLP);
    Parameters start = network.initialize(INIT_SEED);

    Parameters plain = network.train(start, BLOBS, SGD, TRAIN_SEED).parameters();
    TrainResult heavyBall = network.train(start, BLOBS, MOMENTUM, TRAIN_SEED);

    assertThat(heavyBall.parameters().maxAbsDifference(plain), greaterThan(1e-3));
    assertThat(heavyBall.parameters().firstNonFinite(), equalTo(-1));
    assertThat(network.lossAndGradient(heavyBall.parameters(), BLOBS).loss(),
        lessThan(network.lossAndGradient(start, BLOBS).loss()));
  }

  @Test
  void weightDecayShrinksTheWeightsComparedToPlainSgd() {
    DenseNetwork network = new DenseNetwork(MLP);
    Parameters start = network.initialize(INIT_SEED);

    Parameters plain = network.train(start, BLOBS, SGD, TRAIN_SEED).parameters();
    Parameters decayed = network.train(start, BLOBS, DECAY, TRAIN_SEED).parameters();

    assertThat(decayed.l2Norm(), lessThan(0.9 * plain.l2Norm()));
  }

  @Test
  void batchLargerThanTheDataTrainsOnAllRowsAtOnce() {
    DenseNetwork network = new DenseNetwork(MLP);
    Parameters start = network.initialize(INIT_SEED);

    Parameters huge = network.train(start, SMALL, new TrainConfig(1, 1000, LEARNING_RATE, 0, 0), TRAIN_SEED).parameters();
    Parameters exact = network.train(start, SMALL, new TrainConfig(1, SMALL.size(), LEARNING_RATE, 0, 0), TRAIN_SEED)
        .parameters();

    assertThat(huge, equalTo(exact));
  }

  @Test
  void trainingLeavesTheStartParametersUntouched() {
    DenseNetwork network = new DenseNetwork(MLP);
    Parameters start = network.initialize(INIT_SEED);
    float[] before = start.toArray();

    network.train(start, BLOBS, MOMENTUM, TRAIN_SEED);

    assertThat(start, equalTo(Parameters.copyOf(MLP, before)));
  }

  // ---- bad input -------------------------------------------------------------------------------

  @Test
  void dataWithTheWrongFeatureCountIsRejectedNamingTheDataAndBothCounts() {
    DenseNetwork network = new DenseNetwork(MLP);
    Dataset wide = TestData.gaussian("silo-7/train.csv", 4, 13, 4, 1L);

    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> network.train(network.initialize(INIT_SEED), wide, SGD, TRAIN_SEED));

    assertThat(e.getMessage(), allOf(containsString("silo-7/train.csv"), containsString("13"), containsString("12")));
  }

  @Test
  void predictionOnDataWithTheWrongFeatureCountIsRejected() {
    DenseNetwork network = new DenseNetwork(LOGREG);
    Dataset narrow = TestData.gaussian("narrow-set", 4, 3, 4, 1L);

    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> network.predictProbabilities(network.initialize(INIT_SEED), narrow));

    assertThat(e.getMessage(), allOf(containsString("narrow-set"), containsString("3 features"), containsString("12")));
  }

  @Test
  void dataWithMoreClassesThanTheModelIsRejected() {
    DenseNetwork network = new DenseNetwork(MLP);
    Dataset sixClasses = TestData.gaussian("six-classes", 12, 12, 6, 1L);

    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> network.lossAndGradient(network.initialize(INIT_SEED), sixClasses));

    assertThat(e.getMessage(), allOf(containsString("six-classes"), containsString("6 classes"), containsString("4")));
  }

  @Test
  void trainingOnAnEmptyDatasetIsRejectedNamingIt() {
    DenseNetwork network = new DenseNetwork(MLP);
    Dataset empty = new Dataset("silo-3/empty", new float[0], new int[0], 12, 4);

    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> network.train(network.initialize(INIT_SEED), empty, SGD, TRAIN_SEED));

    assertThat(e.getMessage(), allOf(containsString("silo-3/empty"), containsString("no rows")));
  }

  @Test
  void parametersOfAnotherSpecAreRejectedNamingBothSpecs() {
    DenseNetwork network = new DenseNetwork(MLP);
    Parameters logreg = new DenseNetwork(LOGREG).initialize(INIT_SEED);

    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> network.train(logreg, BLOBS, SGD, TRAIN_SEED));

    assertThat(e.getMessage(), allOf(containsString("logreg 12-4"), containsString("mlp 12-16-8-4")));
  }

  private static double maxAbsDifference(float[] a, float[] b) {
    assertThat(a.length, equalTo(b.length));
    double max = 0;
    for (int i = 0; i < a.length; i++) {
      max = Math.max(max, Math.abs((double) a[i] - b[i]));
    }
    return max;
  }
}
