package org.fedbeam.pipelines.federated;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.apache.beam.sdk.Pipeline;
import org.fedbeam.model.ModelFormat;
import org.fedbeam.model.Parameters;
import org.fedbeam.pipelines.protocol.Exchange;
import org.fedbeam.pipelines.protocol.Messages;
import org.fedbeam.pipelines.protocol.RefusalReason;
import org.fedbeam.pipelines.protocol.Rejected;
import org.fedbeam.pipelines.protocol.Signed;
import org.fedbeam.pipelines.rounds.SiloPipeline;
import org.fedbeam.pipelines.runners.RoundRunner;
import org.fedbeam.transforms.Artifacts;
import org.fedbeam.transforms.Errors;

/**
 * Runs the {@link SiloPipeline} on the silo's own Flink for the agent: a request's training, in
 * the request's private staging folder under the silo's state, and the warm-up rounds. It
 * guarantees that a training's seed is the silo's own ({@code Seeds.fromSecret(secret, job,
 * round)}), never the request's; that a staging folder holds no link and no file left by a run cut
 * short; and that it returns an update only if the egress guard passed one (a guard refusal or a
 * failed run is a {@link Rejected}). It publishes nothing: the caller decides what leaves.
 */
final class LocalTraining {
  /** What a training left in its staging folder: the update's weights, their SHA-256 and its metadata. */
  record Staged(byte[] weights, String sha256, ObjectNode metadata, String staging) {}

  private final RoundRunner rounds;
  private final AgentOptions options;
  /** The silo's own secret: the seed of every training is drawn from it, not taken from the request. */
  private final byte[] secret;
  private final PrintStream out;

  LocalTraining(RoundRunner rounds, AgentOptions options, byte[] secret, PrintStream out) {
    this.rounds = rounds;
    this.options = options;
    this.secret = secret;
    this.out = out;
  }

  /**
   * Trains on the silo's shard with the silo's own seed, {@code Seeds.fromSecret(secret, job,
   * round)}: the request's seed is not used, so the orchestrator can neither choose nor predict how
   * the rows are shuffled, sampled or noised. {@code epsilon} is reported as {@code epsilon_spent}.
   * {@code preparation} (null for a numeric shard) is the verified preprocessing of a prepared table
   * ({@link TableRequests}), applied in the pipeline's ReadLocalData.
   */
  Staged train(Messages.RoundRequest r, Exchange.Slot slot, Parameters global, double epsilon, SiloPolicy policy,
      SiloPipeline.Plan plan, SiloPipeline.Preparation preparation) throws Rejected {
    String staging = Artifacts.resolve(Artifacts.resolve(Artifacts.resolve(policy.state(), "jobs"), slot.jobId()),
        String.format("r%04d-a%d", slot.round(), slot.attempt()));
    Artifacts.requireNoLinks(policy.state(), Artifacts.resolve(staging, "global.fbm")); // no link in silo state either
    for (String name : SiloPipeline.STAGED_FILES) {
      Artifacts.deleteIfExists(Artifacts.resolve(staging, name)); // a run cut short before a restart
    }
    String globalCopy = Artifacts.resolve(staging, "global.fbm");
    Artifacts.writeAtomically(globalCopy, ModelFormat.encode(global));
    new SiloPipeline.SiloRound(r.round(), org.fedbeam.model.Seeds.fromSecret(secret, r.jobId(), r.round()), globalCopy,
        staging, r.spec(), r.config(), epsilon, preparation).write(plan.roundUri());
    try {
      run(r.round(), plan);
    } catch (RuntimeException e) {
      throw new Rejected(RefusalReason.SILO_ERROR, "the silo pipeline failed: " + Errors.messages(e));
    }
    return staged(staging);
  }

  /** What the run left in {@code staging}: the guard's refusal (thrown), or the update. */
  private static Staged staged(String staging) throws Rejected {
    String refusal = Artifacts.resolve(staging, SiloPipeline.REFUSAL_FILE);
    if (Artifacts.exists(refusal)) {
      // the guard's own words go to the audit log only
      throw new Rejected(RefusalReason.GUARD, new String(Artifacts.read(refusal, "guard refusal"), StandardCharsets.UTF_8));
    }
    String metadataUri = Artifacts.resolve(staging, SiloPipeline.METADATA_FILE);
    if (!Artifacts.exists(metadataUri)) {
      throw new Rejected(RefusalReason.SILO_ERROR, "the silo pipeline produced no update: nothing staged in " + staging);
    }
    byte[] weights = Artifacts.read(Artifacts.resolve(staging, SiloPipeline.UPDATE_FILE), "staged update");
    JsonNode metadata;
    try {
      metadata = Signed.JSON.readTree(Artifacts.read(metadataUri, "staged metadata"));
    } catch (java.io.IOException e) {
      throw new Rejected(RefusalReason.SILO_ERROR, "the silo pipeline produced no update: staged metadata unreadable");
    }
    return new Staged(weights, Artifacts.sha256Hex(weights), (ObjectNode) metadata, staging);
  }

