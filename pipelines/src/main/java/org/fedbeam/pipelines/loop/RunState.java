package org.fedbeam.pipelines.loop;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import org.fedbeam.model.ModelFormat;
import org.fedbeam.model.ModelSpec;
import org.fedbeam.pipelines.rounds.RoundRecords;
import org.fedbeam.transforms.Artifacts;

/**
 * A run's state in its output folder, so that a run can be continued after a crash, a kill or a
 * planned stop, and so that a folder never mixes two runs.
 *
 * <ul>
 *   <li>{@code run.json}: the manifest, written when the run starts: the format, the mode and the
 *       run's settings (each named as the user gives it, e.g. {@code --lr}); a resume must give the
 *       same settings.
 *   <li>{@code checkpoints/round-NNNN.json}: the commit record of round NNNN, written atomically
 *       after the round's model, server state, provenance and metrics: the SHA-256 of the model and
 *       of the state, the round's statistics (from which the records and the stop rule's history are
 *       rebuilt) and whether the run finished with it. A round without its checkpoint did not
 *       happen. Round 0's checkpoint commits the initial model and state.
 * </ul>
 *
 * Everything random in a round is derived from the run's seed and the round's number (the silos
 * sampled, each silo's training seed), so the checkpoint needs no random generator's position: a
 * resumed run trains exactly what an uninterrupted run would have.
 */
public final class RunState {
  /** The version of run.json and of the checkpoints this build writes and reads. */
  public static final int FORMAT = 1;
  static final String MANIFEST = "run.json";

  /** How a command treats its output folder. */
  public enum Start {
    /** A new run; a folder that holds a run is refused. */
    NEW,
    /** Continue the run the folder holds; a folder without one is refused. */
    RESUME,
    /** Continue the folder's run if it holds one, else start it (a scheduled slice). */
    RESUME_OR_NEW,
    /** Replace the run the folder holds, if any, with a new one. */
    OVERWRITE
  }

  /** A folder's run cannot be started or continued as asked; the message names the folder and why. */
  public static final class Refused extends IllegalArgumentException {
    public Refused(String message) {
      super(message);
    }
  }

  /**
   * What a resume restored: the rounds up to {@code round} (0: none yet; -1: not even the start was
   * committed, so the run starts again) and whether the run finished.
   */
  record Restored(int round, List<RoundLoop.RoundStats> rounds, String finishedReason) {}

  private RunState() {}

  static String manifestUri(String output) {
    return Artifacts.resolve(output, MANIFEST);
  }

  static String checkpointUri(String output, int round) {
    return Artifacts.resolve(Artifacts.resolve(output, "checkpoints"), String.format(Locale.ROOT, "round-%04d.json", round));
  }

  /** Whether {@code output} holds a run (its manifest). */
  public static boolean holdsRun(String output) {
    return Artifacts.exists(manifestUri(output));
  }

  /**
   * Checks, before anything is written, that {@code output} may be used as {@code start} asks with
   * {@code fingerprint}'s settings; returns whether the run is to be resumed.
   *
   * @throws Refused naming the folder and what is wrong
   */
  public static boolean check(String output, Start start, Map<String, String> fingerprint) {
    return check(output, start, fingerprint, true);
  }

  /**
   * As {@link #check(String, Start, Map)}; with {@code complete} false, {@code fingerprint} is only
   * part of the run's settings (a command's early check, before the loop adds its own), and the
   * settings it does not name are not compared.
   */
  public static boolean check(String output, Start start, Map<String, String> fingerprint, boolean complete) {
    String resumeFlag = "--resume";
    String overwriteFlag = "--overwrite";
    boolean holds = holdsRun(output);
    switch (start) {
      case NEW -> {
        if (holds) {
          throw new Refused(output + " already holds a FedBeam run (" + MANIFEST + ", " + describeProgress(output)
              + "); use " + resumeFlag + " to continue it or " + overwriteFlag + " to replace it");
        }
        refuseForeignRun(output, overwriteFlag);
        return false;
      }
      case OVERWRITE -> {
        return false;
      }
      case RESUME -> {
        if (!holds) {
          throw new Refused("cannot resume " + output + ": it holds no FedBeam run (no " + MANIFEST + ")");
        }
      }
      case RESUME_OR_NEW -> {
        if (!holds) {
          refuseForeignRun(output, overwriteFlag);
          return false;
        }
      }
    }
    JsonNode manifest = readManifest(output);
    compare(output, manifest, fingerprint, complete);
    String finished = finishedReason(output);
    if (finished != null) {
      throw new Refused(output + ": its run finished (" + finished + "); there is nothing to resume");
    }
    String kernel = manifest.path("blas_kernel").asText("");
    if (!kernel.isEmpty() && !kernel.equals(blasKernel())) {
      System.err.println("warning: the run in " + output + " was started with the BLAS kernel " + kernel + ", this"
          + " process has " + blasKernel() + ": the resumed rounds may round differently from an uninterrupted run"
          + " (set OPENBLAS_CORETYPE as the run had it)");
    }
    return true;
  }

