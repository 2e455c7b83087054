package org.fedbeam.preprocess;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.startsWith;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.SplittableRandom;
import org.fedbeam.preprocess.Preprocessing.Scaling;
import org.junit.jupiter.api.Test;

class PreprocessingJsonTest {
  private static final Preprocessing P = new Preprocessing("y", List.of("no", "yes"), List.of(
      new NumericSpec("age", Scaling.STANDARDIZE, 41.123456789012345, 41.123456789012345, 0.1 + 0.2),
      new NumericSpec("tiny", Scaling.MINMAX, -0.0, Double.MIN_VALUE, Double.MAX_VALUE),
      new CategoricalSpec("colour", List.of("bl\"ue", "r\u00e9d", "other"), "r\u00e9d"),
      new CategoricalSpec("rare", List.of(), null)));
  private static final String GOOD = new String(P.toJson(), StandardCharsets.UTF_8);

  @Test
  void roundTripsEveryBitOfEveryValue() {
    Preprocessing back = Preprocessing.fromJson(P.toJson(), "bundle.fbmb");

    assertThat(back, equalTo(P));
    assertThat(back.featureNames(), equalTo(List.of("age", "tiny", "colour=bl\"ue", "colour=r\u00e9d", "colour=other",
        "colour=(other)", "rare=other")));
  }

  private static String refused(String json) {
    return assertThrows(PreprocessingFormatException.class,
        () -> Preprocessing.fromJson(json.getBytes(StandardCharsets.UTF_8), "request-7.json")).getMessage();
  }

  @Test
  void refusesMalformedDocumentsNamingTheSource() {
    for (String bad : new String[] {"", "{", "[]", "null", GOOD + " {}", GOOD.replace("\"age\"", "\"age\",\"name\":\"age\""),
        GOOD.replace("41.123456789012344,", "NaN,"), "\u0000\u00ff garbage"}) {
      assertThat(bad, refused(bad), startsWith("request-7.json: "));
    }
  }

  @Test
  void refusesUnknownMissingAndMistypedFieldsByName() {
    assertThat(refused(GOOD.replace("\"label\":", "\"extra\":1,\"label\":")), containsString("unknown field 'extra'"));
    assertThat(refused(GOOD.replace("\"missing_to\":null", "\"missing_to\":null,\"w\":[]")),
        containsString("columns[3] has an unknown field 'w'"));
    assertThat(refused(GOOD.replace("\"scale\":0.30000000000000004", "\"scale\":\"2\"")),
        containsString("columns[0].scale must be a number"));
    assertThat(refused(GOOD.replace(",\"center\":41.123456789012344", "")), containsString("lacks the field 'center'"));
    assertThat(refused(GOOD.replace("\"version\":1", "\"version\":2")), containsString("'version' must be 1"));
    assertThat(refused(GOOD.replace("\"type\":\"numeric\"", "\"type\":\"text\"")),
        containsString("columns[0].type must be numeric or categorical"));
    assertThat(refused(GOOD.replace("standardize", "zscore")), containsString("scaling must be standardize"));
  }

  @Test
  void refusesValuesAFittedPreprocessingCannotHave() {
    assertThat(refused(GOOD.replace("\"scale\":0.30000000000000004", "\"scale\":0")),
        containsString("column 'age': scale must be finite and > 0, was 0.0"));
    assertThat(refused(GOOD.replace("\"scale\":0.30000000000000004", "\"scale\":1e400")),
        containsString("scale must be finite"));
    assertThat(refused(GOOD.replace("[\"no\",\"yes\"]", "[\"no\",\"no\"]")), containsString("repeats a class"));
    assertThat(refused(GOOD.replace("[\"no\",\"yes\"]", "[\"no\"]")), containsString("needs between 2"));
    assertThat(refused(GOOD.replace("\"missing_to\":\"r\u00e9d\"", "\"missing_to\":\"pink\"")),
        containsString("imputed to a value not in its vocabulary"));
    assertThat(refused(GOOD.replace("\"other\"]", "\"other\",\"other\"]")), containsString("repeats a value"));
    assertThat(refused(GOOD.replace("\"name\":\"tiny\"", "\"name\":\"y\"")), containsString("'y' appears twice or is the label"));
  }

  @Test
  void refusesOversizedDocumentsBeforeParsingThem() {
    byte[] huge = new byte[PreprocessingJson.MAX_BYTES + 1];
    java.util.Arrays.fill(huge, (byte) ' ');

    String message = assertThrows(PreprocessingFormatException.class, () -> Preprocessing.fromJson(huge, "big.json"))
        .getMessage();

    assertThat(message, containsString("big.json: a preprocessing document must be at most 8388608 bytes"));
  }

  @Test
  void refusesDeepNestingLongNumbersAndLongStringsWithinBounds() {
    assertThat(refused("[".repeat(100_000)), containsString("not valid preprocessing JSON"));
    assertThat(refused(GOOD.replace("41.123456789012344,", "1" + "0".repeat(1000) + ",")),
        containsString("not valid preprocessing JSON"));
    assertThat(refused(GOOD.replace("\"rare\"", "\"" + "r".repeat(70_000) + "\"")),
        containsString("not valid preprocessing JSON"));
    assertThat(refused(GOOD.replace("\"rare\"", "\"" + "r".repeat(5000) + "\"")),
        containsString("is 5000 characters long, at most 4096"));
  }

  @Test
  void refusesRandomMutationsWithAFormatErrorOnly() {
    SplittableRandom random = new SplittableRandom(13);
    byte[] good = P.toJson();
    for (int i = 0; i < 2000; i++) {
      byte[] bad = good.clone();
      int flips = 1 + random.nextInt(3);
      for (int f = 0; f < flips; f++) {
        bad[random.nextInt(bad.length)] = (byte) random.nextInt(256);
      }
      try {
        Preprocessing.fromJson(bad, "mutant");
      } catch (PreprocessingFormatException expected) {
        assertThat(expected.getMessage(), startsWith("mutant: "));
      }
    }
  }
}
