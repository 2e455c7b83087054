package org.fedbeam.data;

import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPInputStream;

/**
 * Reads the IDX format of MNIST and Fashion-MNIST (LeCun et al.): big-endian magic {@code 0x0803}
 * for unsigned-byte image tensors and {@code 0x0801} for label vectors, gzip-compressed or not.
 * Pixels become floats in [0, 1]: {@code pixel / }{@link #PIXEL_SCALE}, which is
 * {@link #pixelScaling(int)} applied to the raw 0..255 values (what a model bundle records, so a user
 * who feeds raw pixels to {@code fedbeam predict} gets the same inputs as training did).
 */
public final class IdxReader {
  /** Where Debian's {@code dataset-fashion-mnist} package installs the files. */
  public static final Path FASHION_MNIST_DIR = Path.of("/usr/share/datasets/fashion-mnist");

  /** Raw pixels (0..255) are divided by this; the same value as {@link #pixelScaling(int)}'s scale. */
  public static final float PIXEL_SCALE = 255f;
  /** Fashion-MNIST's class names in label order (Xiao, Rasul and Vollgraf 2017, the data set's README). */
  public static final java.util.List<String> FASHION_MNIST_CLASSES = java.util.List.of("T-shirt/top", "Trouser",
      "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot");

  private static final int IMAGES_MAGIC = 0x00000803;
  private static final int LABELS_MAGIC = 0x00000801;

  private IdxReader() {}

  /** The scaling this reader applies to raw pixels, as {@link FeatureScaling}: mean 0, scale {@link #PIXEL_SCALE}. */
  public static FeatureScaling pixelScaling(int features) {
    float[] scale = new float[features];
    java.util.Arrays.fill(scale, PIXEL_SCALE);
    return new FeatureScaling(new float[features], scale);
  }

  /** The Fashion-MNIST training split (60,000 rows) from {@code dir}. */
  public static Dataset fashionMnistTrain(Path dir) {
    return fashionMnist(dir, "train");
  }

  /** The Fashion-MNIST test split (10,000 rows) from {@code dir}. */
  public static Dataset fashionMnistTest(Path dir) {
    return fashionMnist(dir, "t10k");
  }

  private static Dataset fashionMnist(Path dir, String split) {
    if (!Files.isDirectory(dir)) {
      throw new DataFormatException("Fashion-MNIST folder " + dir + " does not exist"
          + " (install the Debian package dataset-fashion-mnist, or pass the folder that holds the IDX files)");
    }
    Path images = dir.resolve(split + "-images-idx3-ubyte.gz");
    Path labels = dir.resolve(split + "-labels-idx1-ubyte.gz");
    return read(images, labels, 10, "fashion-mnist/" + split);
  }

  /** Reads an image file and its label file into one data set with {@code classes} classes. */
  public static Dataset read(Path images, Path labels, int classes, String name) {
    byte[] pixels;
    int rows;
    int features;
    try (DataInputStream in = open(images)) {
      int magic = in.readInt();
      if (magic != IMAGES_MAGIC) {
        throw new DataFormatException(images + ": wrong magic number 0x" + Integer.toHexString(magic)
            + ", expected 0x00000803 (IDX unsigned-byte images, 3 dimensions)");
      }
      rows = in.readInt();
      int height = in.readInt();
      int width = in.readInt();
      if (rows < 0 || height < 1 || width < 1) {
        throw new DataFormatException(images + ": bad dimensions " + rows + " x " + height + " x " + width);
      }
      long size = (long) rows * height * width;
      if ((long) height * width > Integer.MAX_VALUE || size > Integer.MAX_VALUE - 16) {
        throw new DataFormatException(images + ": header announces " + rows + " x " + height + " x " + width
            + " pixels, more than one array can hold (a corrupt header?)");
      }
      long fileBytes = Files.size(images);
      if (!isGzip(images) && size > fileBytes) {
        throw new DataFormatException(images + ": truncated: the header announces " + size + " pixels, the file has "
            + fileBytes + " bytes");
      }
      features = height * width;
      pixels = new byte[(int) size];
      in.readFully(pixels);
    } catch (EOFException e) {
      throw new DataFormatException(images + ": truncated: the file ends before the data its header announces");
    } catch (IOException e) {
      throw new DataFormatException(images + ": cannot read: " + e.getMessage());
    }
    int[] labelValues;
    try (DataInputStream in = open(labels)) {
      int magic = in.readInt();
      if (magic != LABELS_MAGIC) {
        throw new DataFormatException(labels + ": wrong magic number 0x" + Integer.toHexString(magic)
            + ", expected 0x00000801 (IDX unsigned-byte labels, 1 dimension)");
      }
      int count = in.readInt();
      if (count != rows) {
        throw new DataFormatException(labels + ": has " + count + " labels but " + images + " has " + rows + " images");
      }
      byte[] raw = new byte[count];
      in.readFully(raw);
      labelValues = new int[count];
      for (int i = 0; i < count; i++) {
        labelValues[i] = Byte.toUnsignedInt(raw[i]);
        if (labelValues[i] >= classes) {
          throw new DataFormatException(labels + ": label " + labelValues[i] + " at index " + i + " is outside [0, " + classes + ")");
        }
      }
    } catch (EOFException e) {
      throw new DataFormatException(labels + ": truncated: the file ends before the data its header announces");
    } catch (IOException e) {
      throw new DataFormatException(labels + ": cannot read: " + e.getMessage());
    }
    float[] values = new float[pixels.length];
    for (int i = 0; i < pixels.length; i++) {
      values[i] = Byte.toUnsignedInt(pixels[i]) / PIXEL_SCALE;
    }
    return Dataset.adopt(name, values, labelValues, features, classes);
  }

  private static boolean isGzip(Path file) throws IOException {
    try (InputStream in = Files.newInputStream(file)) {
      return in.read() == 0x1f && in.read() == 0x8b;
    }
  }

  private static DataInputStream open(Path file) throws IOException {
    if (!Files.isRegularFile(file)) {
      throw new DataFormatException(file + ": no such file");
    }
    InputStream raw = new BufferedInputStream(Files.newInputStream(file), 1 << 16);
    raw.mark(2);
    int b1 = raw.read();
    int b2 = raw.read();
    raw.reset();
    boolean gzip = b1 == 0x1f && b2 == 0x8b;
    return new DataInputStream(gzip ? new BufferedInputStream(new GZIPInputStream(raw, 1 << 16), 1 << 16) : raw);
  }
}
