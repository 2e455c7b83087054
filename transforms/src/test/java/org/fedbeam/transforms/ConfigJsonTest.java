package org.fedbeam.transforms;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.allOf;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import org.fedbeam.model.DpSgd;
import org.fedbeam.model.ModelSpec;
import org.fedbeam.model.TrainConfig;
import org.junit.jupiter.api.Test;

/** The one JSON form of specs and configs: round trips, and every bad field named with where it was read. */
class ConfigJsonTest {
  private static final TrainConfig FULL = new TrainConfig(2, 32, 0.05, 0.9, 1e-4, new DpSgd(1.0, 1.1), 0.01);

  @Test
  void aConfigWithEveryFieldRoundTrips() {
    assertThat(ConfigJson.trainConfig(ConfigJson.toJson(FULL), "train"), equalTo(FULL));
  }

  @Test
  void aPlainConfigWritesNeitherProximalMuNorDp() {
    TrainConfig plain = new TrainConfig(1, 64, 0.05, 0.9, 0);

    JsonNode json = ConfigJson.toJson(plain);

    assertThat(json.toString(),
        equalTo("{\"epochs\":1,\"batch_size\":64,\"learning_rate\":0.05,\"momentum\":0.9,\"weight_decay\":0.0}"));
    assertThat(ConfigJson.trainConfig(json, "train"), equalTo(plain));
  }

  @Test
  void aSpecRoundTrips() {
    ModelSpec spec = ModelSpec.of(784, List.of(128, 64), 10);

    assertThat(ConfigJson.modelSpec(ConfigJson.toJson(spec), "model"), equalTo(spec));
  }

  @Test
  void anUnknownFieldIsNamedWithWhereItWasRead() throws Exception {
    JsonNode json = StrictJson.mapper().readTree(
        "{\"epochs\":1,\"batch_size\":64,\"learning_rate\":0.05,\"momentum\":0.9,\"weight_decay\":0,\"lerning_rate\":1}");

    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ConfigJson.trainConfig(json, "job.train"));

    assertThat(e.getMessage(), allOf(containsString("job.train"), containsString("unknown field \"lerning_rate\"")));
  }

  @Test
  void aMistypedValueIsNamedWithItsValue() throws Exception {
    JsonNode json = StrictJson.mapper().readTree(
        "{\"epochs\":\"two\",\"batch_size\":64,\"learning_rate\":0.05,\"momentum\":0.9,\"weight_decay\":0}");

    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ConfigJson.trainConfig(json, "job.train"));

    assertThat(e.getMessage(), allOf(containsString("job.train.epochs"), containsString("not an integer"),
        containsString("\"two\"")));
  }

  @Test
  void anOutOfRangeValueIsNamedWithWhereItWasRead() throws Exception {
    JsonNode json = StrictJson.mapper().readTree(
        "{\"epochs\":1,\"batch_size\":64,\"learning_rate\":0.05,\"momentum\":1.5,\"weight_decay\":0}");

    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ConfigJson.trainConfig(json, "job.train"));

    assertThat(e.getMessage(), allOf(containsString("job.train"), containsString("momentum must be in [0, 1), was 1.5")));
  }

  @Test
  void anUnknownModelKindListsTheKnownOnes() throws Exception {
    JsonNode json = StrictJson.mapper().readTree("{\"kind\":\"cnn\",\"layers\":[4,3]}");

    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ConfigJson.modelSpec(json, "job.model"));

    assertThat(e.getMessage(), allOf(containsString("job.model"), containsString("logreg, mlp"), containsString("cnn")));
  }
}
