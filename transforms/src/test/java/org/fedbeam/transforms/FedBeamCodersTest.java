package org.fedbeam.transforms;

import static org.fedbeam.transforms.Fixtures.CONFIG;
import static org.fedbeam.transforms.Fixtures.SPEC;
import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.sameInstance;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.List;
import java.util.TreeMap;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.coders.CoderException;
import org.apache.beam.sdk.coders.CoderRegistry;
import org.apache.beam.sdk.testing.CoderProperties;
import org.apache.beam.sdk.util.CoderUtils;
import org.apache.beam.sdk.util.VarInt;
import org.fedbeam.model.EvalReport;
import org.fedbeam.model.ModelFormat;
import org.fedbeam.model.Parameters;
import org.fedbeam.model.SiloUpdate;
import org.fedbeam.model.SystemMetadata;
import org.fedbeam.model.TrainConfig;
import org.fedbeam.model.WeightedSum;
import org.fedbeam.model.aggregate.WeightedMean;
import org.junit.jupiter.api.Test;

/** Round trips, determinism and corrupt-input handling of every FedBeam element coder. */
class FedBeamCodersTest {
  private static final Parameters WEIGHTS = Fixtures.randomParameters(SPEC, 3L);
  private static final SystemMetadata META_A = new SystemMetadata(40, 0.91, 1200);
  private static final SystemMetadata META_B = new SystemMetadata(25, 1.07, 800);
  private static final SystemMetadata META_C = new SystemMetadata(33, Double.NaN, 0);
  private static final SiloUpdate UPDATE = new SiloUpdate("silo-ü", 3, WEIGHTS, META_A);
  private static final SiloTask TASK = new SiloTask("silo-a", "azfs://acct/silos/silo-a/train.fbds", 3, 0x5EED_F00DL,
      CONFIG);
  private static final ModelEvaluation EVALUATION = new ModelEvaluation("holdout",
      new EvalReport(40, 0.75, 0.6125, 0.7, new long[][] {{10, 2, 1}, {1, 12, 0}, {3, 3, 8}}));

  // ---- ParametersCoder -------------------------------------------------------------------------

  @Test
  void parametersSurviveARoundTrip() throws Exception {
    CoderProperties.coderDecodeEncodeEqual(FedBeamCoders.ParametersCoder.of(), WEIGHTS);
  }

  @Test
  void parametersWithNonFiniteValuesSurviveARoundTrip() throws Exception {
    float[] values = WEIGHTS.toArray();
    values[0] = Float.NaN;
    values[1] = Float.NEGATIVE_INFINITY;
    values[2] = -0f;

    CoderProperties.coderDecodeEncodeEqual(FedBeamCoders.ParametersCoder.of(), Parameters.copyOf(SPEC, values));
  }

  @Test
  void equalParametersEncodeToEqualBytes() throws Exception {
    CoderProperties.coderDeterministic(FedBeamCoders.ParametersCoder.of(), WEIGHTS,
        Parameters.copyOf(SPEC, WEIGHTS.toArray()));
  }

  @Test
  void aCorruptedModelIsRejectedByItsChecksum() throws Exception {
    byte[] encoded = CoderUtils.encodeToByteArray(FedBeamCoders.ParametersCoder.of(), WEIGHTS);
    // a byte inside the float values: after the varint length and header, before the CRC
    byte[] corrupted = Fixtures.flipByte(encoded, encoded.length - 4 - 4 * 10);

    CoderException e = assertThrows(CoderException.class,
        () -> CoderUtils.decodeFromByteArray(FedBeamCoders.ParametersCoder.of(), corrupted));

    assertThat(e.getMessage(), containsString("checksum"));
  }

  @Test
  void aNegativeBlockLengthIsRejected() throws Exception {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    VarInt.encode(-1, bytes);

    CoderException e = assertThrows(CoderException.class,
        () -> CoderUtils.decodeFromByteArray(FedBeamCoders.ParametersCoder.of(), bytes.toByteArray()));

    assertThat(e.getMessage(), containsString("negative parameter block length -1"));
  }

  @Test
  void theParameterBlockIsTheModelFileImage() throws Exception {
    byte[] file = ModelFormat.encode(WEIGHTS);
    ByteArrayOutputStream expected = new ByteArrayOutputStream();
    VarInt.encode(file.length, expected);
    expected.write(file);

    assertThat(CoderUtils.encodeToByteArray(FedBeamCoders.ParametersCoder.of(), WEIGHTS),
        equalTo(expected.toByteArray()));
  }

