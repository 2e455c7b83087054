package org.fedbeam.pipelines.cli;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.fedbeam.model.ModelKind;
import org.fedbeam.model.strategy.Strategies;
import org.fedbeam.pipelines.protocol.JobFileException;
import org.fedbeam.pipelines.protocol.JobSpec;
import org.fedbeam.pipelines.protocol.Keys;

/**
 * {@code fedbeam job check JOB.json} and {@code fedbeam job new ...}. {@code check} reads the job
 * as the orchestrator does ({@link JobSpec#read}, whose checks {@code job.schema.json} states and a
 * test keeps in step) and also loads the submitter's key pair: each bad field is printed on its own
 * line and the exit code is 2; a good job gets a one-paragraph summary and 0. {@code new} writes a
 * commented job file that {@code check} accepts as it is; the comments explain each field and point
 * to docs/job.md.
 */
final class JobCommand {
  static final String USAGE = "usage: fedbeam job check JOB.json   names each bad field of a job file (exit 2), or"
      + " summarises the job (exit 0)\n"
      + "       fedbeam job new --job-id ID --silo ID=EXCHANGE_URI=PUBLIC_KEY_FILE ... --model mlp:IN-HIDDEN-OUT|"
      + "logreg:IN-OUT --strategy NAME --rounds N --output DIR [--submitter-key DIR] [--out JOB.json]";
  static final List<Option> NEW = List.of(
      Option.required("job-id", "ID", "The job's id"),
      Option.required("model", "KIND:WIDTHS", "mlp:IN-HIDDEN...-OUT or logreg:IN-OUT, e.g. mlp:30-16-2"),
      Option.text("strategy", "NAME", "The strategy: " + String.join(", ", Strategies.all().stream()
          .map(Strategies.Entry::name).toList())).withDefault(Strategies.DEFAULT),
      Option.required("rounds", "N", "The most rounds the job runs").ofKind(Option.Kind.WHOLE),
      Option.required("output", "DIR", "Where the orchestrator writes models, records and the summary"),
      Option.text("submitter-key", "DIR", "The submitter's key pair folder (fedbeam keys new)").withDefault("key"),
      Option.text("out", "JOB.json", "The job file to write (refused if it exists); default: print it"));
  /** The repeatable flag, taken out before the others are checked. */
  static final String SILO = "silo";

  private JobCommand() {}

  static int run(List<String> args, PrintStream out, PrintStream err) throws IOException {
    if (!args.isEmpty() && args.get(0).equals("check") && args.size() == 2) {
      return check(Path.of(args.get(1)), out);
    }
    if (!args.isEmpty() && args.get(0).equals("new")) {
      return create(args.subList(1, args.size()), out);
    }
    err.println(USAGE);
    return 2;
  }

  /** Prints each problem of {@code file} on its own line (exit 2), or a summary of the job (exit 0). */
  static int check(Path file, PrintStream out) {
    List<String> problems = new ArrayList<>();
    JobSpec job = null;
    try {
      job = JobSpec.read(file);
    } catch (JobFileException e) {
      problems.addAll(e.problems());
    } catch (IllegalArgumentException e) {
      problems.add(e.getMessage());
    }
    if (job != null) {
      try {
        Keys.load(job.submitterKey());
      } catch (IllegalArgumentException e) {
        problems.add("job file " + file + ": submitter_key: cannot load the key pair in " + job.submitterKey() + ": "
            + e.getMessage());
      }
    }
    if (!problems.isEmpty()) {
      problems.forEach(out::println);
      out.println(problems.size() + (problems.size() == 1 ? " problem" : " problems") + " in " + file
          + "; docs/job.md documents every field");
      return 2;
    }
    out.println(summary(job, file));
    return 0;
  }

  static String summary(JobSpec job, Path file) {
    return String.format(java.util.Locale.ROOT, "OK %s: job %s trains %s with %s %s for up to %d rounds on %d silos"
        + " (%s); each round asks %d and closes with %d updates or after %.0f s, trying %d times. Local training: %d"
        + " epoch(s), batch %d, learning rate %s%s. Output: %s; evaluation: %s.", file, job.jobId(), job.spec(),
        job.strategy().name(), job.strategy().parameters(), job.rounds(), job.silos().size(),
        job.silos().stream().map(s -> s.id() + " at " + s.exchange()).collect(Collectors.joining(", ")),
        job.participation().perRound(job.silos().size()), job.minSilos(), job.roundTimeoutMillis() / 1000.0,
        job.maxAttempts(), job.config().epochs(), job.config().batchSize(), job.config().learningRate(),
        job.config().privacy() == null ? ", no DP-SGD" : ", DP-SGD clip " + job.config().privacy().clip(),
        job.output(), job.evaluation().isEmpty() ? "none" : job.evaluation().keySet());
  }

