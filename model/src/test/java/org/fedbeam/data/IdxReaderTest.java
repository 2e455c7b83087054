package org.fedbeam.data;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.allOf;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The IDX reader on small files written here, gzipped and raw, whole and damaged. */
class IdxReaderTest {
  private static final int IMAGES_MAGIC = 0x00000803;
  private static final int LABELS_MAGIC = 0x00000801;
  private static final int ROWS = 3;
  private static final int HEIGHT = 2;
  private static final int WIDTH = 3;
  /** Three 2 x 3 images, row-major, including the extremes 0 and 255. */
  private static final int[] PIXELS = {
      0, 255, 128, 1, 2, 3,
      10, 20, 30, 40, 50, 60,
      255, 254, 253, 0, 0, 7,
  };
  private static final int[] LABELS = {9, 0, 4};
  private static final int CLASSES = 10;

  @TempDir
  Path dir;

  @Test
  void readsGzippedFiles() throws IOException {
    Path images = write("images.gz", imagesFile(ROWS, PIXELS), true);
    Path labels = write("labels.gz", labelsFile(LABELS), true);

    Dataset data = IdxReader.read(images, labels, CLASSES, "tiny");

    assertWholeTinyData(data);
  }

  @Test
  void readsRawFiles() throws IOException {
    Path images = write("images", imagesFile(ROWS, PIXELS), false);
    Path labels = write("labels", labelsFile(LABELS), false);

    Dataset data = IdxReader.read(images, labels, CLASSES, "tiny");

    assertWholeTinyData(data);
  }

  @Test
  void readsAGzippedImageFileWithARawLabelFile() throws IOException {
    Path images = write("images.gz", imagesFile(ROWS, PIXELS), true);
    Path labels = write("labels", labelsFile(LABELS), false);

    Dataset data = IdxReader.read(images, labels, CLASSES, "tiny");

    assertWholeTinyData(data);
  }

  @Test
  void fashionMnistTrainReadsTheTrainFilesOfTheFolder() throws IOException {
    write("train-images-idx3-ubyte.gz", imagesFile(ROWS, PIXELS), true);
    write("train-labels-idx1-ubyte.gz", labelsFile(LABELS), true);

    Dataset data = IdxReader.fashionMnistTrain(dir);

    assertThat(data.name(), equalTo("fashion-mnist/train"));
    assertThat(data.size(), equalTo(ROWS));
    assertThat(data.classes(), equalTo(10));
  }

  @Test
  void fashionMnistTestReadsTheT10kFilesOfTheFolder() throws IOException {
    write("t10k-images-idx3-ubyte.gz", imagesFile(1, Arrays.copyOf(PIXELS, HEIGHT * WIDTH)), true);
    write("t10k-labels-idx1-ubyte.gz", labelsFile(new int[] {3}), true);

    Dataset data = IdxReader.fashionMnistTest(dir);

    assertThat(data.name(), equalTo("fashion-mnist/t10k"));
    assertThat(data.size(), equalTo(1));
    assertThat(data.label(0), equalTo(3));
  }

  @Test
  void aMissingFashionMnistFolderNamesTheFolderAndTheDebianPackage() {
    Path missing = dir.resolve("no-such-folder");

    DataFormatException e = assertThrows(DataFormatException.class, () -> IdxReader.fashionMnistTrain(missing));

    assertThat(e.getMessage(), allOf(containsString(missing.toString()), containsString("dataset-fashion-mnist")));
  }

  @Test
  void aMissingFileIsNamed() throws IOException {
    Path labels = write("labels", labelsFile(LABELS), false);
    Path images = dir.resolve("absent-images");

    DataFormatException e = assertThrows(DataFormatException.class, () -> IdxReader.read(images, labels, CLASSES, "x"));

    assertThat(e.getMessage(), allOf(containsString(images.toString()), containsString("no such file")));
  }

  @Test
  void aLabelFileGivenAsImagesIsRejectedNamingTheFileAndTheMagic() throws IOException {
    Path labels = write("labels.gz", labelsFile(LABELS), true);

    DataFormatException e = assertThrows(DataFormatException.class, () -> IdxReader.read(labels, labels, CLASSES, "x"));

    assertThat(e.getMessage(), allOf(containsString(labels.toString()), containsString("wrong magic number 0x801"),
        containsString("expected 0x00000803")));
  }

  @Test
  void anImageFileGivenAsLabelsIsRejectedNamingTheFileAndTheMagic() throws IOException {
    Path images = write("images", imagesFile(ROWS, PIXELS), false);

    DataFormatException e = assertThrows(DataFormatException.class, () -> IdxReader.read(images, images, CLASSES, "x"));

    assertThat(e.getMessage(), allOf(containsString(images.toString()), containsString("wrong magic number 0x803"),
        containsString("expected 0x00000801")));
  }

  @Test
  void aTruncatedRawImageFileIsReportedAsTruncated() throws IOException {
    byte[] whole = imagesFile(ROWS, PIXELS);
    Path images = write("images", Arrays.copyOf(whole, whole.length - 4), false);
    Path labels = write("labels", labelsFile(LABELS), false);

    DataFormatException e = assertThrows(DataFormatException.class, () -> IdxReader.read(images, labels, CLASSES, "x"));

    assertThat(e.getMessage(), allOf(containsString(images.toString()), containsString("truncated")));
  }

