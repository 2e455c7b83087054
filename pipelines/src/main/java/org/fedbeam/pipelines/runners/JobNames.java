package org.fedbeam.pipelines.runners;

import java.lang.reflect.Field;
import java.util.Locale;
import org.apache.flink.runtime.jobgraph.JobGraph;

/**
 * The names of a run's Flink jobs, so that the web UI and {@code GET /jobs/overview} tell the rounds
 * apart: round 7 of run {@code fmnist} is {@code fedbeam-fmnist-round-0007}, a warm-up run (round 0 or
 * less) {@code fedbeam-fmnist-warm-up}.
 *
 * <p>A run name is 1 to {@value #MAX_RUN} characters of letters, digits, {@code .}, {@code _} and
 * {@code -}: a job name must be easy to read, to type in a filter and to quote in a shell.
 */
public final class JobNames {
  /** The longest run name. */
  public static final int MAX_RUN = 80;
  private static final String PREFIX = "fedbeam-";

  private JobNames() {}

  /**
   * The job name of {@code round} of run {@code run}: {@code fedbeam-RUN-round-NNNN}, or {@code
   * fedbeam-RUN-warm-up} for a warm-up run (round 0 or less).
   *
   * @throws IllegalArgumentException naming the run name if it is not a valid one
   */
  public static String of(String run, int round) {
    checkRun(run);
    return round <= 0 ? PREFIX + run + "-warm-up" : String.format(Locale.ROOT, "%s%s-round-%04d", PREFIX, run, round);
  }

  /**
   * Checks a run name (see the class comment).
   *
   * @throws IllegalArgumentException naming what is wrong and the value
   */
  public static String checkRun(String run) {
    if (run == null || run.isEmpty()) {
      throw new IllegalArgumentException("the run name of a Flink job must not be empty, was " + (run == null ? "null"
          : "''"));
    }
    if (run.length() > MAX_RUN) {
      throw new IllegalArgumentException("the run name of a Flink job must be at most " + MAX_RUN + " characters, was "
          + run.length() + " ('" + run.substring(0, 20) + "...')");
    }
    if (!run.matches("[A-Za-z0-9._-]+")) {
      throw new IllegalArgumentException("the run name of a Flink job may hold only letters, digits, '.', '_' and '-',"
          + " was '" + run + "'");
    }
    return run;
  }

  /**
   * A run name made from a name that may hold anything (a folder, a job id, a job name): every run of
   * characters a run name may not hold becomes one {@code -}, a leading {@code fedbeam-} is dropped (it
   * is in every job name already), and it is cut to {@value #MAX_RUN} characters; {@code fallback} if
   * nothing is left.
   */
  public static String runNameOf(String anything, String fallback) {
    String name = anything == null ? "" : anything.replaceAll("[^A-Za-z0-9._-]+", "-").replaceAll("^[-.]+|-+$", "");
    if (name.startsWith(PREFIX)) {
      name = name.substring(PREFIX.length());
    }
    if (name.length() > MAX_RUN) {
      name = name.substring(0, MAX_RUN);
    }
    return name.isEmpty() ? checkRun(fallback) : name;
  }

  /**
   * The run name of the run whose output goes to {@code output} (a local folder or a URI): the name of
   * its last path segment, e.g. {@code runs/fmnist-3} gives {@code fmnist-3}.
   */
  public static String runNameOfOutput(String output) {
    String path = output == null ? "" : output.replaceFirst("^[a-zA-Z][a-zA-Z0-9+.-]*://", "").replaceAll("[/\\\\]+$", "");
    int slash = Math.max(path.lastIndexOf('/'), path.lastIndexOf('\\'));
    return runNameOf(path.substring(slash + 1), "run");
  }

  /**
   * Gives {@code graph} the name {@code name}, the name the web UI and the REST API show for its job.
   * Flink 1.16's {@link JobGraph} takes its name at construction only, and a replayed round reuses the
   * job graph translated for the first round, so the field is set directly.
   *
   * @throws IllegalStateException if this Flink version's job graph has no such field
   */
  static JobGraph rename(JobGraph graph, String name) {
    try {
      Field field = JobGraph.class.getDeclaredField("jobName");
      field.setAccessible(true);
      field.set(graph, name);
      return graph;
    } catch (ReflectiveOperationException | RuntimeException e) {
      throw new IllegalStateException("cannot name the Flink job " + graph.getJobID() + " '" + name + "': this Flink's"
          + " JobGraph has no settable jobName field (" + e + ")", e);
    }
  }
}
