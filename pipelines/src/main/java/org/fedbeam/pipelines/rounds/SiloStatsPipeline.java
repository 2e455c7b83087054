package org.fedbeam.pipelines.rounds;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.Serializable;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.Flatten;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionList;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.apache.beam.sdk.values.TupleTag;
import org.apache.beam.sdk.values.TupleTagList;
import org.fedbeam.data.table.Table;
import org.fedbeam.pipelines.digest.ClassSource;
import org.fedbeam.pipelines.digest.PipelineDigest;
import org.fedbeam.pipelines.protocol.Messages;
import org.fedbeam.pipelines.protocol.Signed;
import org.fedbeam.stats.SiloStats;
import org.fedbeam.stats.StatsComputation;
import org.fedbeam.stats.StatsQuery;
import org.fedbeam.stats.StatsQueryJson;
import org.fedbeam.transforms.Artifacts;
import org.fedbeam.transforms.GuardStatsEgress;
import org.fedbeam.transforms.SiloData;

/**
 * The silo statistics pipeline of the federated mode, run by the silo agent on the silo's own Flink
 * for a verified stats request:
 *
 * <pre>
 *   StatsRun -> ReadLocalTable -> ComputeStats -> GuardStatsEgress -> WriteStats
 *                                      \------------------------------\-> WriteRefusal
 * </pre>
 *
 * {@code ComputeStats} runs {@link StatsComputation#INSTANCE} with the silo's own seed (from its
 * secret, never the request's); {@link GuardStatsEgress} re-checks the release independently. What
 * changes between runs (the query, the seed, the guard's limits, where to stage) is read at run time
 * from the run's {@link StatsRun}, so the agent's runner translates the pipeline once. Everything it
 * writes goes to the silo's private staging folder: the agent signs and publishes only what the guard
 * passed.
 *
 * <p>Its identity for the silo policy is {@link #REF}, approved separately from the training
 * pipeline's: a name, a version and the SHA-256 over the code that runs in it ({@link PipelineDigest},
 * as for {@link SiloPipeline}).
 */
public final class SiloStatsPipeline {
  public static final String NAME = "fedbeam-silo-stats";
  public static final String VERSION = "1";
  private static final List<String> ROOTS = List.of(SiloStatsPipeline.class.getName());
  private static final PipelineDigest DEFINITION = digest(ClassSource.of(SiloStatsPipeline.class.getClassLoader(),
      "this process's class path"));
  public static final Messages.PipelineRef REF = new Messages.PipelineRef(NAME, VERSION, DEFINITION.sha256());

  public static final String STATS_FILE = "stats.json";
  public static final String REFUSAL_FILE = "refusal.txt";
  /** Everything a run stages, cleared before a run. */
  public static final List<String> STAGED_FILES = List.of(STATS_FILE, REFUSAL_FILE);
  /** The prefix of a refusal the computation made (the request cannot be answered), not the guard. */
  public static final String COMPUTATION = "computation: ";

  private static final TupleTag<String> RELEASED = new TupleTag<>() {};
  private static final TupleTag<String> UNANSWERABLE = new TupleTag<>() {};

  private SiloStatsPipeline() {}

  /**
   * One run's inputs, all silo-private: the query (as the request signed it), the silo's own seed,
   * what the guard expects, and where to stage.
   */
  public record StatsRun(String queryJson, long seed, GuardStatsEgress.Expected expected, String stagingDir)
      implements Serializable {
    public void write(String uri) {
      ObjectNode n = Signed.JSON.createObjectNode();
      n.put("query", queryJson);
      n.put("seed", seed);
      n.put("staging", stagingDir);
      ObjectNode e = n.putObject("expected");
      e.put("silo", expected.silo());
      e.put("pass", expected.pass());
      e.put("k", expected.k());
      expected.columns().forEach(e.putArray("columns")::add);
      e.put("release_min_max", expected.releaseMinMax());
      e.put("max_columns", expected.maxColumns());
      e.put("max_bins", expected.maxBins());
      e.put("significant_digits", expected.significantDigits());
      e.put("data", expected.dataUri());
      try {
        Artifacts.writeAtomically(uri, Signed.JSON.writeValueAsBytes(n));
      } catch (IOException ex) {
        throw new IllegalStateException(ex);
      }
    }

    public static StatsRun read(String uri) {
      try {
        JsonNode n = Signed.JSON.readTree(Artifacts.read(uri, "stats run descriptor"));
        JsonNode e = n.get("expected");
        List<String> columns = new ArrayList<>();
        e.get("columns").forEach(c -> columns.add(c.asText()));
        return new StatsRun(n.get("query").asText(), n.get("seed").asLong(), new GuardStatsEgress.Expected(
            e.get("silo").asText(), e.get("pass").asText(), e.get("k").asInt(), columns,
            e.get("release_min_max").asBoolean(), e.get("max_columns").asInt(), e.get("max_bins").asInt(),
            e.get("significant_digits").asInt(), e.get("data").asText()), n.get("staging").asText());
      } catch (IOException | RuntimeException ex) {
        throw new IllegalStateException("cannot read the stats run descriptor " + uri + ": " + ex.getMessage(), ex);
      }
    }

    StatsQuery query() {
      return StatsQueryJson.decode(queryJson.getBytes(StandardCharsets.UTF_8), "the stats run's query");
    }
  }