  // ---- SiloUpdateCoder -------------------------------------------------------------------------

  @Test
  void siloUpdatesSurviveARoundTrip() throws Exception {
    CoderProperties.coderDecodeEncodeEqual(FedBeamCoders.SiloUpdateCoder.of(), UPDATE);
  }

  @Test
  void equalSiloUpdatesEncodeToEqualBytes() throws Exception {
    SiloUpdate twin = new SiloUpdate("silo-ü", 3, Parameters.copyOf(SPEC, WEIGHTS.toArray()),
        new SystemMetadata(40, 0.91, 1200));

    CoderProperties.coderDeterministic(FedBeamCoders.SiloUpdateCoder.of(), UPDATE, twin);
  }

  @Test
  void aSiloUpdateWithCorruptedWeightsIsRejectedByTheChecksum() throws Exception {
    byte[] encoded = CoderUtils.encodeToByteArray(FedBeamCoders.SiloUpdateCoder.of(), UPDATE);
    byte[] corrupted = Fixtures.flipByte(encoded, encoded.length - 4 - 4 * 3);

    CoderException e = assertThrows(CoderException.class,
        () -> CoderUtils.decodeFromByteArray(FedBeamCoders.SiloUpdateCoder.of(), corrupted));

    assertThat(e.getMessage(), containsString("checksum"));
  }

  @Test
  void aByzantineTaskKeepsItsAttackThroughTheCoder() throws Exception {
    SiloTask attacked = new SiloTask("silo-z", "/data/z.fbds", 2, 7L, new TrainConfig(1, 8, 0.1, 0, 0, null, 0.01),
        org.fedbeam.model.attack.Attack.LABEL_FLIP);

    CoderProperties.coderDecodeEncodeEqual(FedBeamCoders.SiloTaskCoder.of(), attacked);
  }

  // ---- SiloTaskCoder ---------------------------------------------------------------------------

  @Test
  void siloTasksSurviveARoundTrip() throws Exception {
    CoderProperties.coderDecodeEncodeEqual(FedBeamCoders.SiloTaskCoder.of(), TASK);
  }

  @Test
  void equalSiloTasksEncodeToEqualBytes() throws Exception {
    SiloTask twin = new SiloTask("silo-a", "azfs://acct/silos/silo-a/train.fbds", 3, 0x5EED_F00DL,
        new TrainConfig(CONFIG.epochs(), CONFIG.batchSize(), CONFIG.learningRate(), CONFIG.momentum(),
            CONFIG.weightDecay()));

    CoderProperties.coderDeterministic(FedBeamCoders.SiloTaskCoder.of(), TASK, twin);
  }

  // ---- AggregateResultCoder --------------------------------------------------------------------

  @Test
  void aggregateResultsSurviveARoundTrip() throws Exception {
    AggregateResult result = new AggregateResult(3, WEIGHTS, 98, participants());

    CoderProperties.coderDecodeEncodeEqual(FedBeamCoders.AggregateResultCoder.of(), result);
  }

  @Test
  void anAggregateResultWithoutParticipantsSurvivesARoundTrip() throws Exception {
    CoderProperties.coderDecodeEncodeEqual(FedBeamCoders.AggregateResultCoder.of(),
        new AggregateResult(1, WEIGHTS, 0, new TreeMap<>()));
  }

  @Test
  void equalAggregateResultsEncodeToEqualBytes() throws Exception {
    TreeMap<String, SystemMetadata> insertedBackwards = new TreeMap<>();
    insertedBackwards.put("silo-c", META_C);
    insertedBackwards.put("silo-b", META_B);
    insertedBackwards.put("silo-a", META_A);
    AggregateResult twin = new AggregateResult(3, Parameters.copyOf(SPEC, WEIGHTS.toArray()), 98, insertedBackwards);

    CoderProperties.coderDeterministic(FedBeamCoders.AggregateResultCoder.of(),
        new AggregateResult(3, WEIGHTS, 98, participants()), twin);
  }

  @Test
  void aNegativeParticipantCountIsRejected() throws Exception {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    DataOutputStream data = new DataOutputStream(bytes);
    data.writeInt(3);
    data.writeLong(98);
    data.writeInt(-2);
    data.flush();

    CoderException e = assertThrows(CoderException.class,
        () -> CoderUtils.decodeFromByteArray(FedBeamCoders.AggregateResultCoder.of(), bytes.toByteArray()));

    assertThat(e.getMessage(), containsString("negative participant count -2"));
  }

