package org.fedbeam.data;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.allOf;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.Test;

/** The binary shard format: lossless round trips for pixels and floats, damage rejected. */
class DatasetFormatTest {
  private static final String SOURCE = "/shards/silo-4.fbds";
  private static final int HEADER = 4 + 2 + 1 + 4 + 4 + 4;
  private static final int ROWS = 50;
  private static final int FEATURES = 784;
  private static final int CLASSES = 10;
  private static final Dataset PIXELS = pixels(ROWS, FEATURES, 11L);
  private static final Dataset FLOATS = floats(ROWS, 7, 12L);

  @Test
  void pixelDataRoundTripsExactly() {
    Dataset decoded = DatasetFormat.decode(DatasetFormat.encode(PIXELS), SOURCE);

    assertSameRows(decoded, PIXELS);
    assertThat(decoded.name(), equalTo(SOURCE));
  }

  @Test
  void pixelDataTakesOneBytePerFeature() {
    byte[] bytes = DatasetFormat.encode(PIXELS);

    assertThat(bytes.length, equalTo(HEADER + 4 * ROWS + ROWS * FEATURES + 4));
    assertThat((int) bytes[6], equalTo(1));
  }

  @Test
  void generalFloatsRoundTripExactly() {
    Dataset decoded = DatasetFormat.decode(DatasetFormat.encode(FLOATS), SOURCE);

    assertSameRows(decoded, FLOATS);
  }

  @Test
  void generalFloatsTakeFourBytesPerFeature() {
    byte[] bytes = DatasetFormat.encode(FLOATS);

    assertThat(bytes.length, equalTo(HEADER + 4 * ROWS + 4 * ROWS * 7 + 4));
    assertThat((int) bytes[6], equalTo(0));
  }

  @Test
  void oneValueThatIsNotAMultipleOf1Over255KeepsTheFloatEncoding() {
    float[] x = new float[] {0f, 1f, 0.5f, 128 / 255f};
    Dataset almostPixels = new Dataset("almost", x, new int[] {0, 1}, 2, 2);

    Dataset decoded = DatasetFormat.decode(DatasetFormat.encode(almostPixels), SOURCE);

    assertThat(DatasetFormat.encode(almostPixels)[6], equalTo((byte) 0));
    assertThat(decoded.feature(1, 0), equalTo(0.5f));
  }

  @Test
  void anEmptyShardRoundTrips() {
    Dataset empty = new Dataset("empty", new float[0], new int[0], 3, 2);

    Dataset decoded = DatasetFormat.decode(DatasetFormat.encode(empty), SOURCE);

    assertThat(decoded.size(), equalTo(0));
    assertThat(decoded.featureCount(), equalTo(3));
    assertThat(decoded.classes(), equalTo(2));
  }

  @Test
  void aShardMissingItsLastByteIsReportedAsTruncated() {
    byte[] bytes = DatasetFormat.encode(PIXELS);
    byte[] cut = Arrays.copyOf(bytes, bytes.length - 1);

    DataFormatException e = assertThrows(DataFormatException.class, () -> DatasetFormat.decode(cut, SOURCE));

    assertThat(e.getMessage(), allOf(containsString(SOURCE), containsString("truncated"),
        containsString("expected " + bytes.length), containsString("found " + cut.length)));
  }

  @Test
  void aShardShorterThanItsHeaderIsReportedAsTruncated() {
    byte[] cut = Arrays.copyOf(DatasetFormat.encode(FLOATS), 10);

    DataFormatException e = assertThrows(DataFormatException.class, () -> DatasetFormat.decode(cut, SOURCE));

    assertThat(e.getMessage(), allOf(containsString(SOURCE), containsString("truncated")));
  }

  @Test
  void trailingBytesAreReported() {
    byte[] longer = Arrays.copyOf(DatasetFormat.encode(FLOATS), DatasetFormat.encode(FLOATS).length + 8);

    DataFormatException e = assertThrows(DataFormatException.class, () -> DatasetFormat.decode(longer, SOURCE));

    assertThat(e.getMessage(), allOf(containsString(SOURCE), containsString("trailing bytes")));
  }

  @Test
  void aFlippedFeatureByteFailsTheChecksum() {
    byte[] bytes = DatasetFormat.encode(PIXELS);
    bytes[HEADER + 4 * ROWS + 100] ^= 0x01;

    DataFormatException e = assertThrows(DataFormatException.class, () -> DatasetFormat.decode(bytes, SOURCE));

    assertThat(e.getMessage(), allOf(containsString(SOURCE), containsString("checksum")));
  }