  /** {@code job new}: a commented job file, printed or written to {@code --out}. */
  static int create(List<String> args, PrintStream out) throws IOException {
    List<String> silos = new ArrayList<>();
    List<String> rest = new ArrayList<>();
    for (int i = 0; i < args.size(); i++) {
      String a = args.get(i);
      if (a.equals("--" + SILO) && i + 1 < args.size()) {
        silos.add(args.get(++i));
      } else if (a.startsWith("--" + SILO + "=")) {
        silos.add(a.substring(SILO.length() + 3));
      } else {
        rest.add(a);
      }
    }
    if (silos.isEmpty()) {
      throw new IllegalArgumentException("job new needs at least one --silo ID=EXCHANGE_URI=PUBLIC_KEY_FILE");
    }
    Map<String, String> f = Flags.values("job new", rest, NEW);
    String text = JobTemplate.write(f.get("job-id"), silos.stream().map(JobCommand::silo).toList(),
        model(f.get("model")), Strategies.entry(f.getOrDefault("strategy", Strategies.DEFAULT)),
        Integer.parseInt(f.get("rounds")), f.get("output"), f.getOrDefault("submitter-key", "key"));
    if (f.containsKey("out")) {
      Path file = Path.of(f.get("out"));
      if (Files.exists(file, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
        throw new IllegalArgumentException("--out " + file + " exists" + (Files.isSymbolicLink(file)
            ? " as a symbolic link" : "") + "; it was left as it is");
      }
      try {
        // CREATE_NEW: never through a link planted at the name between the check and the write
        Files.writeString(file, text, StandardCharsets.UTF_8, java.nio.file.StandardOpenOption.CREATE_NEW,
            java.nio.file.StandardOpenOption.WRITE);
      } catch (java.nio.file.FileAlreadyExistsException e) {
        throw new IllegalArgumentException("--out " + file + " exists; it was left as it is");
      }
      out.println("job file written to " + file + "; check it with: fedbeam job check " + file);
    } else {
      out.print(text);
    }
    return 0;
  }

  /** {@code ID=EXCHANGE_URI=PUBLIC_KEY_FILE}: the key file is a public.pem, or a key folder holding one. */
  static JobTemplate.Silo silo(String spec) {
    int first = spec.indexOf('=');
    int last = spec.lastIndexOf('=');
    if (first < 1 || last <= first + 1 || last == spec.length() - 1) {
      throw new IllegalArgumentException("--silo " + spec + " must be ID=EXCHANGE_URI=PUBLIC_KEY_FILE");
    }
    Path keyFile = Path.of(spec.substring(last + 1));
    if (Files.isDirectory(keyFile)) {
      keyFile = keyFile.resolve("public.pem");
    }
    String base64;
    try {
      base64 = new String(org.fedbeam.pipelines.protocol.ConfigFields.readBounded(keyFile, 16 << 10,
          "--silo " + spec), StandardCharsets.US_ASCII).lines()
          .filter(l -> !l.startsWith("-----")).map(String::strip).collect(Collectors.joining());
    } catch (IOException e) {
      throw new IllegalArgumentException("--silo " + spec + ": cannot read the public key file " + keyFile + ": " + e);
    }
    Keys.publicKey(base64, "--silo " + spec + ": " + keyFile);
    return new JobTemplate.Silo(spec.substring(0, first), spec.substring(first + 1, last), base64);
  }

  /** {@code mlp:30-16-2} or {@code logreg:30-2}. */
  static JobTemplate.Model model(String text) {
    int colon = text.indexOf(':');
    if (colon < 1) {
      throw new IllegalArgumentException("--model " + text + " must be mlp:IN-HIDDEN-OUT or logreg:IN-OUT");
    }
    ModelKind kind = ModelKind.parse(text.substring(0, colon));
    List<Integer> layers = new ArrayList<>();
    for (String w : text.substring(colon + 1).split("-")) {
      try {
        layers.add(Integer.parseInt(w.strip()));
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("--model " + text + ": width '" + w + "' is not a whole number");
      }
    }
    new org.fedbeam.model.ModelSpec(kind, layers); // its checks, with its messages
    return new JobTemplate.Model(kind.id(), layers);
  }
}
