package org.fedbeam.model.bundle;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.allOf;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.fedbeam.data.FeatureScaling;
import org.fedbeam.model.ModelFormatException;
import org.fedbeam.model.ModelSpec;
import org.fedbeam.model.Parameters;
import org.junit.jupiter.api.Test;

/** The {@code .fbmb} bundle format: round trip, every kind of damage refused naming the file, and the bundle's own checks. */
class BundleFormatTest {
  private static final String SOURCE = "/srv/models/run-7/model-best.fbmb";
  private static final ModelSpec MLP = ModelSpec.of(3, List.of(4), 2);
  private static final List<String> FEATURES = List.of("sepal length", "größe", "x3");
  private static final List<String> LABELS = List.of("setosa", "versicolor");
  private static final FeatureScaling SCALING = new FeatureScaling(new float[] {5.8f, -0.0f, 1e-3f},
      new float[] {0.83f, 255f, Float.MIN_NORMAL});
  private static final String PROVENANCE = "[{\"stage\":\"federated\",\"round\":3}]";
  private static final ModelBundle BUNDLE = new ModelBundle(params(MLP, 11), FEATURES, SCALING, LABELS, PROVENANCE);
  /** magic 4 + version 2, then the feature count. */
  private static final int FEATURE_COUNT_AT = 6;

  @Test
  void roundTripKeepsEveryPart() {
    byte[] bytes = BundleFormat.encode(BUNDLE);

    ModelBundle decoded = BundleFormat.decode(bytes, SOURCE);

    assertThat(decoded.model(), equalTo(BUNDLE.model()));
    assertThat(decoded.featureNames(), equalTo(FEATURES));
    assertThat(decoded.classLabels(), equalTo(LABELS));
    assertThat(decoded.provenance(), equalTo(PROVENANCE));
    assertArrayEquals(SCALING.mean(), decoded.scaling().mean());
    assertArrayEquals(SCALING.scale(), decoded.scaling().scale());
    assertThat(BundleFormat.looksLikeBundle(bytes), equalTo(true));
    assertArrayEquals(bytes, BundleFormat.encode(decoded));
  }

  @Test
  void everyTruncationIsRefusedNamingTheFile() {
    byte[] bytes = BundleFormat.encode(BUNDLE);

    for (int length = 0; length < bytes.length; length++) {
      byte[] cut = Arrays.copyOf(bytes, length);
      ModelFormatException e = assertThrows(ModelFormatException.class, () -> BundleFormat.decode(cut, SOURCE),
          "truncated to " + length);
      assertThat(e.getMessage(), containsString(SOURCE));
    }
  }

  @Test
  void anExtendedFileIsRefused() {
    byte[] bytes = BundleFormat.encode(BUNDLE);
    byte[] longer = Arrays.copyOf(bytes, bytes.length + 1);

    ModelFormatException e = assertThrows(ModelFormatException.class, () -> BundleFormat.decode(longer, SOURCE));

    assertThat(e.getMessage(), allOf(containsString(SOURCE), containsString("checksum mismatch")));
  }

  @Test
  void bytesSlippedInBeforeAResealedTrailerAreRefused() {
    byte[] bytes = BundleFormat.encode(BUNDLE);
    byte[] body = Arrays.copyOf(Arrays.copyOf(bytes, bytes.length - 32), bytes.length - 32 + 3);

    ModelFormatException e = assertThrows(ModelFormatException.class, () -> BundleFormat.decode(seal(body), SOURCE));

    assertThat(e.getMessage(), allOf(containsString(SOURCE), containsString("3 unexpected bytes after the model")));
  }

