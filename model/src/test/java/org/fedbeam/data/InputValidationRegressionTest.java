package org.fedbeam.data;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.closeTo;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.DataOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Defects found by review of the data package, each pinned by the input that exposed it. */
class InputValidationRegressionTest {
  @TempDir
  Path dir;

  @Test
  void constantColumnFarFromZeroKeepsScaleOne() {
    float[] x = new float[1000];
    java.util.Arrays.fill(x, 1234.567f);
    Dataset data = new Dataset("constant", x, new int[1000], 1, 2);

    FeatureScaling scaling = FeatureScaling.fit(data);

    assertThat((double) scaling.scale()[0], equalTo(1.0));
    assertThat((double) scaling.apply(new Dataset("row", new float[] {1234.6f}, new int[1], 1, 2)).feature(0, 0),
        closeTo(0.03, 0.01));
  }

  @Test
  void partitionerRejectsALabelOutsideTheClassesInsteadOfDroppingTheRow() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> Partitioner.split(new int[] {0, 1, 5, -1}, 2, 2, Partitioner.Scheme.DIRICHLET, 1, 1));

    assertThat(e.getMessage(), containsString("row 2 has label 5, expected [0, 2)"));
  }

  @Test
  void idxHeaderTooLargeForAnArrayNamesTheFile() throws Exception {
    Path images = dir.resolve("huge-images-idx3-ubyte");
    try (DataOutputStream out = new DataOutputStream(Files.newOutputStream(images))) {
      out.writeInt(0x00000803);
      out.writeInt(100_000);
      out.writeInt(10_000);
      out.writeInt(10_000);
    }
    Path labels = dir.resolve("labels-idx1-ubyte");
    Files.write(labels, new byte[] {0, 0, 8, 1, 0, 0, 0, 0});

    DataFormatException e = assertThrows(DataFormatException.class, () -> IdxReader.read(images, labels, 10, "huge"));

    assertThat(e.getMessage(), containsString(images.toString()));
    assertThat(e.getMessage(), containsString("100000 x 10000 x 10000"));
  }

  @Test
  void numericLabelsThatDifferOnlyInNotationAreOneClass() {
    CsvReader.Table table = CsvReader.parse(List.of("x,label", "1,1", "2,1.0", "3,2", "4,2.00"), "labels.csv",
        new CsvReader.Options("label", 0));

    assertThat(table.classNames(), equalTo(List.of("1", "2")));
    assertThat(table.dataset().label(1), equalTo(0));
  }

  @Test
  void shardWithEncodingByte0xFfReportsItUnsigned() {
    byte[] bytes = DatasetFormat.encode(new Dataset("d", new float[] {0.5f}, new int[] {1}, 1, 2));
    bytes[6] = (byte) 0xFF;

    DataFormatException e = assertThrows(DataFormatException.class, () -> DatasetFormat.decode(bytes, "shard.fbds"));

    assertThat(e.getMessage(), containsString("unknown feature encoding 255"));
  }
}
