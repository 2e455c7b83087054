package org.fedbeam.model;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.allOf;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The binary model format: round trip, and every kind of damage rejected with a clear message. */
class ModelFormatTest {
  private static final ModelSpec MLP = ModelSpec.of(6, List.of(5), 3);
  private static final ModelSpec LOGREG = ModelSpec.of(4, List.of(), 2);
  private static final String SOURCE = "gs://bucket/run-42/round-0007.fbmd";
  /** magic 4 + version 2 + kind 1 + layer count 1 + 3 widths x 4 + value count 4. */
  private static final int MLP_HEADER = 4 + 2 + 1 + 1 + 3 * 4 + 4;
  private static final Parameters MLP_PARAMS = TestData.jitter(Parameters.zeros(MLP), 1.0, 77L);

  @Test
  void roundTripGivesEqualParameters() {
    byte[] bytes = ModelFormat.encode(MLP_PARAMS);

    Parameters decoded = ModelFormat.decode(bytes, SOURCE);

    assertThat(decoded, equalTo(MLP_PARAMS));
    assertThat(decoded.spec(), equalTo(MLP));
  }

  @Test
  void roundTripKeepsLogregKindAndSpecialFloats() {
    float[] values = new float[LOGREG.parameterCount()];
    values[0] = -0.0f;
    values[1] = Float.MIN_VALUE;
    values[2] = Float.MAX_VALUE;
    values[3] = 1.0e-30f;
    Parameters parameters = Parameters.copyOf(LOGREG, values);

    Parameters decoded = ModelFormat.decode(ModelFormat.encode(parameters), SOURCE);

    assertThat(decoded, equalTo(parameters));
    assertThat(decoded.spec().kind(), equalTo(ModelKind.LOGREG));
  }

  @Test
  void encodingHasTheDocumentedLayout() {
    byte[] bytes = ModelFormat.encode(MLP_PARAMS);

    ByteBuffer buf = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
    assertThat(bytes.length, equalTo(MLP_HEADER + 4 * MLP.parameterCount() + 4));
    assertThat(new String(bytes, 0, 4, java.nio.charset.StandardCharsets.US_ASCII), equalTo("FBMD"));
    assertThat((int) buf.getShort(4), equalTo(ModelFormat.VERSION));
    assertThat((int) bytes[6], equalTo(ModelKind.MLP.ordinal()));
    assertThat((int) bytes[7], equalTo(3));
    assertThat(buf.getInt(8), equalTo(6));
    assertThat(buf.getInt(20), equalTo(MLP.parameterCount()));
    assertThat(buf.getFloat(MLP_HEADER), equalTo(MLP_PARAMS.get(0)));
  }

  @Test
  void droppingTheLastByteIsReportedAsTruncated() {
    byte[] bytes = ModelFormat.encode(MLP_PARAMS);
    byte[] cut = Arrays.copyOf(bytes, bytes.length - 1);

    ModelFormatException e = assertThrows(ModelFormatException.class, () -> ModelFormat.decode(cut, SOURCE));

    assertThat(e.getMessage(), allOf(containsString(SOURCE), containsString("truncated"),
        containsString(String.valueOf(bytes.length)), containsString(String.valueOf(cut.length))));
  }

  @Test
  void droppingHalfTheFileIsReportedAsTruncated() {
    byte[] bytes = ModelFormat.encode(MLP_PARAMS);
    byte[] half = Arrays.copyOf(bytes, bytes.length / 2);

    ModelFormatException e = assertThrows(ModelFormatException.class, () -> ModelFormat.decode(half, SOURCE));

    assertThat(e.getMessage(), allOf(containsString(SOURCE), containsString("truncated")));
  }

  @Test
  void cuttingInsideTheHeaderIsReportedAsTruncated() {
    byte[] cut = Arrays.copyOf(ModelFormat.encode(MLP_PARAMS), 14);

    ModelFormatException e = assertThrows(ModelFormatException.class, () -> ModelFormat.decode(cut, SOURCE));

    assertThat(e.getMessage(), allOf(containsString(SOURCE), containsString("truncated")));
  }

