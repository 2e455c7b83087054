package org.fedbeam.pipelines.rounds;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.Serializable;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.View;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.apache.beam.sdk.values.PCollectionView;
import org.fedbeam.model.ModelFormat;
import org.fedbeam.model.ModelSpec;
import org.fedbeam.model.Parameters;
import org.fedbeam.model.SiloUpdate;
import org.fedbeam.model.TrainConfig;
import org.fedbeam.pipelines.digest.ClassSource;
import org.fedbeam.pipelines.digest.PipelineDigest;
import org.fedbeam.pipelines.protocol.Messages;
import org.fedbeam.pipelines.protocol.Signed;
import org.fedbeam.transforms.Artifacts;
import org.fedbeam.transforms.ConfigJson;
import org.fedbeam.transforms.FedBeamCoders;
import org.fedbeam.transforms.GuardEgress;
import org.fedbeam.transforms.SiloData;
import org.fedbeam.transforms.SiloTask;
import org.fedbeam.transforms.TrainLocally;

/**
 * The silo pipeline of the federated mode, run by the silo agent on the silo's own Flink:
 *
 * <pre>
 *   ReadGlobalModel -> AsSideInput ------------------------.
 *   ReadLocalData -> TrainLocally(global model as side input) -> ToCandidate -> GuardEgress -> WriteUpdate
 *                                                                                          \-> WriteRefusal
 * </pre>
 *
 * It reuses the simulation's {@link TrainLocally}. It is the same pipeline every round: what changes
 * (round, seed, model, training settings, where to stage) is read at run time from the round's
 * {@link SiloRound}, so the agent's runner translates it once. Everything it writes goes to the silo's private
 * staging folder: the agent signs and publishes only what passed the {@link GuardEgress}.
 *
 * <p>Its identity for the silo policy is {@link #REF}: a name, a version, and the SHA-256 over the
 * code that runs in it ({@link #definitionSha256()}, derived by {@link PipelineDigest} from the class
 * files: every FedBeam class this class reaches, and the third-party packages they call), so a provider
 * approves exactly this code, and any change to it needs a new approval.
 *
 * <p>Metrics (namespace {@code fedbeam}, see docs/metrics.md): those of {@link TrainLocally} and
 * {@link GuardEgress}, and {@code updateBytesStaged} in {@code WriteUpdate}.
 */
public final class SiloPipeline {
  public static final String NAME = "fedbeam-silo-train";
  public static final String VERSION = "1";
  /**
   * Where the definition digest starts: this class. Its class file names every step it builds (the DoFns
   * nested here, {@link TrainLocally}, {@link GuardEgress}, the coders), and {@link PipelineDigest} follows
   * what those name, so no list of classes is kept by hand.
   */
  private static final List<String> ROOTS = List.of(SiloPipeline.class.getName());
  /** What the digest covers in this process's class path. */
  private static final PipelineDigest DEFINITION = computeDigest();
  private static final String DIGEST = DEFINITION.sha256();
  public static final Messages.PipelineRef REF = new Messages.PipelineRef(NAME, VERSION, DIGEST);

  public static final String UPDATE_FILE = "update.fbm";
  public static final String METADATA_FILE = "update-metadata.json";
  public static final String REFUSAL_FILE = "refusal.txt";
  /** Everything a round stages, cleared before a round and after the warm-up. */
  public static final List<String> STAGED_FILES = List.of(UPDATE_FILE, METADATA_FILE, REFUSAL_FILE);

  /**
   * What is fixed for an agent's life: the silo, its private shard, its policy's limits, and where
   * the agent writes each round's {@link SiloRound} before running the pipeline.
   */
  public record Plan(String silo, String dataUri, GuardEgress.Limits limits, String roundUri) implements Serializable {}

