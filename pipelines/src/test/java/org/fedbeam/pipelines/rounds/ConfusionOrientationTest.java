package org.fedbeam.pipelines.rounds;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.equalTo;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import org.fedbeam.model.EvalReport;
import org.fedbeam.transforms.ModelEvaluation;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The confusion matrix as the round records write it ({@code rounds/round-NNNN/eval-NAME.json}):
 * row = true class, column = predicted class, pinned with a case that is not symmetric.
 */
class ConfusionOrientationTest {
  @TempDir
  Path dir;

  @Test
  void rowsAreTrueClassesAndColumnsArePredictions() throws Exception {
    // three rows of true class 0, all predicted 2; one row of true class 1, predicted 1
    float[] probabilities = {
        0.1f, 0.1f, 0.8f,
        0.2f, 0.1f, 0.7f,
        0.0f, 0.4f, 0.6f,
        0.1f, 0.8f, 0.1f,
    };
    EvalReport report = EvalReport.of(probabilities, new int[] {0, 0, 0, 1}, 3);

    RoundRecords.writeEvaluation(dir.toString(), new ModelEvaluation("test", report));

    JsonNode written = RoundRecords.JSON.readTree(dir.resolve("eval-test.json").toFile());
    assertThat(written.get("confusion").get(0).get(2).asLong(), equalTo(3L));
    assertThat(written.get("confusion").get(2).get(0).asLong(), equalTo(0L));
    assertThat(written.get("confusion").get(1).get(1).asLong(), equalTo(1L));
    assertThat(RoundRecords.readEvaluation(dir.toString(), "test").confusion(),
        equalTo(new long[][] {{0, 0, 3}, {0, 1, 0}, {0, 0, 0}}));
  }
}
