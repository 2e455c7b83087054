package org.fedbeam.pipelines.federated;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.equalTo;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import java.util.List;
import org.fedbeam.data.Dataset;
import org.fedbeam.data.DatasetFormat;
import org.fedbeam.model.DpSgd;
import org.fedbeam.model.ModelFormat;
import org.fedbeam.model.ModelKind;
import org.fedbeam.model.ModelSpec;
import org.fedbeam.model.Parameters;
import org.fedbeam.model.TrainConfig;
import org.fedbeam.pipelines.protocol.Messages;
import org.fedbeam.pipelines.rounds.SiloPipeline;
import org.fedbeam.transforms.Artifacts;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The overflow channel replayed against the real agent under the default DP policy: a curious
 * orchestrator sends a logistic regression whose weight from feature 0 to class 0 is
 * {@code Float.MAX_VALUE / t}, with sigma 50 (about 0.1 of the epsilon-8 budget a training). Before
 * the fix the silo answered with an update when no row had feature 0 above t and with a GUARD
 * refusal (the update was NaN) when one had: a noiseless bit about the extreme row per request.
 * Now both thresholds get an update.
 */
class DpOverflowAttackTest {
  private static final ModelSpec LOGREG = new ModelSpec(ModelKind.LOGREG,
      List.of(org.fedbeam.pipelines.Fixtures.FEATURES, org.fedbeam.pipelines.Fixtures.CLASSES));
  @TempDir
  Path dir;
  private World world;
  private Dataset shard;

  @BeforeEach
  void setUp() throws Exception {
    world = new World(dir, List.of("alpha"));
    shard = DatasetFormat.decode(Artifacts.read(world.data.get("alpha"), "shard"), "shard");
    ObjectNode p = world.policy("alpha");
    p.putArray("approved_models").add("logreg");
    p.remove("differential_privacy"); // the default: DP required, lifetime epsilon 8 at delta 1e-5
    world.writePolicy("alpha", p);
  }

  @AfterEach
  void tearDown() throws Exception {
    world.close();
  }

  @Test
  void whetherARowOverflowsDoesNotDecideBetweenAnUpdateAndARefusal() throws Exception {
    double max = Double.NEGATIVE_INFINITY;
    for (int r = 0; r < shard.size(); r++) {
      max = Math.max(max, shard.feature(r, 0));
    }
    SiloAgent agent = world.agent("alpha");
    send("above", max * 1.01);
    send("below", max * 0.99);
    agent.answerPending();
    for (String job : List.of("above", "below")) {
      assertThat(job + " the largest feature 0", world.answer("alpha", job, 1, 1).type(), equalTo(Messages.UPDATE));
    }
  }

  private void send(String job, double threshold) {
    float[] w = new float[LOGREG.parameterCount()];
    w[LOGREG.weightOffset(0)] = (float) (Float.MAX_VALUE / threshold);
    byte[] bytes = ModelFormat.encode(Parameters.copyOf(LOGREG, w));
    int n = shard.size();
    Messages.RoundRequest r = new Messages.RoundRequest(job, 1, 1, Messages.newNonce(), "alpha", SiloPipeline.REF, LOGREG,
        Artifacts.sha256Hex(bytes), new TrainConfig(1, n, 0.1, 0, 0, new DpSgd(1.0, 50.0)), 7L,
        System.currentTimeMillis() + 60_000);
    world.publish("alpha", r, world.submitter, bytes);
  }
}