  // ---- ModelEvaluationCoder --------------------------------------------------------------------

  @Test
  void modelEvaluationsReEncodeToTheSameBytes() throws Exception {
    // EvalReport holds a long[][], so records compare by identity: compare encodings instead
    CoderProperties.structuralValueDecodeEncodeEqual(FedBeamCoders.ModelEvaluationCoder.of(), EVALUATION);
  }

  @Test
  void modelEvaluationsSurviveARoundTripFieldByField() throws Exception {
    ModelEvaluation decoded = CoderUtils.decodeFromByteArray(FedBeamCoders.ModelEvaluationCoder.of(),
        CoderUtils.encodeToByteArray(FedBeamCoders.ModelEvaluationCoder.of(), EVALUATION));

    EvalReport expected = EVALUATION.report();
    assertThat(decoded.dataset(), equalTo("holdout"));
    assertThat(decoded.report().samples(), equalTo(expected.samples()));
    assertThat(decoded.report().accuracy(), equalTo(expected.accuracy()));
    assertThat(decoded.report().logLoss(), equalTo(expected.logLoss()));
    assertThat(decoded.report().macroF1(), equalTo(expected.macroF1()));
    assertThat(decoded.report().confusion(), equalTo(expected.confusion()));
  }

  @Test
  void aBadConfusionMatrixSizeIsRejectedWithTheSize() throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    DataOutputStream data = new DataOutputStream(bytes);
    data.writeUTF("holdout");
    data.writeInt(40);
    data.writeDouble(0.75);
    data.writeDouble(0.6);
    data.writeDouble(0.7);
    data.writeInt(-3);
    data.flush();

    CoderException e = assertThrows(CoderException.class,
        () -> CoderUtils.decodeFromByteArray(FedBeamCoders.ModelEvaluationCoder.of(), bytes.toByteArray()));

    assertThat(e.getMessage(), containsString("bad confusion matrix size -3"));
  }

  // ---- all coders ------------------------------------------------------------------------------

  @Test
  void everyCoderIsDeterministicAndSerializable() throws Exception {
    for (Coder<?> coder : List.of(FedBeamCoders.ParametersCoder.of(), FedBeamCoders.SiloUpdateCoder.of(),
        FedBeamCoders.SiloTaskCoder.of(), FedBeamCoders.AggregateResultCoder.of(),
        FedBeamCoders.ModelEvaluationCoder.of(), new AggregateUpdates.AccumulatorCoder<>(SPEC, WeightedMean.INSTANCE))) {
      coder.verifyDeterministic();
      CoderProperties.coderSerializable(coder);
    }
  }

  @Test
  void registerAllRegistersACoderForEveryElementType() throws Exception {
    CoderRegistry registry = CoderRegistry.createDefault();

    FedBeamCoders.registerAll(registry);

    assertThat(registry.getCoder(Parameters.class), sameInstance(FedBeamCoders.ParametersCoder.of()));
    assertThat(registry.getCoder(SiloUpdate.class), sameInstance(FedBeamCoders.SiloUpdateCoder.of()));
    assertThat(registry.getCoder(SiloTask.class), sameInstance(FedBeamCoders.SiloTaskCoder.of()));
    assertThat(registry.getCoder(AggregateResult.class), sameInstance(FedBeamCoders.AggregateResultCoder.of()));
    assertThat(registry.getCoder(ModelEvaluation.class), sameInstance(FedBeamCoders.ModelEvaluationCoder.of()));
  }

  @Test
  void theCombineFnDeclaresTheAccumulatorCoder() {
    AggregateUpdates.AggregateCombineFn<WeightedSum> fn = AggregateUpdates.combineFn(SPEC, 3, WeightedMean.INSTANCE);

    Coder<AggregateUpdates.Accumulator<WeightedSum>> coder =
        fn.getAccumulatorCoder(CoderRegistry.createDefault(), FedBeamCoders.SiloUpdateCoder.of());

    assertThat(coder, equalTo(new AggregateUpdates.AccumulatorCoder<>(SPEC, WeightedMean.INSTANCE)));
  }

  private static TreeMap<String, SystemMetadata> participants() {
    TreeMap<String, SystemMetadata> map = new TreeMap<>();
    map.put("silo-a", META_A);
    map.put("silo-b", META_B);
    map.put("silo-c", META_C);
    return map;
  }
}