  @Test
  void aFlippedLabelByteFailsTheChecksum() {
    byte[] bytes = DatasetFormat.encode(FLOATS);
    bytes[HEADER] ^= 0x02;

    DataFormatException e = assertThrows(DataFormatException.class, () -> DatasetFormat.decode(bytes, SOURCE));

    assertThat(e.getMessage(), containsString("checksum"));
  }

  @Test
  void badMagicIsReported() {
    byte[] bytes = DatasetFormat.encode(FLOATS);
    bytes[3] = 'X';

    DataFormatException e = assertThrows(DataFormatException.class, () -> DatasetFormat.decode(bytes, SOURCE));

    assertThat(e.getMessage(), allOf(containsString(SOURCE), containsString("bad magic")));
  }

  @Test
  void anotherVersionIsReported() {
    byte[] bytes = DatasetFormat.encode(FLOATS);
    bytes[4] = 3;

    DataFormatException e = assertThrows(DataFormatException.class, () -> DatasetFormat.decode(bytes, SOURCE));

    assertThat(e.getMessage(), allOf(containsString(SOURCE), containsString("version 3")));
  }

  @Test
  void anUnknownEncodingIsReported() {
    byte[] bytes = DatasetFormat.encode(FLOATS);
    bytes[6] = 5;

    DataFormatException e = assertThrows(DataFormatException.class, () -> DatasetFormat.decode(bytes, SOURCE));

    assertThat(e.getMessage(), allOf(containsString(SOURCE), containsString("encoding 5")));
  }

  @Test
  void aBadShapeIsReported() {
    byte[] bytes = DatasetFormat.encode(FLOATS);
    ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).putInt(15, 1);

    DataFormatException e = assertThrows(DataFormatException.class, () -> DatasetFormat.decode(bytes, SOURCE));

    assertThat(e.getMessage(), allOf(containsString(SOURCE), containsString("1 classes")));
  }

  @Test
  void aLabelOutsideTheClassesIsReportedWithItsRow() {
    // A writer bug rather than damage: the checksum matches, the label does not.
    byte[] bytes = DatasetFormat.encode(FLOATS);
    ByteBuffer buf = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
    buf.putInt(HEADER + 4 * 3, 10);
    CRC32C crc = new CRC32C();
    crc.update(bytes, 0, bytes.length - 4);
    buf.putInt(bytes.length - 4, (int) crc.getValue());

    DataFormatException e = assertThrows(DataFormatException.class, () -> DatasetFormat.decode(bytes, SOURCE));

    assertThat(e.getMessage(), allOf(containsString(SOURCE), containsString("row 3 has label 10"),
        containsString("[0, 10)")));
  }

  private static void assertSameRows(Dataset actual, Dataset expected) {
    assertThat(actual.size(), equalTo(expected.size()));
    assertThat(actual.featureCount(), equalTo(expected.featureCount()));
    assertThat(actual.classes(), equalTo(expected.classes()));
    for (int r = 0; r < expected.size(); r++) {
      assertThat(actual.label(r), equalTo(expected.label(r)));
      for (int c = 0; c < expected.featureCount(); c++) {
        assertThat(actual.feature(r, c), equalTo(expected.feature(r, c)));
      }
    }
  }

  /** Values k / 255f, as {@link IdxReader} produces them. */
  private static Dataset pixels(int rows, int features, long seed) {
    SplittableRandom random = new SplittableRandom(seed);
    float[] x = new float[rows * features];
    int[] y = new int[rows];
    for (int i = 0; i < x.length; i++) {
      x[i] = random.nextInt(256) / 255f;
    }
    for (int r = 0; r < rows; r++) {
      y[r] = random.nextInt(CLASSES);
    }
    return new Dataset("pixels", x, y, features, CLASSES);
  }

  private static Dataset floats(int rows, int features, long seed) {
    SplittableRandom random = new SplittableRandom(seed);
    float[] x = new float[rows * features];
    int[] y = new int[rows];
    for (int i = 0; i < x.length; i++) {
      x[i] = (float) (100 * random.nextGaussian());
    }
    for (int r = 0; r < rows; r++) {
      y[r] = random.nextInt(CLASSES);
    }
    return new Dataset("floats", x, y, features, CLASSES);
  }
}
