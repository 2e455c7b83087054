package org.fedbeam.model;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.fedbeam.data.Dataset;
import org.junit.jupiter.api.Test;

/** Defects found by review of the model package, each pinned by the input that exposed it. */
class InputValidationRegressionTest {
  @Test
  void specWithMoreLayersThanTheFormatsCarryIsRejected() {
    List<Integer> layers = new ArrayList<>();
    for (int i = 0; i < ModelSpec.MAX_LAYERS + 1; i++) {
      layers.add(3);
    }

    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new ModelSpec(ModelKind.MLP, layers));

    assertThat(e.getMessage(), containsString("at most 64 layers, was 65"));
  }

  @Test
  void weightedSumWithACorruptSpecIsAnIoError() throws Exception {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    DataOutputStream out = new DataOutputStream(bytes);
    out.writeByte(ModelKind.LOGREG.ordinal());
    out.writeByte(2);
    out.writeInt(4);
    out.writeInt(1);

    IOException e = assertThrows(IOException.class,
        () -> WeightedSum.readFrom(new DataInputStream(new ByteArrayInputStream(bytes.toByteArray()))));

    assertThat(e.getMessage(), containsString("corrupt weighted sum"));
  }

  @Test
  void evalReportRejectsALabelOutsideTheClasses() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> EvalReport.of(new float[] {0.5f, 0.5f}, new int[] {3}, 2));

    assertThat(e.getMessage(), containsString("row 0 has label 3, expected [0, 2)"));
  }

  @Test
  void lossOnEmptyDataIsRejectedNotNaN() {
    ModelSpec spec = ModelSpec.of(2, List.of(), 2);
    Dataset empty = new Dataset("empty-set", new float[0], new int[0], 2, 2);

    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> new DenseNetwork(spec).lossAndGradient(Parameters.zeros(spec), empty));

    assertThat(e.getMessage(), containsString("empty-set"));
  }
}
