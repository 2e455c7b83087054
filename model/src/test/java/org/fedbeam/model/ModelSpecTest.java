package org.fedbeam.model;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.allOf;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Layer widths, parameter layout and validation of {@link ModelSpec} and {@link ModelKind}. */
class ModelSpecTest {
  private static final ModelSpec FMNIST_MLP = ModelSpec.of(784, List.of(128), 10);
  private static final ModelSpec FMNIST_LOGREG = ModelSpec.of(784, List.of(), 10);

  @Test
  void layerSizesWhoseCountWouldWrapRoundAreRejected() {
    // the sum of these products passes Long.MAX_VALUE; it must not wrap to a small count
    List<Integer> huge = List.of(784, Integer.MAX_VALUE, Integer.MAX_VALUE, Integer.MAX_VALUE, 79, 10);

    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new ModelSpec(ModelKind.MLP, huge));

    assertThat(e.getMessage(), org.hamcrest.Matchers.containsString("parameters"));
  }

  @Test
  void mlp784x128x10Has101770Parameters() {
    // 784 * 128 + 128 + 128 * 10 + 10
    assertThat(FMNIST_MLP.parameterCount(), equalTo(101_770));
  }

  @Test
  void logreg784x10Has7850Parameters() {
    assertThat(FMNIST_LOGREG.parameterCount(), equalTo(7_850));
  }

  @Test
  void offsetsFollowTheLayerByLayerLayout() {
    assertThat(FMNIST_MLP.weightOffset(0), equalTo(0));
    assertThat(FMNIST_MLP.biasOffset(0), equalTo(100_352));
    assertThat(FMNIST_MLP.weightOffset(1), equalTo(100_480));
    assertThat(FMNIST_MLP.biasOffset(1), equalTo(101_760));
    assertThat(FMNIST_MLP.biasOffset(1) + FMNIST_MLP.classes(), equalTo(FMNIST_MLP.parameterCount()));
  }

  @Test
  void ofChoosesTheKindFromTheHiddenLayers() {
    assertThat(FMNIST_MLP.kind(), equalTo(ModelKind.MLP));
    assertThat(FMNIST_LOGREG.kind(), equalTo(ModelKind.LOGREG));
    assertThat(FMNIST_MLP.layers(), equalTo(List.of(784, 128, 10)));
    assertThat(FMNIST_MLP.depth(), equalTo(2));
    assertThat(FMNIST_MLP.inputs(), equalTo(784));
    assertThat(FMNIST_MLP.classes(), equalTo(10));
  }

  @Test
  void describeNamesKindAndWidths() {
    assertThat(ModelSpec.of(784, List.of(256, 64), 10).describe(), equalTo("mlp 784-256-64-10"));
    assertThat(FMNIST_LOGREG.toString(), equalTo("logreg 784-10"));
  }

  @Test
  void layersAreCopiedIn() {
    List<Integer> layers = new ArrayList<>(List.of(4, 3));
    ModelSpec spec = new ModelSpec(ModelKind.LOGREG, layers);

    layers.set(0, 99);

    assertThat(spec.inputs(), equalTo(4));
  }

  @Test
  void aMissingKindIsRejected() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new ModelSpec(null, List.of(4, 3)));

    assertThat(e.getMessage(), containsString("kind"));
  }

  @Test
  void aSingleLayerIsRejectedWithTheLayers() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> new ModelSpec(ModelKind.LOGREG, List.of(4)));

    assertThat(e.getMessage(), allOf(containsString("input and an output layer"), containsString("[4]")));
  }

  @Test
  void aZeroWidthLayerIsRejectedNamingTheLayerAndValue() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> ModelSpec.of(784, List.of(0), 10));

    assertThat(e.getMessage(), equalTo("layer 1 must have >= 1 unit, was 0"));
  }

  @Test
  void aSingleClassIsRejected() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ModelSpec.of(784, List.of(), 1));

    assertThat(e.getMessage(), equalTo("the output layer needs >= 2 classes, was 1"));
  }

  @Test
  void logregWithAHiddenLayerIsRejected() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> new ModelSpec(ModelKind.LOGREG, List.of(784, 128, 10)));

    assertThat(e.getMessage(), allOf(containsString("logreg has no hidden layer"), containsString("[784, 128, 10]")));
  }

  @Test
  void mlpWithoutAHiddenLayerIsRejected() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> new ModelSpec(ModelKind.MLP, List.of(784, 10)));

    assertThat(e.getMessage(), allOf(containsString("mlp needs at least one hidden layer"), containsString("[784, 10]")));
  }

  @Test
  void tooManyParametersForOneArrayAreRejected() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> ModelSpec.of(100_000, List.of(100_000), 10));

    assertThat(e.getMessage(), allOf(containsString("[100000, 100000, 10]"), containsString("more parameters")));
  }

  @Test
  void kindParsesItsIdIgnoringCaseAndSpace() {
    assertThat(ModelKind.parse(" MLP "), equalTo(ModelKind.MLP));
    assertThat(ModelKind.parse("logreg"), equalTo(ModelKind.LOGREG));
  }

  @Test
  void anUnknownKindIsRejectedListingTheAcceptedOnes() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ModelKind.parse("cnn"));

    assertThat(e.getMessage(), equalTo("model must be one of logreg, mlp; was 'cnn'"));
  }
}
