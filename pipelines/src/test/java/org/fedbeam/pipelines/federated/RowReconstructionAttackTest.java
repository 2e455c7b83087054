package org.fedbeam.pipelines.federated;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.greaterThan;
import static org.hamcrest.Matchers.lessThan;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
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
import org.fedbeam.model.privacy.RdpAccountant;
import org.fedbeam.pipelines.protocol.Exchange;
import org.fedbeam.pipelines.protocol.Keys;
import org.fedbeam.pipelines.protocol.Messages;
import org.fedbeam.pipelines.protocol.RefusalReason;
import org.fedbeam.pipelines.rounds.SiloPipeline;
import org.fedbeam.transforms.Artifacts;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The row-reconstruction attack, replayed against the real silo agent. A curious
 * orchestrator holding a trusted key sends two approved requests for a logistic regression from an
 * ALL-ZERO model, identical except for the batch size (N, then N-1, N being the sample count the
 * silo reports), or, in the variant, except for the learning rate. From a zero model one step's
 * update is -lr/B times the sum of the rows' gradients (p - y) x [x, 1], so
 * {@code N * U_N - (N-1) * U_(N-1)} is minus lr times one row's gradient, and the row is its
 * weight column divided by its bias entry: exactly what the attacker computes here.
 *
 * <p>What stops it, case by case:
 * <ul>
 *   <li>The same job, whatever the policy says about DP: the second request on the same global
 *       model (another round, or another attempt with other settings) is refused as a
 *       {@link RefusalReason#REPLAY}; an identical retry gets the very same update, re-signed
 *       (no training, nothing new).</li>
 *   <li>A NEW job id, with the default policy (DP required): both requests train with DP-SGD at the
 *       least noise the policy and its lifetime budget let through (sigma 1: epsilon 4.73 for the
 *       first, 7.07 after both), and the reconstruction is noise: it does not single out any row
 *       (it is not within half of any row's distance to its nearest neighbour), and over 1000
 *       seeds it lands near a row no more often than the same attack run on another shard. A third
 *       such request is refused ({@link RefusalReason#PRIVACY_BUDGET}, see PrivacyBudgetTest).</li>
 *   <li>A new job id when the provider opted out of DP ({@code "differential_privacy":
 *       {"required": false}}): the difference still yields one row (a random one, chosen by the
 *       silo's secret shuffle, not by the attacker), to float precision. The bounds, the
 *       once-per-model rule and the quotas limit how often this can be tried; they do not stop it.
 *       This test asserts that limit, so that the documentation cannot claim otherwise.</li>
 * </ul>
 *
 * <p>The thresholds. "Relative error above 0.5 against every row" is NOT a sound bar on this
 * shard: its rows are close together (a row's nearest neighbour is 0.19 to 0.92 of its norm away,
 * median 0.42), so a guess that knows only what rows look like is within 0.5 of some row about one
 * time in ten (measured: 211 of 2000 reconstructions from another shard; 208 of 2000 from this
 * one). The bar used is data-aware: the reconstruction must not be within half of a row's distance
 * to its nearest neighbour (then it would point at that one row), and it must be at least 0.1 from
 * every row (2e4 times the 4.8e-6 the attack reaches without DP). The silo's secret is fixed so
 * the agent runs are reproducible; the statistical test checks that the outcome is not the secret's.
 */
class RowReconstructionAttackTest {
  private static final int N = 120;
  private static final double LR = 0.1;
  private static final ModelSpec LOGREG = new ModelSpec(ModelKind.LOGREG,
      List.of(org.fedbeam.pipelines.Fixtures.FEATURES, org.fedbeam.pipelines.Fixtures.CLASSES));
  @TempDir
  Path dir;
  private World world;
  private byte[] zero;
  private Dataset shard;

  @BeforeEach
  void setUp() throws Exception {
    world = new World(dir, List.of("alpha"));
    zero = ModelFormat.encode(Parameters.zeros(LOGREG));
    shard = DatasetFormat.decode(Artifacts.read(world.data.get("alpha"), "shard"), "shard");
    assertThat(shard.size(), equalTo(N));
    Path secret = dir.resolve("private/alpha/key").resolve(Keys.SILO_SECRET_FILE);
    byte[] fixed = new byte[32];
    java.util.Arrays.fill(fixed, (byte) 42);
    Files.write(secret, fixed);
  }

  @AfterEach
  void tearDown() throws Exception {
    world.close();
  }

  @Test
  void inTheSameJobTheSecondBatchSizeIsRefusedAsAReplayEvenWithoutDp() throws Exception {
    usePolicy(false);
    SiloAgent agent = world.agent("alpha");
    Messages.RoundRequest first = send("job-a", 1, 1, N, LR, null);
    agent.answerPending();
    float[] update = update("job-a", 1, 1);
    send("job-a", 1, 2, N - 1, LR, null); // a retry of round 1 with the other batch size
    agent.answerPending();
    SiloAgentTest.assertRefused(world, "alpha", "job-a", 1, 2, RefusalReason.REPLAY, "was trained in this job at");
    // an identical retry (new attempt, new nonce) gets the same weights, re-signed, and no training
    send("job-a", 1, 3, N, LR, null);
    agent.answerPending();
    assertThat(java.util.Arrays.equals(update("job-a", 1, 3), update), equalTo(true));
    Messages.UpdateReport retried = Messages.UpdateReport.fromJson(world.answer("alpha", "job-a", 1, 3).body());
    assertThat(retried.nonce().equals(first.nonce()), equalTo(false));
    send("job-a", 2, 1, N - 1, LR, null); // the next round, on the same zero model
    agent.answerPending();
    SiloAgentTest.assertRefused(world, "alpha", "job-a", 2, 1, RefusalReason.REPLAY, "was trained in this job at");
    assertThat(trainings(), equalTo(1L));
  }

  @Test
  void inTheSameJobTheLearningRateVariantIsRefusedAsAReplay() throws Exception {
    usePolicy(false);
    SiloAgent agent = world.agent("alpha");
    send("job-a", 1, 1, N - 1, LR, null);
    agent.answerPending();
    update("job-a", 1, 1);
    send("job-a", 1, 2, N - 1, LR / 2, null);
    send("job-a", 2, 1, N - 1, LR / 2, null);
    agent.answerPending();
    SiloAgentTest.assertRefused(world, "alpha", "job-a", 1, 2, RefusalReason.REPLAY, "was trained in this job at");
    SiloAgentTest.assertRefused(world, "alpha", "job-a", 2, 1, RefusalReason.REPLAY, "was trained in this job at");
    assertThat(trainings(), equalTo(1L));
  }

  @Test
  void inNewJobsUnderTheDefaultDpPolicyTheBatchSizeAttackYieldsNoRow() throws Exception {
    usePolicy(true);
    double sigma = leastNoiseForTwoTrainings();
    SiloAgent agent = world.agent("alpha");
    send("job-a", 1, 1, N, LR, new DpSgd(1.0, sigma));
    send("job-b", 1, 1, N - 1, LR, new DpSgd(1.0, sigma)); // a new job id: not a replay
    agent.answerPending();
    float[] big = update("job-a", 1, 1);
    float[] small = update("job-b", 1, 1);
    double[] g = new double[big.length];
    for (int i = 0; i < g.length; i++) {
      g[i] = -((double) N * big[i] - (N - 1.0) * small[i]) / LR;
    }
    assertNoRowRecovered(reconstruct(LOGREG, g), "batch " + N + " vs " + (N - 1) + ", sigma " + sigma);
  }

  @Test
  void inNewJobsUnderTheDefaultDpPolicyTheLearningRateVariantYieldsNoRow() throws Exception {
    usePolicy(true);
    double sigma = leastNoiseForTwoTrainings();
    SiloAgent agent = world.agent("alpha");
    send("job-a", 1, 1, N - 1, LR, new DpSgd(1.0, sigma));
    send("job-b", 1, 1, N - 1, LR / 2, new DpSgd(1.0, sigma));
    agent.answerPending();
    float[] a = update("job-a", 1, 1);
    float[] b = update("job-b", 1, 1);
    double[] g = new double[a.length];
    for (int i = 0; i < g.length; i++) {
      g[i] = -(N - 1.0) * (a[i] / LR - b[i] / (LR / 2));
    }
    assertNoRowRecovered(reconstruct(LOGREG, g), "learning rate " + LR + " vs " + LR / 2 + ", sigma " + sigma);
  }

  @Test
  void aProviderThatOptsOutOfDpStillLeaksOneRowAcrossTwoJobs() throws Exception {
    usePolicy(false);
    SiloAgent agent = world.agent("alpha");
    send("job-a", 1, 1, N, LR, null);
    send("job-b", 1, 1, N - 1, LR, null);
    agent.answerPending();
    float[] big = update("job-a", 1, 1);
    float[] small = update("job-b", 1, 1);
    double[] g = new double[big.length];
    for (int i = 0; i < g.length; i++) {
      g[i] = -((double) N * big[i] - (N - 1.0) * small[i]) / LR;
    }
    double error = minRelativeError(shard, reconstruct(LOGREG, g));
    System.out.printf("without DP, across two jobs: the reconstruction is within %.2g (relative) of a real row%n", error);
    // the known limit of opting out, stated and asserted (see the class comment and docs/federated.md)
    assertThat(error, lessThan(1e-3));
  }

  /** The least noise multiplier (in steps of 0.1 from the policy's minimum) at which both requests fit the default budget. */
  private static double leastNoiseForTwoTrainings() {
    PrivacyPolicy p = PrivacyPolicy.DEFAULTS;
    for (double sigma = p.minNoiseMultiplier(); ; sigma += 0.1) {
      RdpAccountant total = new RdpAccountant();
      for (int batch : new int[] {N, N - 1}) {
        RdpAccountant.Plan plan = (new TrainConfig(1, batch, LR, 0, 0, new DpSgd(1, sigma))).dpPlan(N);
        total.add(plan.q(), sigma, plan.steps());
      }
      if (total.epsilon(p.delta()) <= p.maxEpsilon()) {
        return sigma;
      }
    }
  }

  private void assertNoRowRecovered(double[] x, String what) {
    double error = minRelativeError(shard, x);
    System.out.printf("under DP (%s): the best reconstruction is %.3f (relative) from the nearest real row%n", what,
        error);
    assertThat(what, error, greaterThan(0.1));
    assertThat(what, singlesOut(shard, x), equalTo(false));
  }

  /**
   * The agent runs above use one silo secret; this checks the outcome does not hang on it. Over 1000
   * seeds the DP reconstruction (same learner, same settings) lands near a row of the shard no more
   * often than the same attack run on ANOTHER shard (which knows nothing of this one): what it
   * recovers is noise shaped like the data, not a row.
   */
  @Test
  void overManySeedsTheDpReconstructionIsNoCloserToTheShardThanOneFromOtherData() {
    Dataset other = org.fedbeam.pipelines.Fixtures.blobs("other", N, 777);
    double sigma = leastNoiseForTwoTrainings();
    int[] attack = hits(shard, sigma);
    int[] baseline = hits(other, sigma);
    System.out.printf("over 1000 seeds: within 0.5 of a row %d (baseline %d), singling out a row %d (baseline %d)%n",
        attack[0], baseline[0], attack[1], baseline[1]);
    assertThat(attack[0], lessThan(baseline[0] * 13 / 10 + 10));
    assertThat(attack[1], lessThan(baseline[1] + 10));
  }

  /** Runs the batch-size attack 1000 times on {@code data}; counts reconstructions within 0.5 of, and singling out, a row of the shard. */
  private int[] hits(Dataset data, double sigma) {
    org.fedbeam.model.DenseNetwork net = new org.fedbeam.model.DenseNetwork(LOGREG);
    Parameters start = Parameters.zeros(LOGREG);
    int[] hits = new int[2];
    for (int t = 0; t < 1000; t++) {
      float[] big = net.train(start, data, new TrainConfig(1, N, LR, 0, 0, new DpSgd(1, sigma)), 1000 + 2 * t)
          .parameters().toArray();
      float[] small = net.train(start, data, new TrainConfig(1, N - 1, LR, 0, 0, new DpSgd(1, sigma)), 1001 + 2 * t)
          .parameters().toArray();
      double[] g = new double[big.length];
      for (int i = 0; i < g.length; i++) {
        g[i] = -((double) N * big[i] - (N - 1.0) * small[i]) / LR;
      }
      double[] x = reconstruct(LOGREG, g);
      hits[0] += minRelativeError(shard, x) < 0.5 ? 1 : 0;
      hits[1] += singlesOut(shard, x) ? 1 : 0;
    }
    return hits;
  }

  /** The attacker's row from an estimated gradient of one row at the zero model: a weight column over its bias. */
  static double[] reconstruct(ModelSpec spec, double[] gradient) {
    int features = spec.layers().get(0);
    int classes = spec.layers().get(1);
    int best = 0;
    for (int c = 1; c < classes; c++) {
      if (Math.abs(gradient[spec.biasOffset(0) + c]) > Math.abs(gradient[spec.biasOffset(0) + best])) {
        best = c;
      }
    }
    double[] x = new double[features];
    for (int f = 0; f < features; f++) {
      x[f] = gradient[spec.weightOffset(0) + f * classes + best] / gradient[spec.biasOffset(0) + best];
    }
    return x;
  }

  /** The smallest ||x - row|| / ||row|| over the shard's rows. */
  static double minRelativeError(Dataset d, double[] x) {
    double best = Double.POSITIVE_INFINITY;
    for (int i = 0; i < d.size(); i++) {
      best = Math.min(best, distance(d, i, x) / norm(d, i));
    }
    return best;
  }

  /** True if {@code x} is closer to some row than half that row's distance to its nearest other row. */
  static boolean singlesOut(Dataset d, double[] x) {
    for (int i = 0; i < d.size(); i++) {
      double nearest = Double.POSITIVE_INFINITY;
      double[] row = new double[d.featureCount()];
      for (int f = 0; f < row.length; f++) {
        row[f] = d.feature(i, f);
      }
      for (int j = 0; j < d.size(); j++) {
        if (j != i) {
          nearest = Math.min(nearest, distance(d, j, row));
        }
      }
      if (distance(d, i, x) < nearest / 2) {
        return true;
      }
    }
    return false;
  }

  private static double distance(Dataset d, int row, double[] x) {
    double s = 0;
    for (int f = 0; f < x.length; f++) {
      double diff = x[f] - d.feature(row, f);
      s += diff * diff;
    }
    return Math.sqrt(s);
  }

  private static double norm(Dataset d, int row) {
    double s = 0;
    for (int f = 0; f < d.featureCount(); f++) {
      s += (double) d.feature(row, f) * d.feature(row, f);
    }
    return Math.sqrt(s);
  }

  private void usePolicy(boolean defaultDp) throws Exception {
    ObjectNode p = world.policy("alpha");
    p.putArray("approved_models").add("logreg");
    p.withArray("allowed_metadata").add("epsilon_spent");
    if (defaultDp) {
      p.remove("differential_privacy"); // the default: DP required, lifetime (8, 1e-5)
    }
    world.writePolicy("alpha", p);
  }

  private Messages.RoundRequest send(String job, int round, int attempt, int batch, double lr, DpSgd dp) {
    Messages.RoundRequest r = new Messages.RoundRequest(job, round, attempt, Messages.newNonce(), "alpha",
        SiloPipeline.REF, LOGREG, Artifacts.sha256Hex(zero), new TrainConfig(1, batch, lr, 0, 0, dp), 7L,
        System.currentTimeMillis() + 60_000);
    world.publish("alpha", r, world.submitter, zero);
    return r;
  }

  private float[] update(String job, int round, int attempt) throws Exception {
    assertThat(job + " r" + round + " a" + attempt, world.answer("alpha", job, round, attempt).type(),
        equalTo(Messages.UPDATE));
    byte[] bytes = Artifacts.read(new Exchange(world.exchanges.get("alpha"))
        .updateWeights(new Exchange.Slot(job, round, attempt)), "update");
    return ModelFormat.decode(bytes, "update").toArray();
  }

  /** How many times the silo trained: its "accepted" audit lines. */
  private long trainings() throws Exception {
    return world.auditLines("alpha").stream().filter(l -> l.contains("\"decision\":\"accepted\"")).count();
  }
}