  @Test
  void aFewBytesAreReportedAsTruncated() {
    ModelFormatException e = assertThrows(ModelFormatException.class,
        () -> ModelFormat.decode(new byte[] {'F', 'B', 'M'}, SOURCE));

    assertThat(e.getMessage(), allOf(containsString(SOURCE), containsString("truncated")));
  }

  @Test
  void aFlippedBitInTheValuesFailsTheChecksum() {
    byte[] bytes = ModelFormat.encode(MLP_PARAMS);
    bytes[MLP_HEADER + 17] ^= 0x04;

    ModelFormatException e = assertThrows(ModelFormatException.class, () -> ModelFormat.decode(bytes, SOURCE));

    assertThat(e.getMessage(), allOf(containsString(SOURCE), containsString("checksum")));
  }

  @Test
  void aDamagedChecksumFailsTheChecksum() {
    byte[] bytes = ModelFormat.encode(MLP_PARAMS);
    bytes[bytes.length - 1] ^= (byte) 0x80;

    ModelFormatException e = assertThrows(ModelFormatException.class, () -> ModelFormat.decode(bytes, SOURCE));

    assertThat(e.getMessage(), allOf(containsString(SOURCE), containsString("checksum")));
  }

  @Test
  void badMagicIsReportedAsNotAFedBeamModel() {
    byte[] bytes = ModelFormat.encode(MLP_PARAMS);
    bytes[0] = 'P';
    bytes[1] = 'K';

    ModelFormatException e = assertThrows(ModelFormatException.class, () -> ModelFormat.decode(bytes, SOURCE));

    assertThat(e.getMessage(), allOf(containsString(SOURCE), containsString("magic")));
  }

  @Test
  void trailingBytesAreReported() {
    byte[] bytes = ModelFormat.encode(MLP_PARAMS);
    byte[] longer = Arrays.copyOf(bytes, bytes.length + 3);

    ModelFormatException e = assertThrows(ModelFormatException.class, () -> ModelFormat.decode(longer, SOURCE));

    assertThat(e.getMessage(), allOf(containsString(SOURCE), containsString("trailing bytes"),
        containsString(String.valueOf(longer.length))));
  }

  @Test
  void anotherFormatVersionIsReportedWithBothVersions() {
    byte[] bytes = ModelFormat.encode(MLP_PARAMS);
    bytes[4] = 2;

    ModelFormatException e = assertThrows(ModelFormatException.class, () -> ModelFormat.decode(bytes, SOURCE));

    assertThat(e.getMessage(), allOf(containsString(SOURCE), containsString("version 2"), containsString("version 1")));
  }

  @Test
  void anUnknownKindCodeIsReported() {
    byte[] bytes = ModelFormat.encode(MLP_PARAMS);
    bytes[6] = 9;

    ModelFormatException e = assertThrows(ModelFormatException.class, () -> ModelFormat.decode(bytes, SOURCE));

    assertThat(e.getMessage(), allOf(containsString(SOURCE), containsString("kind code 9")));
  }

  @Test
  void aLayerCountOutsideTheLimitsIsReported() {
    byte[] bytes = ModelFormat.encode(MLP_PARAMS);
    bytes[7] = 1;

    ModelFormatException e = assertThrows(ModelFormatException.class, () -> ModelFormat.decode(bytes, SOURCE));

    assertThat(e.getMessage(), allOf(containsString(SOURCE), containsString("layer count 1")));
  }

  @Test
  void aHeaderSpecThatIsNotAValidModelIsReported() {
    // Output width 1: a model needs at least two classes.
    byte[] bytes = ModelFormat.encode(MLP_PARAMS);
    ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).putInt(16, 1);

    ModelFormatException e = assertThrows(ModelFormatException.class, () -> ModelFormat.decode(bytes, SOURCE));

    assertThat(e.getMessage(), allOf(containsString(SOURCE), containsString("invalid model spec"),
        containsString("2 classes")));
  }

  @Test
  void aValueCountThatDisagreesWithTheSpecIsReported() {
    byte[] bytes = ModelFormat.encode(MLP_PARAMS);
    ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).putInt(20, 12);

    ModelFormatException e = assertThrows(ModelFormatException.class, () -> ModelFormat.decode(bytes, SOURCE));

    assertThat(e.getMessage(), allOf(containsString(SOURCE), containsString("12 values"),
        containsString(String.valueOf(MLP.parameterCount()))));
  }
}
