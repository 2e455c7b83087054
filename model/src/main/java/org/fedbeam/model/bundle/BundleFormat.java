package org.fedbeam.model.bundle;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.List;
import org.fedbeam.data.FeatureScaling;
import org.fedbeam.model.ModelFormat;
import org.fedbeam.model.ModelFormatException;
import org.fedbeam.model.Parameters;
import org.fedbeam.preprocess.Preprocessing;

/**
 * The file format of a {@link ModelBundle} ({@code .fbmb}), big-endian:
 *
 * <pre>
 *   magic "FBMB" | u16 format version (1 or 2)
 *   | u32 F | F x (u16 length, UTF-8 feature name) | F x f32 mean | F x f32 scale
 *   | u32 C | C x (u16 length, UTF-8 class label)
 *   | version 2 only: u32 length, UTF-8 {@link Preprocessing} JSON
 *   | u32 length, UTF-8 provenance JSON
 *   | u32 length, the model in {@link ModelFormat}
 *   | 32 bytes SHA-256 of every byte before it
 * </pre>
 *
 * A bundle with a {@link Preprocessing} is written as version 2; one without is written as version 1,
 * byte for byte as before (so numeric bundles and their hashes do not change), and both versions
 * are read. A truncated, extended, corrupted or newer file is refused with a message naming the file and
 * what was wrong; nothing is read from it.
 */
public final class BundleFormat {
  /** The newest version this build writes and reads (version 1, without a preprocessing, is still read and written). */
  public static final int VERSION = 2;
  private static final int MAX_PREPROCESSING = 8 << 20;
  /** The bundle file's usual extension. */
  public static final String EXTENSION = ".fbmb";
  private static final byte[] MAGIC = {'F', 'B', 'M', 'B'};
  private static final int MAX_NAMES = 1 << 20;
  private static final int MAX_TEXT = 64 << 20;

  private BundleFormat() {}

  /** Whether {@code bytes} start like a bundle (and not, e.g., like a bare model). */
  public static boolean looksLikeBundle(byte[] bytes) {
    return bytes.length >= 4 && bytes[0] == 'F' && bytes[1] == 'B' && bytes[2] == 'M' && bytes[3] == 'B';
  }