  /**
   * One round's inputs, all silo-private, read by the pipeline at run time: so the pipeline is the
   * same every round, and a runner may translate it once.
   *
   * @param seed the silo's own seed for the round (from its secret, not the request's)
   * @param globalModelUri the verified copy of the global model
   * @param stagingDir where the guarded update or the refusal is written
   * @param config the training settings, with DP-SGD ({@link TrainConfig#privacy()}) or without
   * @param epsilonSpent the silo's lifetime epsilon after this round, reported as
   *     {@code epsilon_spent}; NaN when the round does not train with DP
   * @param preparation for a silo whose data is a prepared table: the verified preprocessing to apply
   *     in ReadLocalData ({@link org.fedbeam.transforms.TablePreparation}); null for a numeric shard
   */
  public record SiloRound(int round, long seed, String globalModelUri, String stagingDir, ModelSpec spec,
      TrainConfig config, double epsilonSpent, Preparation preparation) implements Serializable {
    /** A round without DP accounting. */
    public SiloRound(int round, long seed, String globalModelUri, String stagingDir, ModelSpec spec, TrainConfig config) {
      this(round, seed, globalModelUri, stagingDir, spec, config, Double.NaN);
    }

    /** A round on a numeric shard. */
    public SiloRound(int round, long seed, String globalModelUri, String stagingDir, ModelSpec spec, TrainConfig config,
        double epsilonSpent) {
      this(round, seed, globalModelUri, stagingDir, spec, config, epsilonSpent, null);
    }

    public void write(String uri) {
      ObjectNode n = Signed.JSON.createObjectNode();
      n.put("round", round);
      n.put("seed", seed);
      n.put("global_model", globalModelUri);
      n.put("staging", stagingDir);
      n.set("model", ConfigJson.toJson(spec));
      n.set("train", ConfigJson.toJson(config));
      if (!Double.isNaN(epsilonSpent)) {
        n.put("epsilon_spent", epsilonSpent);
      }
      if (preparation != null) {
        preparation.write(n.putObject("preparation"));
      }
      try {
        Artifacts.writeAtomically(uri, Signed.JSON.writeValueAsBytes(n));
      } catch (IOException e) {
        throw new IllegalStateException(e);
      }
    }

    public static SiloRound read(String uri) {
      try {
        com.fasterxml.jackson.databind.JsonNode n = Signed.JSON.readTree(Artifacts.read(uri, "silo round descriptor"));
        return new SiloRound(n.get("round").asInt(), n.get("seed").asLong(), n.get("global_model").asText(),
            n.get("staging").asText(), ConfigJson.modelSpec(n.get("model"), "silo round model"),
            ConfigJson.trainConfig(n.get("train"), "silo round train"),
            n.has("epsilon_spent") ? n.get("epsilon_spent").asDouble() : Double.NaN,
            n.has("preparation") ? Preparation.read(n.get("preparation")) : null);
      } catch (IOException | RuntimeException e) {
        throw new IllegalStateException("cannot read the silo round descriptor " + uri + ": " + e.getMessage(), e);
      }
    }
  }

  /**
   * How a silo whose data is a prepared table turns it into training rows, all silo-private: the
   * verified copy of the request's preprocessing, the policy's limits, and the cache of prepared rows.
   */
  public record Preparation(String preprocessingUri, org.fedbeam.transforms.TablePreparation.Limits limits,
      String cacheDir) implements Serializable {
    void write(ObjectNode n) {
      n.put("preprocessing", preprocessingUri);
      n.put("max_columns", limits.maxColumns());
      n.put("max_vocabulary", limits.maxVocabulary());
      n.put("min_category_count", limits.minCategoryCount());
      n.put("max_abs_input", limits.maxAbsInput());
      n.put("cache", cacheDir);
    }

    static Preparation read(com.fasterxml.jackson.databind.JsonNode n) {
      return new Preparation(n.get("preprocessing").asText(), new org.fedbeam.transforms.TablePreparation.Limits(
          n.get("max_columns").asInt(), n.get("max_vocabulary").asInt(), n.get("min_category_count").asLong(),
          n.get("max_abs_input").asDouble()), n.get("cache").asText());
    }

    /** The prepared rows of the table at {@code dataUri} (cached), and what the silo folded, dropped and clamped. */
    public org.fedbeam.transforms.TablePreparation.Cached prepare(String dataUri, String owner) {
      return org.fedbeam.transforms.TablePreparation.cached(dataUri, preprocessingUri, limits, cacheDir, owner);
    }
  }

  /** The guard's expectation, read from the round descriptor when the guard runs. */
  private record CurrentRound(String roundUri) implements GuardEgress.Expectation {
    @Override
    public GuardEgress.Expected current() {
      SiloRound round = SiloRound.read(roundUri);
      return new GuardEgress.Expected(round.round(), round.spec());
    }
  }

  private SiloPipeline() {}

  /** The SHA-256 (hex) of the pipeline's definition, for the policy's approved_pipelines. */
  public static String definitionSha256() {
    return DIGEST;
  }

