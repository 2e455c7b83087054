package org.fedbeam.model.bundle;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.nullValue;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.List;
import org.fedbeam.data.FeatureScaling;
import org.fedbeam.model.ModelFormatException;
import org.fedbeam.model.ModelSpec;
import org.fedbeam.preprocess.CategoricalSpec;
import org.fedbeam.preprocess.NumericSpec;
import org.fedbeam.preprocess.Preprocessing;
import org.junit.jupiter.api.Test;

/** Bundles that carry a table {@link Preprocessing} (format version 2) next to old numeric ones (version 1). */
class BundlePreprocessingTest {
  private static final Preprocessing PRE = new Preprocessing("outcome", List.of("bad", "good"), List.of(
      new NumericSpec("age", Preprocessing.Scaling.STANDARDIZE, 40.5, 40.5, 11.25),
      new CategoricalSpec("purpose", List.of("car", "education", "radio/tv"), "car")));
  private static final ModelBundle BUNDLE = ModelBundle.of(
      ModelSpec.of(PRE.inputs(), List.of(3), 2).learner().initialize(5), PRE, "[]");

  @Test
  void aBundleWithCategoricalsRoundTripsAsVersion2() {
    byte[] bytes = BundleFormat.encode(BUNDLE);

    ModelBundle back = BundleFormat.decode(bytes, "credit.fbmb");

    assertThat(ByteBuffer.wrap(bytes).getShort(4), equalTo((short) 2));
    assertThat(back.preprocessing(), equalTo(PRE));
    assertThat(back.featureNames(), equalTo(List.of("age", "purpose=car", "purpose=education", "purpose=radio/tv",
        "purpose=other")));
    assertThat(back.classLabels(), equalTo(List.of("bad", "good")));
    assertThat(back.model(), equalTo(BUNDLE.model()));
    assertArrayEquals(bytes, BundleFormat.encode(back));
    assertThat(back.withModel(back.model(), "[1]").preprocessing(), equalTo(PRE));
  }

  @Test
  void aBundleWithoutPreprocessingIsStillWrittenAndReadAsVersion1() {
    ModelBundle numeric = new ModelBundle(ModelSpec.of(2, List.of(), 2).learner().initialize(1), List.of("a", "b"),
        new FeatureScaling(new float[] {1, 2}, new float[] {3, 4}), List.of("x", "y"), "[]");

    byte[] bytes = BundleFormat.encode(numeric);

    assertThat(ByteBuffer.wrap(bytes).getShort(4), equalTo((short) 1));
    assertThat(BundleFormat.decode(bytes, "old.fbmb").preprocessing(), nullValue());
  }

  @Test
  void aHostilePreprocessingInsideAValidlyHashedBundleIsRefusedNamingTheFile() throws Exception {
    byte[] bytes = BundleFormat.encode(BUNDLE);
    String text = new String(bytes, StandardCharsets.ISO_8859_1);
    int at = text.indexOf("\"scale\":11.25");
    // same length, still valid JSON, but a scale of zero: then the trailing digest is recomputed
    byte[] forged = text.replace("\"scale\":11.25", "\"scale\":0.000").getBytes(StandardCharsets.ISO_8859_1);
    byte[] digest = MessageDigest.getInstance("SHA-256").digest(Arrays.copyOf(forged, forged.length - 32));
    System.arraycopy(digest, 0, forged, forged.length - 32, 32);

    ModelFormatException e = assertThrows(ModelFormatException.class, () -> BundleFormat.decode(forged, "evil.fbmb"));

    assertThat(at > 0, equalTo(true));
    assertThat(e.getMessage(), containsString("evil.fbmb: its preprocessing: invalid preprocessing: column 'age': scale must be finite and > 0"));
  }

  @Test
  void aPreprocessingMustAgreeWithTheBundlesNamesAndScaling() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new ModelBundle(BUNDLE.model(),
        BUNDLE.featureNames(), new FeatureScaling(new float[5], new float[] {2, 1, 1, 1, 1}), BUNDLE.classLabels(), "[]",
        PRE));

    assertThat(e.getMessage(), containsString("identity scaling"));
  }
}