  public static byte[] encode(ModelBundle bundle) {
    try {
      ByteArrayOutputStream bytes = new ByteArrayOutputStream();
      DataOutputStream out = new DataOutputStream(bytes);
      out.write(MAGIC);
      out.writeShort(bundle.preprocessing() == null ? 1 : 2);
      writeNames(out, bundle.featureNames());
      for (float m : bundle.scaling().mean()) {
        out.writeFloat(m);
      }
      for (float s : bundle.scaling().scale()) {
        out.writeFloat(s);
      }
      writeNames(out, bundle.classLabels());
      if (bundle.preprocessing() != null) {
        byte[] json = bundle.preprocessing().toJson();
        out.writeInt(json.length);
        out.write(json);
      }
      byte[] provenance = bundle.provenance().getBytes(StandardCharsets.UTF_8);
      out.writeInt(provenance.length);
      out.write(provenance);
      byte[] model = ModelFormat.encode(bundle.model());
      out.writeInt(model.length);
      out.write(model);
      out.flush();
      byte[] body = bytes.toByteArray();
      out.write(sha256(body, body.length));
      out.flush();
      return bytes.toByteArray();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Decodes a whole bundle file.
   *
   * @param source where the bytes came from, named in every error
   * @throws ModelFormatException if the bytes are not one whole, valid bundle of this version
   */
  public static ModelBundle decode(byte[] bytes, String source) {
    if (!looksLikeBundle(bytes)) {
      throw new ModelFormatException(source + ": not a FedBeam model bundle (no FBMB magic)");
    }
    if (bytes.length < 6 + 32) {
      throw new ModelFormatException(source + ": truncated model bundle (" + bytes.length + " bytes)");
    }
    ByteBuffer buf = ByteBuffer.wrap(bytes).order(ByteOrder.BIG_ENDIAN);
    buf.position(4);
    int version = Short.toUnsignedInt(buf.getShort());
    if (version != 1 && version != VERSION) {
      throw new ModelFormatException(source + ": model bundle format version " + version + " is "
          + (version > VERSION ? "newer than" : "not") + " the version this build reads (" + VERSION + ")");
    }
    byte[] expected = sha256(bytes, bytes.length - 32);
    if (!MessageDigest.isEqual(expected, java.util.Arrays.copyOfRange(bytes, bytes.length - 32, bytes.length))) {
      throw new ModelFormatException(source + ": model bundle checksum mismatch: the file is corrupted or truncated");
    }
    try {
      List<String> features = readNames(buf, source, "feature names");
      float[] mean = new float[features.size()];
      float[] scale = new float[features.size()];
      for (int i = 0; i < mean.length; i++) {
        mean[i] = buf.getFloat();
      }
      for (int i = 0; i < scale.length; i++) {
        scale[i] = buf.getFloat();
      }
      List<String> classes = readNames(buf, source, "class labels");
      Preprocessing preprocessing = version < 2 ? null
          : Preprocessing.fromJson(readBlock(buf, source, "preprocessing"), "its preprocessing");
      String provenance = new String(readBlock(buf, source, "provenance"), StandardCharsets.UTF_8);
      Parameters model = ModelFormat.decode(readBlock(buf, source, "model"), source + " (its model)");
      if (buf.position() != bytes.length - 32) {
        throw new ModelFormatException(source + ": " + (bytes.length - 32 - buf.position())
            + " unexpected bytes after the model");
      }
      return new ModelBundle(model, features, new FeatureScaling(mean, scale), classes, provenance, preprocessing);
    } catch (BufferUnderflowException e) {
      throw new ModelFormatException(source + ": truncated model bundle");
    } catch (ModelFormatException e) {
      throw e;
    } catch (IllegalArgumentException e) {
      throw new ModelFormatException(source + ": " + e.getMessage());
    }
  }

  private static void writeNames(DataOutputStream out, List<String> names) throws IOException {
    out.writeInt(names.size());
    for (String name : names) {
      byte[] utf8 = name.getBytes(StandardCharsets.UTF_8);
      if (utf8.length > 0xFFFF) {
        throw new IllegalArgumentException("a name of " + utf8.length + " bytes is too long for a bundle");
      }
      out.writeShort(utf8.length);
      out.write(utf8);
    }
  }

  private static List<String> readNames(ByteBuffer buf, String source, String what) {
    int count = buf.getInt();
    if (count < 0 || count > MAX_NAMES || count > buf.remaining() / 2) {
      throw new ModelFormatException(source + ": implausible number of " + what + ": " + Integer.toUnsignedString(count));
    }
    List<String> names = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      byte[] utf8 = new byte[Short.toUnsignedInt(buf.getShort())];
      buf.get(utf8);
      names.add(new String(utf8, StandardCharsets.UTF_8));
    }
    return names;
  }

  private static byte[] readBlock(ByteBuffer buf, String source, String what) {
    int length = buf.getInt();
    if (length < 0 || length > buf.remaining() || (what.equals("provenance") && length > MAX_TEXT)
        || (what.equals("preprocessing") && length > MAX_PREPROCESSING)) {
      throw new ModelFormatException(source + ": implausible length of the " + what + ": "
          + Integer.toUnsignedString(length));
    }
    byte[] block = new byte[length];
    buf.get(block);
    return block;
  }

  private static byte[] sha256(byte[] bytes, int length) {
    try {
      MessageDigest digest = MessageDigest.getInstance("SHA-256");
      digest.update(bytes, 0, length);
      return digest.digest();
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("the JDK has no SHA-256", e);
    }
  }
}