  /** The OpenBLAS kernel this process runs: OPENBLAS_CORETYPE if set, else OpenBLAS's own choice per CPU. */
  public static String blasKernel() {
    String pinned = System.getenv("OPENBLAS_CORETYPE");
    return pinned == null || pinned.isBlank() ? "chosen by OpenBLAS for this CPU (OPENBLAS_CORETYPE unset)" : pinned;
  }

  /**
   * Why the run in {@code output} finished, as its latest readable checkpoint records it, or null
   * if it has not finished (or holds no run). A cheap look, before anything is written; a resume
   * verifies the whole chain.
   */
  public static String finishedReason(String output) {
    List<String> present = Artifacts.list(Artifacts.resolve(output, "checkpoints/round-*.json"));
    for (int i = present.size() - 1; i >= 0; i--) {
      try {
        JsonNode node = RoundRecords.JSON.readTree(Artifacts.read(present.get(i), "checkpoint"));
        JsonNode finished = node.path("finished");
        return finished.isTextual() ? "at round " + node.path("round").asInt() + ": " + finished.asText() : null;
      } catch (IOException | RuntimeException e) {
        // damaged: the resume's verification says so and falls back; look at the one before
      }
    }
    return null;
  }

  /** Writes the manifest of a new run. */
  static void start(String output, String mode, Map<String, String> fingerprint) {
    ObjectNode manifest = RoundRecords.JSON.createObjectNode();
    manifest.put("format", FORMAT).put("kind", "fedbeam-run").put("mode", mode);
    manifest.put("started", java.time.Instant.now().toString());
    manifest.put("blas_kernel", blasKernel());
    ObjectNode settings = manifest.putObject("settings");
    fingerprint.forEach(settings::put);
    RoundRecords.write(manifestUri(output), manifest);
  }

  /**
   * Deletes every file of the run {@code output} holds (checkpoints first, the manifest last). A
   * symbolic link below the folder (planted by whoever can write there) is removed as a link, never
   * followed: nothing outside the run is deleted.
   */
  static void delete(String output, PrintStream progress) {
    java.nio.file.Path local = Artifacts.localPath(output);
    boolean held = holdsRun(output);
    int deleted = local != null ? deleteLocal(local) : deleteRemote(output);
    if (held) {
      Artifacts.deleteIfExists(manifestUri(output));
    }
    if (held || deleted > 0) {
      progress.println("overwriting the run in " + output + ": deleted its " + deleted + " file(s)");
    }
  }

  private static final List<String> RUN_FOLDERS = List.of("checkpoints", "models", "state", "rounds");