  /** Runs the silo pipeline once for {@code round}; it reads the round from the plan's descriptor. */
  private void run(int round, SiloPipeline.Plan plan) {
    rounds.run(round, () -> {
      Pipeline p = Pipeline.create(options);
      SiloPipeline.build(p, plan);
      return p;
    });
  }

  /**
   * Translates the silo pipeline and runs it {@code --warmUpRuns} times on scratch rounds in private
   * state (small models of each kind the policy approves, trained on the silo's own shard), so
   * that requests do not pay for the translation and a cold JVM: the JIT compiler's work in the
   * first rounds otherwise slows every party on a shared machine. Nothing is published and the
   * scratch output is deleted; if it fails, the first request translates the pipeline instead.
   */
  void warmUp(SiloPolicy policy, SiloPipeline.Plan plan) {
    if (options.getWarmUpRuns() == 0) {
      return;
    }
    long start = System.nanoTime();
    String scratch = Artifacts.resolve(policy.state(), "warm-up");
    int runs = 0;
    try {
      SiloPipeline.Preparation neutral = neutralPreparation(policy, scratch);
      org.fedbeam.data.Dataset shard = org.fedbeam.transforms.SiloData.load(neutral == null ? policy.data()
          : neutral.prepare(policy.data(), "silo " + policy.silo()).datasetUri(), "silo " + policy.silo());
      String global = Artifacts.resolve(scratch, "global.fbm");
      for (org.fedbeam.model.ModelSpec spec : warmUpSpecs(policy, shard)) {
        Artifacts.writeAtomically(global, ModelFormat.encode(new org.fedbeam.model.DenseNetwork(spec).initialize(runs)));
        new SiloPipeline.SiloRound(1, runs, global, scratch, spec, new org.fedbeam.model.TrainConfig(1, 64, 0.01, 0, 0),
            Double.NaN, neutral).write(plan.roundUri());
        run(0, plan);
        runs++;
      }
      out.printf("%s: silo pipeline translated and run %d times on private scratch rounds in %.1f s (nothing published)%n",
          policy.silo(), runs, (System.nanoTime() - start) / 1e9);
    } catch (RuntimeException e) {
      out.printf("%s: warm-up failed after %d run(s) (%s); the first requests will %s%n", policy.silo(), runs,
          Errors.messages(e), runs == 0 ? "translate the pipeline" : "run on a colder JVM");
    } finally {
      List<String> scratchFiles = new ArrayList<>(SiloPipeline.STAGED_FILES);
      scratchFiles.add("global.fbm");
      scratchFiles.add("neutral-preprocessing.json");
      for (String name : scratchFiles) {
        try {
          Artifacts.deleteIfExists(Artifacts.resolve(scratch, name));
        } catch (RuntimeException e) {
          // scratch only: left for the next start to overwrite
        }
      }
      out.flush();
    }
  }

  /**
   * For a silo whose data is a prepared table, the warm-up's preparation: a neutral preprocessing of
   * the table ({@link org.fedbeam.transforms.TablePreparation#neutral}: numeric columns as they are,
   * categorical ones as one constant input), under the policy's limits, cached in the scratch folder;
   * null for a numeric shard. It runs the same ReadLocalData path a request's preprocessing does.
   */
  private static SiloPipeline.Preparation neutralPreparation(SiloPolicy policy, String scratch) {
    String owner = "silo " + policy.silo();
    if (!org.fedbeam.transforms.TablePreparation.isTable(policy.data(), owner)) {
      return null;
    }
    org.fedbeam.preprocess.Preprocessing neutral = org.fedbeam.transforms.TablePreparation.neutral(
        org.fedbeam.transforms.SiloData.loadTable(policy.data(), owner));
    String uri = Artifacts.resolve(scratch, "neutral-preprocessing.json");
    Artifacts.writeAtomically(uri, neutral.toJson());
    return new SiloPipeline.Preparation(uri, policy.preprocessing(), Artifacts.resolve(scratch, "prepared"));
  }

  /**
   * The scratch models of the warm-up: small models of every kind the policy approves (a hidden
   * layer of 16 for an MLP), in turn, {@code --warmUpRuns} in all.
   */
  private List<org.fedbeam.model.ModelSpec> warmUpSpecs(SiloPolicy policy, org.fedbeam.data.Dataset shard) {
    int classes = Math.max(2, shard.classes());
    List<org.fedbeam.model.ModelSpec> kinds = new ArrayList<>();
    for (org.fedbeam.model.ModelKind kind : new java.util.TreeSet<>(policy.approvedModels())) {
      kinds.add(new org.fedbeam.model.ModelSpec(kind, kind == org.fedbeam.model.ModelKind.MLP
          ? List.of(shard.featureCount(), 16, classes) : List.of(shard.featureCount(), classes)));
    }
    List<org.fedbeam.model.ModelSpec> specs = new ArrayList<>();
    for (int i = 0; i < options.getWarmUpRuns() && !kinds.isEmpty(); i++) {
      specs.add(kinds.get(i % kinds.size()));
    }
    return specs;
  }
}
