package org.fedbeam.data;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.zip.CRC32C;

/**
 * The binary format of one silo's shard, little-endian:
 *
 * <pre>
 *   magic "FBDS" | u16 version (1) | u8 encoding (0 = f32, 1 = u8 / 255) | u32 rows | u32 features
 *   | u32 classes | rows x i32 labels | features, row-major | u32 CRC32C of every byte before it
 * </pre>
 *
 * Encoding 1 stores values that are exact multiples of 1/255 in [0, 1] (image pixels) in a quarter
 * of the space; {@link #encode} picks it only when it is lossless.
 */
public final class DatasetFormat {
  private static final byte[] MAGIC = {'F', 'B', 'D', 'S'};
  private static final int VERSION = 1;
  private static final int HEADER = 4 + 2 + 1 + 4 + 4 + 4;

  private DatasetFormat() {}

  public static byte[] encode(Dataset data) {
    float[] features = data.featureArray();
    boolean bytes = isPixels(features);
    long total = HEADER + 4L * data.size() + (bytes ? 1L : 4L) * features.length + 4;
    if (total > Integer.MAX_VALUE - 16) {
      throw new IllegalArgumentException(data.name() + " is too large for one shard file");
    }
    ByteBuffer buf = ByteBuffer.allocate((int) total).order(ByteOrder.LITTLE_ENDIAN);
    buf.put(MAGIC).putShort((short) VERSION).put((byte) (bytes ? 1 : 0));
    buf.putInt(data.size()).putInt(data.featureCount()).putInt(data.classes());
    for (int label : data.labelArray()) {
      buf.putInt(label);
    }
    if (bytes) {
      for (float v : features) {
        buf.put((byte) Math.round(v * 255f));
      }
    } else {
      buf.asFloatBuffer().put(features);
      buf.position(buf.position() + 4 * features.length);
    }
    CRC32C crc = new CRC32C();
    crc.update(buf.array(), 0, buf.position());
    buf.putInt((int) crc.getValue());
    return buf.array();
  }

  /**
   * @param source the file the bytes came from, named in errors
   * @throws DataFormatException if the bytes are not one whole, valid shard
   */
  public static Dataset decode(byte[] bytes, String source) {
    if (bytes.length < HEADER + 4) {
      throw new DataFormatException(source + ": truncated: " + bytes.length + " bytes is shorter than a shard header");
    }
    ByteBuffer buf = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
    byte[] magic = new byte[4];
    buf.get(magic);
    if (!java.util.Arrays.equals(magic, MAGIC)) {
      throw new DataFormatException(source + ": not a FedBeam shard (bad magic number)");
    }
    int version = Short.toUnsignedInt(buf.getShort());
    if (version != VERSION) {
      throw new DataFormatException(source + ": unsupported shard version " + version);
    }
    int encoding = Byte.toUnsignedInt(buf.get());
    if (encoding != 0 && encoding != 1) {
      throw new DataFormatException(source + ": unknown feature encoding " + encoding);
    }
    int rows = buf.getInt();
    int features = buf.getInt();
    int classes = buf.getInt();
    if (rows < 0 || features < 1 || classes < 2) {
      throw new DataFormatException(source + ": bad shape " + rows + " rows x " + features + " features, " + classes + " classes");
    }
    long expected = HEADER + 4L * rows + (encoding == 1 ? 1L : 4L) * rows * features + 4;
    if (bytes.length != expected) {
      throw new DataFormatException(source + ": " + (bytes.length < expected ? "truncated" : "has trailing bytes")
          + ": expected " + expected + " bytes, found " + bytes.length);
    }
    CRC32C crc = new CRC32C();
    crc.update(bytes, 0, bytes.length - 4);
    if (ByteBuffer.wrap(bytes, bytes.length - 4, 4).order(ByteOrder.LITTLE_ENDIAN).getInt() != (int) crc.getValue()) {
      throw new DataFormatException(source + ": checksum mismatch: the shard is corrupted");
    }
    int[] labels = new int[rows];
    for (int i = 0; i < rows; i++) {
      labels[i] = buf.getInt();
      if (labels[i] < 0 || labels[i] >= classes) {
        throw new DataFormatException(source + ": row " + i + " has label " + labels[i] + ", expected [0, " + classes + ")");
      }
    }
    float[] values = new float[rows * features];
    if (encoding == 1) {
      for (int i = 0; i < values.length; i++) {
        values[i] = Byte.toUnsignedInt(buf.get()) / 255f;
      }
    } else {
      buf.asFloatBuffer().get(values);
    }
    return Dataset.adopt(source, values, labels, features, classes);
  }

  private static boolean isPixels(float[] values) {
    for (float v : values) {
      if (!(v >= 0f && v <= 1f) || Byte.toUnsignedInt((byte) Math.round(v * 255f)) / 255f != v) {
        return false;
      }
    }
    return true;
  }
}
