package org.fedbeam.model.onnx;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.nullValue;

import java.util.List;
import org.fedbeam.model.ModelSpec;
import org.fedbeam.model.Parameters;
import org.junit.jupiter.api.Test;

/** Imports ONNX files laid out as PyTorch and skl2onnx export them, and checks every weight landed where FedBeam reads it. */
class OnnxImportTest {
  @Test
  void pytorchGemmTransBIsTransposedIntoFedBeamsLayout() {
    OnnxImport.Network net = OnnxImport.read(OnnxFiles.bytes("torch_mlp.onnx"), "torch_mlp.onnx");
    List<OnnxFiles.Expected> expected = OnnxFiles.expected("torch_mlp.weights.txt");
    Parameters p = net.parameters();
    ModelSpec spec = p.spec();

    assertThat(spec, equalTo(ModelSpec.of(784, List.of(16), 10)));
    assertThat(net.softmax(), is(true));
    assertThat(net.preprocessing(), nullValue());
    OnnxFiles.Expected w1 = expected.get(0); // PyTorch's [out=16, in=784], first 3 rows
    for (int o = 0; o < 3; o++) {
      for (int i = 0; i < 784; i++) {
        assertThat("w1[" + o + "," + i + "]", p.get(spec.weightOffset(0) + i * 16 + o), equalTo(w1.at(o, i)));
      }
    }
    OnnxFiles.Expected w2 = expected.get(2); // [10, 16]
    for (int o = 0; o < 10; o++) {
      for (int i = 0; i < 16; i++) {
        assertThat(p.get(spec.weightOffset(1) + i * 10 + o), equalTo(w2.at(o, i)));
      }
    }
    assertBias(p, 0, expected.get(1));
    assertBias(p, 1, expected.get(3));
  }

  @Test
  void pytorchLogitsWithoutSoftmaxImport() {
    OnnxImport.Network net = OnnxImport.read(OnnxFiles.bytes("torch_logits.onnx"), "torch_logits.onnx");

    assertThat(net.parameters().spec(), equalTo(ModelSpec.of(784, List.of(16), 10)));
    assertThat(net.softmax(), is(false));
  }

  @Test
  void sklearnMatMulAddWithLabelPostProcessingImports() {
    OnnxImport.Network net = OnnxImport.read(OnnxFiles.bytes("skl_mlp.onnx"), "skl_mlp.onnx");
    List<OnnxFiles.Expected> expected = OnnxFiles.expected("skl_mlp.weights.txt");
    Parameters p = net.parameters();
    ModelSpec spec = p.spec();

    assertThat(spec, equalTo(ModelSpec.of(4, List.of(8, 6), 3)));
    assertThat(net.softmax(), is(true));
    for (int l = 0; l < 3; l++) {
      OnnxFiles.Expected w = expected.get(2 * l); // scikit-learn's coefs_: [in, out], FedBeam's own layout
      int in = (int) w.shape()[0];
      int out = (int) w.shape()[1];
      for (int i = 0; i < in; i++) {
        for (int o = 0; o < out; o++) {
          assertThat(p.get(spec.weightOffset(l) + i * out + o), equalTo(w.at(i, o)));
        }
      }
      assertBias(p, l, expected.get(2 * l + 1));
    }
  }

  private static void assertBias(Parameters p, int layer, OnnxFiles.Expected bias) {
    for (int o = 0; o < bias.values().length; o++) {
      assertThat("bias " + layer + "[" + o + "]", p.get(p.spec().biasOffset(layer) + o), equalTo(bias.values()[o]));
    }
  }
}