  /** Adds the silo pipeline to {@code p}. */
  public static void build(Pipeline p, Plan plan) {
    build(p, plan, null);
  }

  /** As {@link #build(Pipeline, Plan)}, with {@code beforeGuard} inserted before the guard (for tests of the guard). */
  public static void build(Pipeline p, Plan plan,
      PTransform<PCollection<GuardEgress.Candidate>, PCollection<GuardEgress.Candidate>> beforeGuard) {
    FedBeamCoders.registerAll(p.getCoderRegistry());
    PCollectionView<Parameters> global = p.apply("RoundDescriptor", Create.of(plan.roundUri()))
        .apply("ReadGlobalModel", ParDo.of(new ReadGlobalModelFn()))
        .setCoder(FedBeamCoders.ParametersCoder.of())
        .apply("AsSideInput", View.asSingleton());
    PCollectionTuple trained = p.apply("DataUri", Create.of(plan.dataUri()))
        .apply("ReadLocalData", ParDo.of(new ReadLocalDataFn(plan)))
        .apply("TrainLocally", TrainLocally.from(global));
    PCollection<GuardEgress.Candidate> candidates = trained.get(TrainLocally.UPDATES)
        .apply("ToCandidate", ParDo.of(new ToCandidateFn(plan.limits(), plan.roundUri())))
        .setCoder(GuardEgress.CandidateCoder.of());
    if (beforeGuard != null) {
      candidates = candidates.apply("BeforeGuard", beforeGuard).setCoder(GuardEgress.CandidateCoder.of());
    }
    PCollectionTuple guarded = candidates.apply("GuardEgress",
        GuardEgress.of(plan.silo(), new CurrentRound(plan.roundUri()), global, plan.limits()));
    guarded.get(GuardEgress.ALLOWED).apply("WriteUpdate", ParDo.of(new WriteUpdateFn(plan.roundUri())));
    guarded.get(GuardEgress.REFUSED).apply("WriteRefusal", ParDo.of(new WriteRefusalFn(plan.roundUri())));
  }

  static final class ReadGlobalModelFn extends DoFn<String, Parameters> {
    @ProcessElement
    public void process(@Element String roundUri, OutputReceiver<Parameters> out) {
      SiloRound round = SiloRound.read(roundUri);
      String uri = round.globalModelUri();
      Parameters global = ModelFormat.decode(Artifacts.read(uri, "global model"), uri);
      if (!global.spec().equals(round.spec())) {
        throw new IllegalStateException("global model " + uri + " is " + global.spec() + ", the request is for "
            + round.spec());
      }
      out.output(global);
    }
  }

  /**
   * Checks the silo's shard is there and readable, and makes the round's training task: with the
   * silo's own seed and the round's settings, DP-SGD included, from the round descriptor. A silo
   * whose data is a prepared table gets its rows prepared here, inside the silo, with the round's
   * preprocessing, folded and clamped by the silo's own limits ({@link Preparation}); the task then
   * trains on those numeric rows (cached in the silo's private state).
   */
  static final class ReadLocalDataFn extends DoFn<String, SiloTask> {
    private final Plan plan;

    ReadLocalDataFn(Plan plan) {
      this.plan = plan;
    }

    @ProcessElement
    public void process(@Element String dataUri, OutputReceiver<SiloTask> out) {
      SiloRound round = SiloRound.read(plan.roundUri());
      String rows = dataUri;
      if (round.preparation() != null) {
        rows = round.preparation().prepare(dataUri, "silo " + plan.silo()).datasetUri();
      }
      SiloData.load(rows, "silo " + plan.silo()); // fails naming the silo and the file if it is missing or bad
      out.output(new SiloTask(plan.silo(), rows, round.round(), round.seed(), round.config()));
    }
  }

  /**
   * The update as a candidate for egress, with the allowed system metadata as JSON; under DP,
   * {@code epsilon_spent} is the silo's lifetime epsilon after the round, from the round descriptor.
   */
  static final class ToCandidateFn extends DoFn<SiloUpdate, GuardEgress.Candidate> {
    private final GuardEgress.Limits limits;
    private final String roundUri;

    ToCandidateFn(GuardEgress.Limits limits, String roundUri) {
      this.limits = limits;
      this.roundUri = roundUri;
    }

