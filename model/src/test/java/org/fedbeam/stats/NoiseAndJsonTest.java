package org.fedbeam.stats;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.closeTo;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.nullValue;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.fedbeam.data.table.Table;
import org.junit.jupiter.api.Test;

/** Noise is calibrated as documented; the JSON codecs refuse what a hostile file could hold. */
class NoiseAndJsonTest {
  private static final int K = 5;
  private static final Map<String, StatsQuery.Clip> CLIP = Map.of("x", new StatsQuery.Clip(-10, 60),
      "y", new StatsQuery.Clip(0, 20));

  private static StatsQuery noisy(StatsQuery.Noise noise) {
    return new StatsQuery(StatsQuery.Pass.SUMMARY, List.of(), 10, Map.of(), StatsQuery.DEFAULT_RANKS, K, true, 3, noise,
        CLIP);
  }

  private static double noiseStd(StatsQuery q, Table t) {
    int draws = 4000;
    double ss = 0;
    for (int seed = 0; seed < draws; seed++) {
      long rows = StatsComputation.INSTANCE.compute(q, t, seed).rows();
      ss += (rows - t.rows()) * (double) (rows - t.rows());
    }
    return Math.sqrt(ss / draws);
  }

  @Test
  void laplaceNoiseOnCountsHasTheScaleOfItsShareOfEpsilon() {
    Table t = StatsFixtures.silo("A", 500, 0, 1);
    StatsQuery q = noisy(new StatsQuery.Noise("laplace", 1.0, 0));
    int m = 2 + 3 + 3 + 1; // rows, labels; x and y: counts, sum, squares; colour
    double b = m / 1.0;
    assertThat(noiseStd(q, t), closeTo(Math.sqrt(2) * b, 0.05 * Math.sqrt(2) * b));
    SiloStats s = StatsComputation.INSTANCE.compute(q, t, 3);
    assertThat(s.epsilon(), equalTo(1.0));
    assertThat(s.column("x").sketch(), nullValue());
    assertThat(s.column("x").max(), nullValue()); // min/max never with noise, even where allowed
  }

  @Test
  void gaussianNoiseUsesTheClassicCalibration() {
    Table t = StatsFixtures.silo("A", 500, 0, 1);
    StatsQuery q = noisy(new StatsQuery.Noise("gaussian", 0.9, 1e-5));
    int m = 9;
    double sigma = Math.sqrt(2 * Math.log(1.25 / (1e-5 / m))) / (0.9 / m);
    assertThat(noiseStd(q, t), closeTo(sigma, 0.05 * sigma));
  }

  @Test
  void theSameSeedGivesTheSameNoisyRelease() {
    Table t = StatsFixtures.silo("A", 500, 0, 1);
    StatsQuery q = noisy(new StatsQuery.Noise("laplace", 1.0, 0));
    assertThat(StatsComputation.INSTANCE.compute(q, t, 42), equalTo(StatsComputation.INSTANCE.compute(q, t, 42)));
  }