  @Test
  void aTruncatedGzipImageFileIsReportedAsTruncated() throws IOException {
    byte[] gz = gzip(imagesFile(ROWS, PIXELS));
    Path images = write("images.gz", Arrays.copyOf(gz, gz.length / 2), false);
    Path labels = write("labels.gz", labelsFile(LABELS), true);

    DataFormatException e = assertThrows(DataFormatException.class, () -> IdxReader.read(images, labels, CLASSES, "x"));

    assertThat(e.getMessage(), allOf(containsString(images.toString()), containsString("truncated")));
  }

  @Test
  void anEmptyImageFileIsReportedAsTruncated() throws IOException {
    Path images = write("images", new byte[0], false);
    Path labels = write("labels", labelsFile(LABELS), false);

    DataFormatException e = assertThrows(DataFormatException.class, () -> IdxReader.read(images, labels, CLASSES, "x"));

    assertThat(e.getMessage(), allOf(containsString(images.toString()), containsString("truncated")));
  }

  @Test
  void aTruncatedLabelFileIsReportedAsTruncated() throws IOException {
    byte[] whole = labelsFile(LABELS);
    Path images = write("images", imagesFile(ROWS, PIXELS), false);
    Path labels = write("labels", Arrays.copyOf(whole, whole.length - 1), false);

    DataFormatException e = assertThrows(DataFormatException.class, () -> IdxReader.read(images, labels, CLASSES, "x"));

    assertThat(e.getMessage(), allOf(containsString(labels.toString()), containsString("truncated")));
  }

  @Test
  void aLabelCountThatDisagreesWithTheImagesIsReportedWithBothCountsAndFiles() throws IOException {
    Path images = write("images", imagesFile(ROWS, PIXELS), false);
    Path labels = write("labels", labelsFile(new int[] {1, 2}), false);

    DataFormatException e = assertThrows(DataFormatException.class, () -> IdxReader.read(images, labels, CLASSES, "x"));

    assertThat(e.getMessage(), allOf(containsString(labels.toString()), containsString("2 labels"),
        containsString(images.toString()), containsString("3 images")));
  }

  @Test
  void aLabelOutsideTheClassesIsReportedWithItsIndex() throws IOException {
    Path images = write("images", imagesFile(ROWS, PIXELS), false);
    Path labels = write("labels", labelsFile(new int[] {1, 12, 2}), false);

    DataFormatException e = assertThrows(DataFormatException.class, () -> IdxReader.read(images, labels, CLASSES, "x"));

    assertThat(e.getMessage(), allOf(containsString(labels.toString()), containsString("label 12 at index 1"),
        containsString("[0, 10)")));
  }

  @Test
  void zeroWidthImagesAreReportedAsBadDimensions() throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    DataOutputStream out = new DataOutputStream(bytes);
    out.writeInt(IMAGES_MAGIC);
    out.writeInt(1);
    out.writeInt(2);
    out.writeInt(0);
    Path images = write("images", bytes.toByteArray(), false);
    Path labels = write("labels", labelsFile(new int[] {1}), false);

    DataFormatException e = assertThrows(DataFormatException.class, () -> IdxReader.read(images, labels, CLASSES, "x"));

    assertThat(e.getMessage(), allOf(containsString(images.toString()), containsString("bad dimensions 1 x 2 x 0")));
  }

  private void assertWholeTinyData(Dataset data) {
    assertThat(data.name(), equalTo("tiny"));
    assertThat(data.size(), equalTo(ROWS));
    assertThat(data.featureCount(), equalTo(HEIGHT * WIDTH));
    assertThat(data.classes(), equalTo(CLASSES));
    for (int r = 0; r < ROWS; r++) {
      assertThat(data.label(r), equalTo(LABELS[r]));
      for (int c = 0; c < HEIGHT * WIDTH; c++) {
        assertThat(data.feature(r, c), equalTo(PIXELS[r * HEIGHT * WIDTH + c] / 255f));
      }
    }
  }

  private Path write(String name, byte[] content, boolean gzipped) throws IOException {
    Path file = dir.resolve(name);
    Files.write(file, gzipped ? gzip(content) : content);
    return file;
  }

  private static byte[] imagesFile(int rows, int[] pixels) throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    DataOutputStream out = new DataOutputStream(bytes);
    out.writeInt(IMAGES_MAGIC);
    out.writeInt(rows);
    out.writeInt(HEIGHT);
    out.writeInt(WIDTH);
    for (int p : pixels) {
      out.writeByte(p);
    }
    return bytes.toByteArray();
  }

  private static byte[] labelsFile(int[] labels) throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    DataOutputStream out = new DataOutputStream(bytes);
    out.writeInt(LABELS_MAGIC);
    out.writeInt(labels.length);
    for (int l : labels) {
      out.writeByte(l);
    }
    return bytes.toByteArray();
  }

  private static byte[] gzip(byte[] content) throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (OutputStream out = new GZIPOutputStream(bytes)) {
      out.write(content);
    }
    return bytes.toByteArray();
  }
}