  private static int deleteLocal(java.nio.file.Path root) {
    int[] count = {0};
    if (!java.nio.file.Files.isDirectory(root)) {
      return 0; // a new folder: nothing to delete
    }
    try {
      for (String folder : RUN_FOLDERS) {
        java.nio.file.Path top = root.resolve(folder);
        if (java.nio.file.Files.isSymbolicLink(top) || java.nio.file.Files.isRegularFile(top,
            java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
          java.nio.file.Files.delete(top); // the link itself
          count[0]++;
          continue;
        }
        if (!java.nio.file.Files.isDirectory(top, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
          continue;
        }
        // walkFileTree does not follow links: a link is visited as a file and deleted as a link
        java.nio.file.Files.walkFileTree(top, new java.nio.file.SimpleFileVisitor<>() {
          @Override
          public java.nio.file.FileVisitResult visitFile(java.nio.file.Path file,
              java.nio.file.attribute.BasicFileAttributes attrs) throws IOException {
            java.nio.file.Files.delete(file);
            count[0]++;
            return java.nio.file.FileVisitResult.CONTINUE;
          }

          @Override
          public java.nio.file.FileVisitResult postVisitDirectory(java.nio.file.Path d, IOException e) throws IOException {
            if (e != null) {
              throw e;
            }
            if (!d.equals(top)) {
              java.nio.file.Files.delete(d);
            }
            return java.nio.file.FileVisitResult.CONTINUE;
          }
        });
      }
      try (var files = java.nio.file.Files.newDirectoryStream(root)) {
        for (java.nio.file.Path f : files) {
          String name = f.getFileName().toString();
          if (name.equals("metrics.csv") || name.equals("run-summary.json") || name.endsWith(".fbmb")) {
            java.nio.file.Files.delete(f);
            count[0]++;
          }
        }
      }
    } catch (IOException e) {
      throw new java.io.UncheckedIOException("cannot delete the run in " + root + ": " + e.getMessage(), e);
    }
    return count[0];
  }

  /** Azure Blob storage has no links: the run's files by name. */
  private static int deleteRemote(String output) {
    List<String> files = new ArrayList<>();
    for (String glob : List.of("checkpoints/*", "models/*", "state/*", "rounds/**", "metrics.csv", "run-summary.json",
        "*.fbmb")) {
      files.addAll(Artifacts.list(Artifacts.resolve(output, glob)));
    }
    for (String file : files) {
      Artifacts.deleteIfExists(file);
    }
    return files.size();
  }

  /**
   * Commits round {@code stats.round()} (null stats: round 0, the initial model): its model and state must be
   * written already.
   */
  static void commit(String output, int round, String modelUri, String stateUri, RoundLoop.RoundStats stats,
      String finishedReason) {
    ObjectNode body = RoundRecords.JSON.createObjectNode();
    body.put("format", FORMAT).put("round", round);
    body.put("model_sha256", Artifacts.sha256Hex(Artifacts.read(modelUri, "model of round " + round)));
    body.put("state_sha256", Artifacts.sha256Hex(Artifacts.read(stateUri, "server state of round " + round)));
    if (finishedReason == null) {
      body.putNull("finished");
    } else {
      body.put("finished", finishedReason);
    }
    if (stats != null) {
      body.set("stats", CheckpointStats.toJson(stats));
    }
    body.put("sha256", Artifacts.sha256Hex(oneLine(body).getBytes(StandardCharsets.UTF_8)));
    RoundRecords.write(checkpointUri(output, round), body);
  }

  /**
   * Restores the run {@code output} holds: the longest run of good checkpoints from round 0. A
   * checkpoint that is damaged (unreadable, its checksum or its files' hashes do not match, a model
   * that does not decode or has another shape) ends the run there: the run falls back to the round
   * before it and says so on {@code progress}; later checkpoints are discarded. A checkpoint from a
   * newer format is refused.
   */
  static Restored restore(String output, ModelSpec spec, PrintStream progress) {
    List<RoundLoop.RoundStats> rounds = new ArrayList<>();
    List<String> present = Artifacts.list(Artifacts.resolve(output, "checkpoints/round-*.json"));
    String finished = null;
    int good = -1;
    for (int round = 0; round < present.size(); round++) {
      String uri = checkpointUri(output, round);
      String damage;
      JsonNode checkpoint = null;
      RoundLoop.RoundStats stats = null;
      try {
        checkpoint = verify(output, round, spec);
        if (round > 0) {
          // a checkpoint whose fields do not make a round (edited, with its checksum recomputed) is damaged too
          stats = CheckpointStats.fromJson(checkpoint.get("stats"), round, RoundLoop.modelUri(output, round), spec.classes());
        }
        damage = null;
      } catch (Refused e) {
        throw e;
      } catch (RuntimeException e) {
        damage = e.getMessage();
      }
      if (damage != null) {
        if (round == 0) {
          throw new Refused("cannot resume " + output + ": its initial checkpoint " + uri + " is damaged (" + damage
              + "); nothing good to continue from");
        }
        progress.println("warning: " + uri + " is damaged (" + damage + "); falling back to round " + (round - 1)
            + ", the last good round; round " + round + " and later are run again");
        break;
      }
      good = round;
      if (stats != null) {
        rounds.add(stats);
      }
      finished = checkpoint.get("finished").isNull() ? null : checkpoint.get("finished").asText();
      if (finished != null) {
        break;
      }
    }
    if (good < 0) {
      // cut before its start was committed: the run starts again from round 0
      return new Restored(-1, rounds, null);
    }
    for (String stale : present) {
      int round = roundOf(stale);
      if (round > good) {
        Artifacts.deleteIfExists(stale);
      }
    }
    return new Restored(good, rounds, finished);
  }

  /** The checkpoint of {@code round}, checked against its own checksum and the files it commits. */
  private static JsonNode verify(String output, int round, ModelSpec spec) {
    String uri = checkpointUri(output, round);
    JsonNode node;
    try {
      node = RoundRecords.JSON.readTree(Artifacts.read(uri, "checkpoint"));
    } catch (IOException e) {
      throw new IllegalStateException("not valid JSON: " + e.getMessage());
    }
    if (node == null || !node.isObject()) {
      throw new IllegalStateException("not a JSON object");
    }
    int format = node.path("format").asInt(-1);
    if (format > FORMAT) {
      throw new Refused(uri + ": field format is " + format + ", newer than this build's " + FORMAT
          + "; resume it with the FedBeam that wrote it");
    }
    ObjectNode body = ((ObjectNode) node).deepCopy();
    String sha = body.path("sha256").asText("");
    body.remove("sha256");
    if (!sha.equals(Artifacts.sha256Hex(oneLine(body).getBytes(StandardCharsets.UTF_8)))) {
      throw new IllegalStateException("its checksum does not match its content");
    }
    if (format != FORMAT || node.path("round").asInt(-1) != round || !node.has("finished")
        || (round > 0 && !node.path("stats").isObject())) {
      throw new IllegalStateException("fields format, round, finished or stats are missing or wrong");
    }
    String modelUri = RoundLoop.modelUri(output, round);
    byte[] model = Artifacts.read(modelUri, "model");
    if (!Artifacts.sha256Hex(model).equals(node.path("model_sha256").asText())) {
      throw new IllegalStateException(modelUri + " is not the model the checkpoint committed (SHA-256 differs)");
    }
    if (!ModelFormat.decode(model, modelUri).spec().equals(spec)) {
      throw new IllegalStateException(modelUri + " is not a " + spec.describe());
    }
    String stateUri = RoundLoop.stateUri(output, round);
    byte[] state = Artifacts.read(stateUri, "server state");
    if (!Artifacts.sha256Hex(state).equals(node.path("state_sha256").asText())) {
      throw new IllegalStateException(stateUri + " is not the state the checkpoint committed (SHA-256 differs)");
    }
    return node;
  }

  private static JsonNode readManifest(String output) {
    String uri = manifestUri(output);
    JsonNode manifest = RoundRecords.readJson(uri, "run manifest");
    int format = manifest.path("format").asInt(-1);
    if (format > FORMAT) {
      throw new Refused(uri + ": field format is " + format + ", newer than this build's " + FORMAT
          + "; resume it with the FedBeam that wrote it");
    }
    if (format != FORMAT || !manifest.path("settings").isObject()) {
      throw new Refused(uri + ": not a FedBeam run manifest (field format or settings is missing or wrong)");
    }
    return manifest;
  }

  /** Refuses a resume whose settings differ from the run's, naming the first setting that differs. */
  private static void compare(String output, JsonNode manifest, Map<String, String> fingerprint, boolean complete) {
    JsonNode was = manifest.get("settings");
    Map<String, String> recorded = new TreeMap<>();
    was.fields().forEachRemaining(e -> recorded.put(e.getKey(), e.getValue().asText()));
    for (var e : fingerprint.entrySet()) {
      String before = recorded.get(e.getKey());
      if (!e.getValue().equals(before)) {
        throw new Refused("cannot resume " + output + ": its run was started with " + e.getKey() + " "
            + (before == null ? "unset" : shown(e.getKey(), before)) + ", this command gives "
            + shown(e.getKey(), e.getValue()) + "; resume with the run's settings, or start a new run in another"
            + " folder");
      }
    }
    for (String name : recorded.keySet()) {
      if (complete && !fingerprint.containsKey(name)) {
        throw new Refused("cannot resume " + output + ": its run was started with " + name + " "
            + shown(name, recorded.get(name)) + ", which this command does not give");
      }
    }
  }

  /** A setting's value as a message shows it (no setting holds a secret: a secrets file is fingerprinted by its hash). */
  private static String shown(String name, String value) {
    return "'" + value + "'";
  }

  /** A folder with models or state but no manifest holds a run of an older FedBeam: never mixed into. */
  private static void refuseForeignRun(String output, String overwriteFlag) {
    for (String dir : List.of("models", "state", "checkpoints")) {
      if (!Artifacts.list(Artifacts.resolve(Artifacts.resolve(output, dir), "*")).isEmpty()) {
        throw new Refused(output + " holds " + dir + "/ but no " + MANIFEST + " (a run of an older FedBeam, or files"
            + " of another tool); a new run is not mixed into it: choose another folder or use " + overwriteFlag);
      }
    }
  }

  private static String describeProgress(String output) {
    int checkpoints = Artifacts.list(Artifacts.resolve(output, "checkpoints/round-*.json")).size();
    return checkpoints <= 1 ? "no round completed" : (checkpoints - 1) + " round(s) completed";
  }

  private static int roundOf(String checkpointUri) {
    String name = checkpointUri.substring(checkpointUri.lastIndexOf('/') + 1);
    try {
      return Integer.parseInt(name.substring("round-".length(), name.length() - ".json".length()));
    } catch (RuntimeException e) {
      return -1;
    }
  }

  private static String oneLine(JsonNode node) {
    try {
      return RoundRecords.oneLine(node);
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }
}
