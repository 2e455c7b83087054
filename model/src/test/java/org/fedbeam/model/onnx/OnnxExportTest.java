package org.fedbeam.model.onnx;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.allOf;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.is;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.EnumSet;
import java.util.List;
import org.fedbeam.data.FeatureScaling;
import org.fedbeam.model.ModelKind;
import org.fedbeam.model.ModelSpec;
import org.fedbeam.model.Parameters;
import org.fedbeam.model.bundle.ModelBundle;
import org.junit.jupiter.api.Test;

/** The export's layout, its round trip through the import, and the refusal of a kind it cannot express. */
class OnnxExportTest {
  private static final FeatureScaling SCALING = new FeatureScaling(new float[] {0.5f, -1f, 2f}, new float[] {1f, 3f, 0.25f});
  private static final List<String> FEATURES = List.of("a", "b \"quoted\"", "c\\d");
  private static final List<String> CLASSES = List.of("cat", "dog", "emu", "fox");

  private static ModelBundle bundle(List<Integer> hidden) {
    ModelSpec spec = ModelSpec.of(3, hidden, 4);
    return new ModelBundle(spec.learner().initialize(9), FEATURES, SCALING, CLASSES, "[{\"stage\":\"test\"}]");
  }

  @Test
  void exportThenImportGivesIdenticalParametersAndTheScaling() {
    for (List<Integer> hidden : List.of(List.<Integer>of(), List.of(5), List.of(6, 2))) {
      ModelBundle bundle = bundle(hidden);

      OnnxImport.Network back = OnnxImport.read(OnnxExport.encode(bundle), "exported.onnx");

      assertThat(back.parameters(), equalTo(bundle.model()));
      assertThat(back.softmax(), is(true));
      assertArrayEquals(SCALING.mean(), back.preprocessing().mean());
      assertArrayEquals(SCALING.scale(), back.preprocessing().scale());
    }
  }

  @Test
  void theGraphHasTheDocumentedLayoutAndMetadata() {
    OnnxGraph g = OnnxGraph.parse(OnnxExport.encode(bundle(List.of(5))), "exported.onnx");

    assertThat(g.nodes().stream().map(OnnxGraph.Node::opType).toList(),
        equalTo(List.of("Sub", "Div", "Gemm", "Relu", "Gemm", "Softmax", "ArgMax")));
    assertThat(g.inputs().stream().map(OnnxGraph.ValueInfo::name).toList(), equalTo(List.of("features")));
    assertArrayEquals(new long[] {-1, 3}, g.inputs().get(0).dims());
    assertThat(g.outputs().stream().map(OnnxGraph.ValueInfo::name).toList(), equalTo(List.of("probabilities", "label")));
    assertArrayEquals(new long[] {-1, 4}, g.outputs().get(0).dims());
    assertThat(g.metadata().get("fedbeam.feature_names"), equalTo("[\"a\",\"b \\\"quoted\\\"\",\"c\\\\d\"]"));
    assertThat(g.metadata().get("fedbeam.class_labels"), equalTo("[\"cat\",\"dog\",\"emu\",\"fox\"]"));
    assertThat(g.metadata().get("fedbeam.model"), equalTo("mlp 3-5-4"));
    assertThat(g.metadata().get("fedbeam.provenance"), equalTo("[{\"stage\":\"test\"}]"));
    assertThat(g.irVersion(), equalTo((long) OnnxExport.IR_VERSION));
    assertThat(g.opsets().get(""), equalTo((long) OnnxExport.OPSET));
  }

  @Test
  void aModelKindTheExporterCannotExpressIsRefused() {
    ModelBundle mlp = bundle(List.of(5));

    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> OnnxExport.encode(mlp, EnumSet.of(ModelKind.LOGREG)));

    assertThat(e.getMessage(), allOf(containsString("model kind mlp (mlp 3-5-4) cannot be expressed in ONNX"),
        containsString("[logreg]")));
  }

  @Test
  void everyKindFedBeamHasIsExpressible() {
    // a new kind (a CNN) must be added to EXPRESSIBLE with its graph, or its export is refused
    assertThat(OnnxExport.EXPRESSIBLE, equalTo(EnumSet.allOf(ModelKind.class)));
    Parameters logreg = bundle(List.of()).model();
    assertThat(OnnxImport.read(OnnxExport.encode(bundle(List.of())), "x").parameters(), equalTo(logreg));
  }
}