  /** The SHA-256 (hex) of the pipeline's definition, for the policy's approved_pipelines. */
  public static String definitionSha256() {
    return DEFINITION.sha256();
  }

  /** Adds the pipeline to {@code p}; {@code runUri} is where the agent writes each run's {@link StatsRun}. */
  public static void build(Pipeline p, String runUri) {
    PCollectionTuple computed = p.apply("StatsRun", Create.of(runUri))
        .apply("ReadLocalTable", ParDo.of(new ReadLocalTableFn()))
        .apply("ComputeStats", ParDo.of(new ComputeStatsFn(runUri)).withOutputTags(RELEASED, TupleTagList.of(UNANSWERABLE)));
    PCollectionTuple guarded = computed.get(RELEASED).setCoder(StringUtf8Coder.of())
        .apply("GuardStatsEgress", GuardStatsEgress.of(new CurrentRun(runUri)));
    guarded.get(GuardStatsEgress.ALLOWED).apply("WriteStats", ParDo.of(new WriteFn(runUri, STATS_FILE)));
    PCollectionList.of(computed.get(UNANSWERABLE).setCoder(StringUtf8Coder.of()))
        .and(guarded.get(GuardStatsEgress.REFUSED))
        .apply("Refusals", Flatten.pCollections())
        .apply("WriteRefusal", ParDo.of(new WriteFn(runUri, REFUSAL_FILE)));
  }

  private record CurrentRun(String runUri) implements GuardStatsEgress.Expectation {
    @Override
    public GuardStatsEgress.Expected current() {
      return StatsRun.read(runUri).expected();
    }
  }

  /** Checks the silo's data is a prepared table it can read; passes the run on. */
  static final class ReadLocalTableFn extends DoFn<String, String> {
    @ProcessElement
    public void process(@Element String runUri, OutputReceiver<String> out) {
      StatsRun run = StatsRun.read(runUri);
      SiloData.loadTable(run.expected().dataUri(), "silo " + run.expected().silo()); // names the silo and the file
      out.output(runUri);
    }
  }

  /**
   * Runs {@link StatsComputation#INSTANCE} on the silo's table with the silo's seed; a query the table
   * cannot answer (a column absent, no value, fewer rows than k) goes out as a refusal, not a failure.
   */
  static final class ComputeStatsFn extends DoFn<String, String> {
    private final String runUri;

    ComputeStatsFn(String runUri) {
      this.runUri = runUri;
    }

    @ProcessElement
    public void process(@Element String ignored, MultiOutputReceiver out) {
      StatsRun run = StatsRun.read(runUri);
      String silo = run.expected().silo();
      Table table = SiloData.loadTable(run.expected().dataUri(), "silo " + silo).withSource(silo);
      SiloStats release;
      try {
        release = StatsComputation.INSTANCE.compute(run.query(), table, run.seed());
      } catch (IllegalArgumentException e) {
        out.get(UNANSWERABLE).output(COMPUTATION + e.getMessage());
        return;
      }
      out.get(RELEASED).output(new String(org.fedbeam.stats.SiloStatsJson.encode(release), StandardCharsets.UTF_8));
    }
  }

  /** Stages a release that passed the guard, or a refusal, in the run's staging folder. */
  static final class WriteFn extends DoFn<String, Void> {
    private final String runUri;
    private final String file;

    WriteFn(String runUri, String file) {
      this.runUri = runUri;
      this.file = file;
    }

    @ProcessElement
    public void process(@Element String text) {
      String staging = StatsRun.read(runUri).stagingDir();
      Artifacts.writeAtomically(Artifacts.resolve(staging, file), text.getBytes(StandardCharsets.UTF_8));
    }
  }

  private static PipelineDigest digest(ClassSource source) {
    try (source) {
      return PipelineDigest.compute(List.of(NAME + " " + VERSION), ROOTS, source);
    } catch (IOException | java.io.UncheckedIOException | IllegalArgumentException e) {
      throw new IllegalStateException("cannot compute the silo stats pipeline's digest from " + source.where() + ": "
          + e.getMessage(), e);
    }
  }
}