  @Test
  void noiseWithoutClippingBoundsIsRefusedNamingTheColumn() {
    StatsQuery q = new StatsQuery(StatsQuery.Pass.SUMMARY, List.of(), 10, Map.of(), StatsQuery.DEFAULT_RANKS, K, false,
        3, new StatsQuery.Noise("laplace", 1.0, 0), Map.of("x", new StatsQuery.Clip(0, 1)));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> StatsComputation.INSTANCE.compute(q, StatsFixtures.silo("A", 50, 0, 1), 1));
    assertThat(e.getMessage(), containsString("noise needs clipping bounds for numeric column 'y'"));
  }

  private static String valid() {
    SiloStats s = StatsComputation.INSTANCE.compute(StatsQuery.summary(K), StatsFixtures.silo("A", 200, 0, 1), 1);
    return new String(SiloStatsJson.encode(s), StandardCharsets.UTF_8);
  }

  private static String refused(String json) {
    return assertThrows(IllegalArgumentException.class,
        () -> SiloStatsJson.decode(json.getBytes(StandardCharsets.UTF_8), "exchange/A/stats.json")).getMessage();
  }

  @Test
  void aSilosReleaseSurvivesItsJson() {
    String json = valid();
    assertThat(new String(SiloStatsJson.encode(SiloStatsJson.decode(json.getBytes(StandardCharsets.UTF_8), "f")),
        StandardCharsets.UTF_8), equalTo(json));
  }

  @Test
  void aHostileSiloFileIsRefusedNamingTheSiloAndTheField() {
    String json = valid();
    assertThat(refused(json.replaceFirst("\"k\" : 5", "\"k\" : 5, \"extra\" : 1")),
        containsString("exchange/A/stats.json: field 'extra' is not known"));
    assertThat(refused(json.replaceFirst("\"k\" : 5", "\"k\" : \"five\"")), containsString(".k must be an integer"));
    assertThat(refused(json.replaceFirst("\"rows\" : 200", "\"rows\" : 3")), containsString("rows must be >= k = 5"));
    assertThat(refused(json.replaceFirst("\"name\" : \"x\",", "\"name\" : \"x\", \"name2\" : 1,")),
        containsString("columns[0]: field 'name2' is not known"));
    assertThat(refused(json.replaceFirst("\"values\" : \\{", "\"values\" : { \"Mr Smith\" : 1,")),
        containsString("a named value must count >= k = 5"));
    assertThat(refused(json.replaceFirst("\"missing\" : 20", "\"missing\" : 2")),
        containsString("missing: a released count must be 0 or >= k = 5, was 2"));
    assertThat(refused(json.replaceFirst("\"count\" : 200", "\"count\" : 300")), containsString("sketch must hold"));
    assertThat(refused(json.replaceFirst("\"sketch\" : \"", "\"sketch\" : \"AAAA")), containsString("sketch"));
    assertThat(refused(json + " {}"), containsString("not valid JSON"));
    assertThat(refused(json.replaceFirst("\"k\" : 5", "\"k\" : 5, \"k\" : 6")), containsString("Duplicate field 'k'"));
  }

  @Test
  void absurdSizesAreRefused() {
    String json = valid();
    StringBuilder bins = new StringBuilder("[0");
    for (int i = 0; i < 5000; i++) {
      bins.append(",0");
    }
    bins.append(']');
    String huge = json.replaceFirst("\"histogram\" : null", "\"histogram\" : " + bins);
    assertThat(refused(huge), containsString("histogram must be an array of at most 1002 items"));
    byte[] big = new byte[SiloStatsJson.MAX_BYTES + 1];
    assertThat(assertThrows(IllegalArgumentException.class, () -> SiloStatsJson.decode(big, "f")).getMessage(),
        containsString("at most 67108864 bytes"));
  }

  @Test
  void aQueryWithAFieldNotKnownOrOutOfRangeIsRefusedNamingIt() {
    StatsQuery q = StatsQueryJson.decode("{\"k\": 5}".getBytes(StandardCharsets.UTF_8), "q.json");
    assertThat(q, equalTo(StatsQuery.summary(5)));
    assertThat(StatsQueryJson.decode(StatsQueryJson.encode(q), "q"), equalTo(q));
    assertThat(queryRefused("{\"k\": 5, \"bogus\": 1}"), containsString("q.json: field 'bogus' is not known"));
    assertThat(queryRefused("{\"k\": 0}"), containsString("q.json.k must be an integer in 1..1000000, was 0"));
    assertThat(queryRefused("{\"k\": 5, \"bins\": 100000}"), containsString("q.json.bins must be an integer in 1..1000"));
    assertThat(queryRefused("{\"k\": 5, \"ranks\": [1.5]}"), containsString("ranks: each must be in [0, 1], was 1.5"));
    assertThat(queryRefused("{\"k\": 5, \"noise\": {\"mechanism\": \"laplace\", \"epsilon\": -1}}"),
        containsString("noise.epsilon must be in (0, 100], was -1.0"));
    assertThat(queryRefused("{\"k\": 5, \"noise\": {\"mechanism\": \"magic\"}}"),
        containsString("noise.mechanism must be none, laplace or gaussian, was 'magic'"));
    assertThat(queryRefused("{\"k\": 5, \"histograms\": {\"x\": {\"lo\": 2, \"hi\": 1, \"bins\": 3}}}"),
        containsString("histograms.x: histogram edges must be finite with lo < hi, were 2.0, 1.0"));
  }

  private static String queryRefused(String json) {
    return assertThrows(IllegalArgumentException.class,
        () -> StatsQueryJson.decode(json.getBytes(StandardCharsets.UTF_8), "q.json")).getMessage();
  }
}