    @ProcessElement
    public void process(@Element SiloUpdate u, OutputReceiver<GuardEgress.Candidate> out) {
      SiloRound round = SiloRound.read(roundUri);
      // under DP only what the accountant covers leaves: the noised weights. The mean training loss
      // (computed on the sampled rows, without noise) and the training time (which follows the
      // sampled batch sizes) are not covered, so they stay in the silo.
      boolean privateRound = round.config().privacy() != null;
      ObjectNode m = Signed.JSON.createObjectNode();
      m.put("samples", u.metadata().sampleCount());
      if (limits.allowedMetadata().contains("train_loss") && !privateRound) {
        m.put("train_loss", u.metadata().trainLoss());
      }
      if (limits.allowedMetadata().contains("train_ms") && !privateRound) {
        m.put("train_ms", u.metadata().trainMillis());
      }
      double epsilon = round.epsilonSpent();
      if (limits.allowedMetadata().contains("epsilon_spent") && !Double.isNaN(epsilon)) {
        m.put("epsilon_spent", epsilon);
      }
      out.output(new GuardEgress.Candidate(u.siloId(), u.round(), u.weights(), m.toString()));
    }
  }

  /** Stages the allowed update; counts the bytes of the weights file, which the agent publishes unchanged. */
  static final class WriteUpdateFn extends DoFn<GuardEgress.Candidate, Void> {
    private final String roundUri;
    private final Counter bytesStaged = Metrics.counter("fedbeam", "updateBytesStaged");

    WriteUpdateFn(String roundUri) {
      this.roundUri = roundUri;
    }

    @ProcessElement
    public void process(@Element GuardEgress.Candidate c) {
      String stagingDir = SiloRound.read(roundUri).stagingDir();
      byte[] weights = ModelFormat.encode(c.weights());
      Artifacts.writeAtomically(Artifacts.resolve(stagingDir, UPDATE_FILE), weights);
      bytesStaged.inc(weights.length);
      // written last: the metadata marks the staged update as complete
      Artifacts.writeAtomically(Artifacts.resolve(stagingDir, METADATA_FILE), c.metadataJson().getBytes(StandardCharsets.UTF_8));
    }
  }

  static final class WriteRefusalFn extends DoFn<String, Void> {
    private final String roundUri;

    WriteRefusalFn(String roundUri) {
      this.roundUri = roundUri;
    }

    @ProcessElement
    public void process(@Element String reason) {
      String stagingDir = SiloRound.read(roundUri).stagingDir();
      Artifacts.writeAtomically(Artifacts.resolve(stagingDir, REFUSAL_FILE), reason.getBytes(StandardCharsets.UTF_8));
    }
  }

  /** The FedBeam classes the digest covers, by binary name: the closure of {@link #ROOTS}. */
  public static java.util.SortedSet<String> definitionClasses() {
    return DEFINITION.classes();
  }

  /**
   * What {@link #definitionSha256()} covers, computed from this process's class path: the FedBeam classes,
   * the third-party packages and the platform classes left out (for {@code fedbeam pipeline --list}).
   */
  public static PipelineDigest definition() {
    return DEFINITION;
  }

  private static PipelineDigest computeDigest() {
    return digest(ClassSource.of(SiloPipeline.class.getClassLoader(), "this process's class path"));
  }

  /**
   * The definition digest of the silo pipeline in the job jar {@code jar} (the copy a Flink
   * cluster runs), computed from that jar's class files alone, as {@link #definitionSha256()} is
   * from this process's: equal for the same build.
   *
   * @throws IllegalStateException if the jar cannot be read or lacks one of the pipeline's FedBeam classes
   */
  public static String definitionSha256In(java.nio.file.Path jar) {
    return definitionIn(jar).sha256();
  }

  /** As {@link #definitionSha256In(java.nio.file.Path)}, with what the digest covers. */
  public static PipelineDigest definitionIn(java.nio.file.Path jar) {
    return digest(ClassSource.ofJar(jar));
  }

  /** The digest over the closure of {@link #ROOTS} in {@code source}, which it closes. */
  public static PipelineDigest digest(ClassSource source) {
    try (source) {
      return PipelineDigest.compute(List.of(NAME + " " + VERSION), ROOTS, source);
    } catch (IOException | java.io.UncheckedIOException | IllegalArgumentException e) {
      throw new IllegalStateException("cannot compute the silo pipeline's digest from " + source.where() + ": "
          + e.getMessage(), e);
    }
  }

}
