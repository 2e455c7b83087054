package org.fedbeam.model;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.CRC32C;

/**
 * The stable binary format of a parameter vector, little-endian:
 *
 * <pre>
 *   magic "FBMD" | u16 format version (1) | u8 kind | u8 layer count L | L x u32 layer widths
 *   | u32 value count N | N x f32 values | u32 CRC32C of every byte before it
 * </pre>
 *
 * The checksum and the exact expected length mean a truncated, extended or corrupted file is
 * rejected with a message that names the file and what was wrong; it is never read as a model.
 */
public final class ModelFormat {
  public static final int VERSION = 1;
  private static final byte[] MAGIC = {'F', 'B', 'M', 'D'};
  private static final int MAX_LAYERS = ModelSpec.MAX_LAYERS;

  private ModelFormat() {}

  /** Encodes {@code parameters} into a new byte array. */
  public static byte[] encode(Parameters parameters) {
    ModelSpec spec = parameters.spec();
    int header = 4 + 2 + 1 + 1 + 4 * spec.layers().size() + 4;
    long total = (long) header + 4L * parameters.size() + 4;
    if (total > Integer.MAX_VALUE - 16) {
      throw new IllegalArgumentException("model " + spec + " is too large for one file");
    }
    ByteBuffer buf = ByteBuffer.allocate((int) total).order(ByteOrder.LITTLE_ENDIAN);
    buf.put(MAGIC).putShort((short) VERSION).put((byte) spec.kind().ordinal()).put((byte) spec.layers().size());
    for (int width : spec.layers()) {
      buf.putInt(width);
    }
    buf.putInt(parameters.size());
    buf.asFloatBuffer().put(parameters.values());
    buf.position(buf.position() + 4 * parameters.size());
    CRC32C crc = new CRC32C();
    crc.update(buf.array(), 0, buf.position());
    buf.putInt((int) crc.getValue());
    return buf.array();
  }

  /**
   * Decodes a whole file's bytes.
   *
   * @param source where the bytes came from (a path or URI), named in every error
   * @throws ModelFormatException if the bytes are not one whole, valid model
   */
  public static Parameters decode(byte[] bytes, String source) {
    ByteBuffer buf = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
    if (bytes.length < 8 + 4) {
      throw error(source, "truncated: " + bytes.length + " bytes is shorter than any model header");
    }
    byte[] magic = new byte[4];
    buf.get(magic);
    if (!java.util.Arrays.equals(magic, MAGIC)) {
      throw error(source, "not a FedBeam model (bad magic number)");
    }
    int version = Short.toUnsignedInt(buf.getShort());
    if (version != VERSION) {
      throw error(source, "unsupported format version " + version + ", this build reads version " + VERSION);
    }
    int kindOrdinal = Byte.toUnsignedInt(buf.get());
    if (kindOrdinal >= ModelKind.values().length) {
      throw error(source, "unknown model kind code " + kindOrdinal);
    }
    int layerCount = Byte.toUnsignedInt(buf.get());
    if (layerCount < 2 || layerCount > MAX_LAYERS) {
      throw error(source, "layer count " + layerCount + " is outside [2, " + MAX_LAYERS + "]");
    }
    if (buf.remaining() < 4 * layerCount + 4) {
      throw error(source, "truncated inside the header (" + bytes.length + " bytes)");
    }
    List<Integer> layers = new ArrayList<>(layerCount);
    for (int i = 0; i < layerCount; i++) {
      layers.add(buf.getInt());
    }
    ModelSpec spec;
    try {
      spec = new ModelSpec(ModelKind.values()[kindOrdinal], layers);
    } catch (IllegalArgumentException e) {
      throw error(source, "invalid model spec in header: " + e.getMessage());
    }
    int count = buf.getInt();
    if (count != spec.parameterCount()) {
      throw error(source, "header says " + count + " values but " + spec + " has " + spec.parameterCount());
    }
    long expected = (long) buf.position() + 4L * count + 4;
    if (bytes.length != expected) {
      String what = bytes.length < expected ? "truncated" : "has trailing bytes";
      throw error(source, what + ": expected " + expected + " bytes, found " + bytes.length);
    }
    int bodyEnd = (int) expected - 4;
    CRC32C crc = new CRC32C();
    crc.update(bytes, 0, bodyEnd);
    int stored = ByteBuffer.wrap(bytes, bodyEnd, 4).order(ByteOrder.LITTLE_ENDIAN).getInt();
    if (stored != (int) crc.getValue()) {
      throw error(source, "checksum mismatch: the file is corrupted");
    }
    float[] values = new float[count];
    buf.asFloatBuffer().get(values);
    return Parameters.adopt(spec, values);
  }

  private static ModelFormatException error(String source, String what) {
    return new ModelFormatException("model file " + source + ": " + what);
  }
}
