package org.fedbeam.data;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import java.io.DataInputStream;
import java.nio.file.Files;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.Test;

/**
 * Fashion-MNIST's bundle scaling is IdxReader's: raw 0..255 pixels put through
 * {@link IdxReader#pixelScaling(int)} give bit for bit the floats the reader trained with.
 */
class PixelScalingTest {
  private static final int ROWS = 200;

  @Test
  void rawPixelsThroughTheBundleScalingEqualWhatTheReaderGives() throws Exception {
    Dataset test = IdxReader.fashionMnistTest(IdxReader.FASHION_MNIST_DIR);
    int features = test.featureCount();
    float[] raw = new float[ROWS * features];
    try (DataInputStream in = new DataInputStream(new GZIPInputStream(Files.newInputStream(
        IdxReader.FASHION_MNIST_DIR.resolve("t10k-images-idx3-ubyte.gz"))))) {
      in.skipNBytes(16);
      for (int i = 0; i < raw.length; i++) {
        raw[i] = in.readUnsignedByte();
      }
    }

    Dataset scaled = IdxReader.pixelScaling(features).apply(new Dataset("raw", raw, new int[ROWS], features, 10));

    float[] expected = new float[ROWS * features];
    float[] actual = new float[ROWS * features];
    for (int r = 0; r < ROWS; r++) {
      test.copyRow(r, expected, r * features);
      scaled.copyRow(r, actual, r * features);
    }
    assertArrayEquals(expected, actual);
    assertThat(IdxReader.FASHION_MNIST_CLASSES.size(), equalTo(test.classes()));
    assertThat(IdxReader.FASHION_MNIST_CLASSES.get(9), equalTo("Ankle boot"));
  }
}
