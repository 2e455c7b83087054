package org.fedbeam.pipelines.protocol;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.fedbeam.stats.StatsQuery;
import org.fedbeam.stats.StatsQueryJson;

/**
 * A job file read for federated statistics ({@code fedbeam stats --job JOB.json}): the fields a
 * statistics run needs, and its {@code statistics} section. It does not need {@code model},
 * {@code train} or {@code rounds} (a file that has them, for training, is read the same way; they are
 * not used). The file is read as strictly as {@link JobSpec} (unknown fields, wrong types, every bad
 * field named in one {@link JobFileException}).
 *
 * <pre>
 *   "statistics": {"columns": ["age", "duration"],   optional: all feature columns when absent or empty
 *                  "bins": 10, "ranks": [0.25, 0.5, 0.75], "k": 10, "release_min_max": false,
 *                  "significant_digits": 3,
 *                  "noise": {"mechanism": "laplace", "epsilon": 1.0},   optional: none by default
 *                  "clipping": {"age": {"lo": 18, "hi": 100}},       per numeric column, needed with noise
 *                  "histograms": {"age": {"lo": 0, "hi": 100, "bins": 20}}}   optional fixed edges
 * </pre>
 *
 * The section is a {@link StatsQuery} without its pass ({@link StatsQueryJson}'s fields): {@code k}
 * is required.
 *
 * @param exchangeJob the job id under which the statistics run in the exchange: {@code JOB-stats}, so a
 *     statistics run and a training run of one job file never share a slot
 */
public record StatsJob(String jobId, String exchangeJob, Path submitterKey, String output, List<JobSpec.Silo> silos,
    int minSilos, long timeoutMillis, long graceMillis, int maxAttempts, long pollMillis, StatsQuery query) {
  /** The fields of the {@code statistics} section. */
  public static final Set<String> FIELDS = Set.of("columns", "bins", "histograms", "ranks", "k", "release_min_max",
      "significant_digits", "noise", "clipping");
  /** The fields of {@code statistics.noise}. */
  public static final Set<String> NOISE_FIELDS = Set.of("mechanism", "epsilon", "delta");

  /** The {@code statistics} section as a first-pass query; errors name the field. */
  static StatsQuery query(JsonNode section, String where) {
    if (section == null || !section.isObject()) {
      throw new IllegalArgumentException(where + ": statistics must be an object with at least k");
    }
    for (var it = section.fieldNames(); it.hasNext();) {
      String f = it.next();
      if (!FIELDS.contains(f)) {
        throw new IllegalArgumentException(where + ": statistics has an unknown field \"" + f + "\"; known: "
            + String.join(", ", new java.util.TreeSet<>(FIELDS)));
      }
    }
    return StatsQueryJson.decode(section.toString().getBytes(StandardCharsets.UTF_8), where + ": statistics");
  }

  /**
   * Reads a job file for statistics.
   *
   * @throws JobFileException listing every bad field
   */
  public static StatsJob read(Path file) {
    JsonNode n = JobSpec.tree(file);
    String where = "job file " + file;
    Problems p = new Problems();
    JobSpec.unknownFields(n, JobSpec.FIELDS, where, p);
    String jobId = p.get(() -> {
      String id = Messages.requireId(ConfigFields.text(n, "job_id", where), where + ": job_id");
      Messages.requireId(id + "-stats", where + ": job_id (with -stats, at most 58 characters)");
      return id;
    }, null);
    Path key = p.get(() -> Path.of(ConfigFields.text(n, "submitter_key", where)), null);
    String output = p.get(() -> ConfigFields.text(n, "output", where), null);
    List<JobSpec.Silo> silos = JobSilos.read(n.get("silos"), where, p);
    int count = silos.size();
    int minSilos = p.get(() -> JobSpec.whole(n, "min_silos", count, 1, Math.max(1, count), where), 1);
    double timeout = p.get(() -> JobSpec.atLeast(n, "round_timeout_s", 300, true, where), 1.0);
    double grace = p.get(() -> JobSpec.atLeast(n, "grace_s", 5, true, where), 0.0);
    int attempts = p.get(() -> JobSpec.whole(n, "max_attempts", 3, 1, 1000, where), 1);
    int poll = p.get(() -> JobSpec.whole(n, "poll_ms", 100, 5, 60_000, where), 100);
    StatsQuery query = p.get(() -> query(n.get("statistics"), where), null);
    p.throwIfAny();
    return new StatsJob(jobId, jobId + "-stats", key, output, silos, minSilos, (long) (timeout * 1000),
        (long) (grace * 1000), attempts, poll, query);
  }
}
