package org.fedbeam.pipelines.rounds;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.transforms.Combine;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.ParDo;
import org.fedbeam.stats.GlobalStats;
import org.fedbeam.stats.GlobalStatsJson;
import org.fedbeam.stats.SiloStats;
import org.fedbeam.stats.SiloStatsJson;
import org.fedbeam.transforms.Artifacts;

/**
 * The orchestrator's merge of one pass of federated statistics, a small bounded pipeline on its own
 * Flink (as {@link AggregationPipeline} is for updates):
 *
 * <pre>
 *   MergeRun -> ListReleases -> ReadSiloStats -> MergeStats (Combine.globally) -> WriteGlobalStats
 * </pre>
 *
 * It reads the orchestrator's private copies of the releases it verified (named in the run's
 * descriptor, read at run time so a runner may translate the pipeline once), parses each strictly again
 * ({@link SiloStatsJson}), and merges them with {@link MergeStatsCombineFn}, whose accumulator is the
 * merged {@link GlobalStats} (O(columns x bins + sketches), whatever the number of silos).
 */
public final class StatsMergePipeline {
  private StatsMergePipeline() {}

  /** What one merge reads and where it writes; written by the orchestrator before each run. */
  public static void writeRun(String runUri, List<String> releases, String outputUri) {
    ObjectNode n = RoundRecords.JSON.createObjectNode();
    ArrayNode a = n.putArray("releases");
    releases.forEach(a::add);
    n.put("output", outputUri);
    RoundRecords.write(runUri, n);
  }

  /** Adds the merge to {@code p}; {@code runUri} is the descriptor {@link #writeRun} writes. */
  public static void build(Pipeline p, String runUri) {
    p.apply("MergeRun", Create.of(runUri))
        .apply("ListReleases", ParDo.of(new ListReleasesFn()))
        .setCoder(StringUtf8Coder.of())
        .apply("ReadSiloStats", ParDo.of(new ReadSiloStatsFn()))
        .setCoder(StringUtf8Coder.of())
        .apply("MergeStats", Combine.globally(new MergeStatsCombineFn()).withoutDefaults())
        .setCoder(GLOBAL_CODER)
        .apply("WriteGlobalStats", ParDo.of(new WriteGlobalStatsFn(runUri)));
  }

  static final class ListReleasesFn extends DoFn<String, String> {
    @ProcessElement
    public void process(@Element String runUri, OutputReceiver<String> out) {
      RoundRecords.readJson(runUri, "stats merge run").path("releases").forEach(r -> out.output(r.asText()));
    }
  }

  /** Reads a verified release and checks it strictly again; passes on its JSON. */
  static final class ReadSiloStatsFn extends DoFn<String, String> {
    @ProcessElement
    public void process(@Element String uri, OutputReceiver<String> out) {
      byte[] bytes = Artifacts.read(uri, "verified release");
      SiloStatsJson.decode(bytes, uri);
      out.output(new String(bytes, java.nio.charset.StandardCharsets.UTF_8));
    }
  }

  /** Merged statistics as their JSON ({@link GlobalStatsJson}); no silo yet as no bytes. */
  static final org.apache.beam.sdk.coders.Coder<GlobalStats> GLOBAL_CODER = org.apache.beam.sdk.coders.DelegateCoder.of(
      org.apache.beam.sdk.coders.ByteArrayCoder.of(),
      g -> g.isEmpty() ? new byte[0] : GlobalStatsJson.encode(g),
      b -> b.length == 0 ? GlobalStats.empty() : GlobalStatsJson.decode(b, "merge accumulator"));

  /**
   * Merges silos' releases into {@link GlobalStats}: exact counts and moments (Chan et al.), summed
   * histograms and categories, merged KLL sketches. A column missing in one silo or of another type
   * there fails the merge, naming the silos and the column.
   */
  public static final class MergeStatsCombineFn extends Combine.CombineFn<String, GlobalStats, GlobalStats> {
    @Override
    public GlobalStats createAccumulator() {
      return GlobalStats.empty();
    }

    @Override
    public GlobalStats addInput(GlobalStats acc, String input) {
      SiloStats s = SiloStatsJson.decode(input.getBytes(java.nio.charset.StandardCharsets.UTF_8), "a verified release");
      return acc.merge(GlobalStats.of(s));
    }

    @Override
    public org.apache.beam.sdk.coders.Coder<GlobalStats> getAccumulatorCoder(
        org.apache.beam.sdk.coders.CoderRegistry registry, org.apache.beam.sdk.coders.Coder<String> input) {
      return GLOBAL_CODER;
    }

    @Override
    public org.apache.beam.sdk.coders.Coder<GlobalStats> getDefaultOutputCoder(
        org.apache.beam.sdk.coders.CoderRegistry registry, org.apache.beam.sdk.coders.Coder<String> input) {
      return GLOBAL_CODER;
    }

    @Override
    public GlobalStats mergeAccumulators(Iterable<GlobalStats> accs) {
      GlobalStats merged = GlobalStats.empty();
      for (GlobalStats a : accs) {
        merged = merged.merge(a);
      }
      return merged;
    }

    @Override
    public GlobalStats extractOutput(GlobalStats acc) {
      return acc;
    }
  }

  static final class WriteGlobalStatsFn extends DoFn<GlobalStats, Void> {
    private final String runUri;

    WriteGlobalStatsFn(String runUri) {
      this.runUri = runUri;
    }

    @ProcessElement
    public void process(@Element GlobalStats g) {
      JsonNode run = RoundRecords.readJson(runUri, "stats merge run");
      Artifacts.writeAtomically(run.path("output").asText(), GlobalStatsJson.encode(g));
    }
  }

  /** The merged statistics a run wrote, in silo-name order as merged. */
  public static GlobalStats read(String uri) {
    return GlobalStatsJson.decode(Artifacts.read(uri, "merged statistics"), uri);
  }

  /** The releases' URIs, for tests and records. */
  static List<String> releases(String runUri) {
    List<String> out = new ArrayList<>();
    RoundRecords.readJson(runUri, "stats merge run").path("releases").forEach(r -> out.add(r.asText()));
    return out;
  }
}