  @Test
  void everySingleBitFlipIsRefused() {
    byte[] bytes = BundleFormat.encode(BUNDLE);

    for (int i = 0; i < bytes.length; i++) {
      for (int bit = 0; bit < 8; bit += 3) {
        byte[] flipped = bytes.clone();
        flipped[i] ^= (byte) (1 << bit);
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> BundleFormat.decode(flipped, SOURCE),
            "bit " + bit + " of byte " + i);
        assertThat(e.getMessage(), containsString(SOURCE));
      }
    }
  }

  @Test
  void aNewerVersionIsRefusedAsNewer() {
    byte[] bytes = BundleFormat.encode(BUNDLE);
    ByteBuffer.wrap(bytes).putShort(4, (short) (BundleFormat.VERSION + 1));

    ModelFormatException e = assertThrows(ModelFormatException.class, () -> BundleFormat.decode(seal(body(bytes)), SOURCE));

    assertThat(e.getMessage(), allOf(containsString(SOURCE), containsString("version " + (BundleFormat.VERSION + 1) + " is newer than")));
  }

  @Test
  void aBareModelOrAnotherFileIsRefusedForItsMagic() {
    byte[] model = org.fedbeam.model.ModelFormat.encode(BUNDLE.model());
    byte[] text = "feature,label\n1,2\n".getBytes(StandardCharsets.UTF_8);

    for (byte[] foreign : List.of(model, text, new byte[0])) {
      ModelFormatException e = assertThrows(ModelFormatException.class, () -> BundleFormat.decode(foreign, SOURCE));
      assertThat(e.getMessage(), allOf(containsString(SOURCE), containsString("no FBMB magic")));
    }
  }

  @Test
  void absurdCountsAndLengthsAreRefusedBeforeAnyAllocation() {
    byte[] bytes = BundleFormat.encode(BUNDLE);
    int classCountAt = classCountOffset();
    int provenanceLengthAt = classCountAt + 4 + LABELS.stream().mapToInt(l -> 2 + l.getBytes(StandardCharsets.UTF_8).length).sum();
    int modelLengthAt = provenanceLengthAt + 4 + PROVENANCE.length();
    Object[][] cases = {
        {FEATURE_COUNT_AT, Integer.MAX_VALUE, "implausible number of feature names: 2147483647"},
        {FEATURE_COUNT_AT, -1, "implausible number of feature names: 4294967295"},
        {classCountAt, 1 << 30, "implausible number of class labels"},
        {provenanceLengthAt, Integer.MAX_VALUE, "implausible length of the provenance"},
        {modelLengthAt, bytes.length, "implausible length of the model"},
    };
    for (Object[] c : cases) {
      byte[] body = body(bytes);
      ByteBuffer.wrap(body).putInt((Integer) c[0], (Integer) c[1]);

      ModelFormatException e = assertThrows(ModelFormatException.class, () -> BundleFormat.decode(seal(body), SOURCE),
          String.valueOf(c[2]));

      assertThat(e.getMessage(), allOf(containsString(SOURCE), containsString((String) c[2])));
    }
  }

  @Test
  void aResealedBundleWhoseNamesDoNotFitTheModelIsRefused() {
    // one feature name fewer than the model's inputs, the checksum recomputed: the bundle's own check refuses it
    ModelBundle two = new ModelBundle(params(ModelSpec.of(2, List.of(), 2), 1), List.of("a", "b"),
        new FeatureScaling(new float[2], new float[] {1, 1}), LABELS, "[]");
    byte[] bytes = BundleFormat.encode(two);
    byte[] model = org.fedbeam.model.ModelFormat.encode(BUNDLE.model());
    // splice the 3-input model of BUNDLE into the 2-feature bundle
    int modelAt = bytes.length - 32 - org.fedbeam.model.ModelFormat.encode(two.model()).length;
    ByteBuffer body = ByteBuffer.allocate(modelAt + model.length);
    body.put(bytes, 0, modelAt - 4).putInt(model.length).put(model);

    ModelFormatException e = assertThrows(ModelFormatException.class, () -> BundleFormat.decode(seal(body.array()), SOURCE));

    assertThat(e.getMessage(), allOf(containsString(SOURCE), containsString("the model reads 3 features, the bundle names 2")));
  }

  @Test
  void theBundleRefusesPartsThatDoNotFitItsModel() {
    Parameters model = BUNDLE.model();
    float[] ones = {1, 1, 1};
    Object[][] cases = {
        {List.of("a", "b"), SCALING, LABELS, "the model reads 3 features, the bundle names 2"},
        {FEATURES, new FeatureScaling(new float[2], ones), LABELS, "the scaling has 2 means and 3 scales"},
        {FEATURES, new FeatureScaling(new float[3], new float[] {1, 0, 1}), LABELS,
            "feature größe: the scaling must have a finite mean and a finite scale > 0, was mean 0.0, scale 0.0"},
        {FEATURES, new FeatureScaling(new float[] {Float.NaN, 0, 0}, ones), LABELS, "feature sepal length"},
        {FEATURES, new FeatureScaling(new float[3], new float[] {1, 1, Float.POSITIVE_INFINITY}), LABELS, "feature x3"},
        {FEATURES, SCALING, List.of("only"), "the model has 2 classes, the bundle labels 1"},
        {List.of("a", "a", "b"), SCALING, LABELS, "repeat a name: [a, a, b]"},
        {FEATURES, SCALING, List.of("same", "same"), "repeat a label: [same, same]"},
    };
    for (Object[] c : cases) {
      @SuppressWarnings("unchecked")
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new ModelBundle(model,
          (List<String>) c[0], (FeatureScaling) c[1], (List<String>) c[2], "[]"), String.valueOf(c[3]));
      assertThat(e.getMessage(), containsString((String) c[3]));
    }
    IllegalArgumentException none = assertThrows(IllegalArgumentException.class,
        () -> new ModelBundle(model, FEATURES, SCALING, LABELS, null));
    assertThat(none.getMessage(), containsString("needs a model, feature names, a scaling, class labels and a provenance"));
  }

  @Test
  void withModelKeepsTheMetadataAndNumberedNamesCount() {
    Parameters later = params(MLP, 12);

    ModelBundle next = BUNDLE.withModel(later, "[1]");

    assertThat(next.model(), equalTo(later));
    assertThat(next.featureNames(), equalTo(FEATURES));
    assertThat(next.provenance(), equalTo("[1]"));
    assertThat(ModelBundle.numberedNames("pixel_", 3), equalTo(List.of("pixel_0", "pixel_1", "pixel_2")));
  }

  private static int classCountOffset() {
    int at = FEATURE_COUNT_AT + 4;
    for (String f : FEATURES) {
      at += 2 + f.getBytes(StandardCharsets.UTF_8).length;
    }
    return at + 2 * 4 * FEATURES.size();
  }

  private static byte[] body(byte[] bundle) {
    return Arrays.copyOf(bundle, bundle.length - 32);
  }

  /** {@code body} followed by its SHA-256: what a forger who knows the format would write. */
  private static byte[] seal(byte[] body) {
    try {
      byte[] sha = MessageDigest.getInstance("SHA-256").digest(body);
      byte[] out = Arrays.copyOf(body, body.length + 32);
      System.arraycopy(sha, 0, out, body.length, 32);
      return out;
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private static Parameters params(ModelSpec spec, long seed) {
    SplittableRandom random = new SplittableRandom(seed);
    float[] values = new float[spec.parameterCount()];
    for (int i = 0; i < values.length; i++) {
      values[i] = (float) random.nextGaussian();
    }
    return Parameters.copyOf(spec, values);
  }
}
