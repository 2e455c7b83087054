package org.fedbeam.model.onnx;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.allOf;
import static org.hamcrest.Matchers.containsString;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Hostile and unsupported ONNX files, each replayed against the real parser and import: every one
 * is refused with an {@link OnnxFormatException} naming the file and what was wrong, never another
 * exception, never a huge allocation, never a read of another file.
 */
class OnnxRefusalTest {
  private static OnnxFormatException refused(String file) {
    return assertThrows(OnnxFormatException.class, () -> OnnxImport.read(OnnxFiles.bytes(file), file));
  }

  @Test
  void sigmoidBetweenLayersIsRefusedNamingOperatorAndNode() {
    assertThat(refused("bad_sigmoid.onnx").getMessage(), allOf(containsString("bad_sigmoid.onnx"),
        containsString("operator Sigmoid (node '/2/Sigmoid') cannot be trained by FedBeam")));
  }

  @Test
  void convolutionIsRefusedNamingOperatorAndNode() {
    assertThat(refused("bad_conv.onnx").getMessage(), containsString("operator Conv (node '/conv/Conv')"));
  }

  @Test
  void twoInputsAreRefusedNamingThem() {
    assertThat(refused("bad_two_inputs.onnx").getMessage(),
        allOf(containsString("the graph has 2 inputs [input, mask]"), containsString("exactly one input")));
  }

  @Test
  void doubleWeightsAreRefusedNamingTensorAndType() {
    assertThat(refused("bad_double_weights.onnx").getMessage(), allOf(containsString("weight tensor 'coefficient'"),
        containsString("MatMul (node 'MatMul')"), containsString("DOUBLE (11)"), containsString("FLOAT")));
  }

  @Test
  void intWeightsAreRefusedNamingTensorAndType() {
    assertThat(refused("bad_int_weights.onnx").getMessage(),
        allOf(containsString("weight tensor 'coefficient1'"), containsString("INT32 (6)")));
  }

  @Test
  void externalDataIsRefusedWithoutOpeningThePathItNames() {
    assertThat(refused("bad_external_data.onnx").getMessage(), allOf(containsString("tensor 'coefficient'"),
        containsString("external file"), containsString("initializer[0]")));
  }

  @Test
  void absurdDimsAreRefusedBeforeAnyAllocation() {
    assertThat(refused("bad_absurd_dims.onnx").getMessage(),
        allOf(containsString("tensor 'coefficient'"), containsString("absurd dims [1099511627776, 1099511627776]")));
  }

  /**
   * Protobuf has no end marker: a cut between two top-level fields leaves a well-formed message. The
   * fields the ONNX spec requires (the graph, an opset import for every domain a node uses) catch
   * every cut of a real file all the same.
   */
  @Test
  void everyTruncationOfARealFileIsRefusedAsOnnxFormatError() {
    byte[] whole = OnnxFiles.bytes("skl_mlp.onnx");
    for (int length = 0; length < whole.length; length++) {
      int cut = length;
      OnnxFormatException e = assertThrows(OnnxFormatException.class,
          () -> OnnxImport.read(Arrays.copyOf(whole, cut), "cut.onnx"), "cut at " + cut);
      assertThat(e.getMessage(), containsString("ONNX file cut.onnx"));
    }
  }

  @Test
  void truncatedFileNamesTheMessageField() {
    byte[] whole = OnnxFiles.bytes("torch_mlp.onnx");
    OnnxFormatException e = assertThrows(OnnxFormatException.class,
        () -> OnnxImport.read(Arrays.copyOf(whole, whole.length / 2), "half.onnx"));
    assertThat(e.getMessage(), allOf(containsString("half.onnx"), containsString("ModelProto.graph"),
        containsString("truncated")));
  }

  @Test
  void garbageAndFlippedBytesNeverEscapeAsAnotherException() {
    Random random = new Random(7);
    byte[] real = OnnxFiles.bytes("skl_mlp.onnx");
    for (int trial = 0; trial < 3000; trial++) {
      byte[] bytes;
      if (trial % 2 == 0) {
        bytes = new byte[random.nextInt(300)];
        random.nextBytes(bytes);
      } else {
        bytes = real.clone();
        for (int flips = 1 + random.nextInt(4); flips > 0; flips--) {
          bytes[random.nextInt(bytes.length)] = (byte) random.nextInt(256);
        }
      }
      byte[] input = bytes;
      try {
        OnnxImport.read(input, "fuzz.onnx");
      } catch (OnnxFormatException expected) {
        assertThat(expected.getMessage(), containsString("fuzz.onnx"));
      }
    }
  }

  @Test
  void aLengthBeyondTheFileIsRefusedNotAllocated() {
    // ModelProto.graph (field 7, LEN) claiming 2^31 - 1 bytes in an 8-byte file
    byte[] bytes = {0x08, 0x07, 0x3A, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, 0x07};
    OnnxFormatException e = assertThrows(OnnxFormatException.class, () -> OnnxImport.read(bytes, "long.onnx"));
    assertThat(e.getMessage(), allOf(containsString("ModelProto.graph"), containsString("claims 2147483647 bytes")));
  }

  @Test
  void aFileWithoutAGraphIsNotAModel() {
    assertThat(assertThrows(OnnxFormatException.class, () -> OnnxImport.read(new byte[] {0x08, 0x07}, "x.onnx"))
        .getMessage(), containsString("no graph"));
    assertThat(assertThrows(OnnxFormatException.class, () -> OnnxImport.read(new byte[0], "x.onnx")).getMessage(),
        containsString("empty file"));
  }
}
