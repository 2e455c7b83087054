package org.fedbeam.pipelines.cli;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.startsWith;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.fedbeam.pipelines.protocol.JobSpec;
import org.fedbeam.pipelines.protocol.Keys;
import org.fedbeam.pipelines.protocol.Signed;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code fedbeam job new} and {@code fedbeam job check} through {@link FedBeam#run}, as a user runs
 * them, on real key pairs: the new file passes the check and the orchestrator's reader takes it;
 * a file with several bad fields gets each one named and exit code 2; comments are accepted.
 */
class JobCommandTest {
  @TempDir
  Path dir;
  private Keys.Identity a;
  private Keys.Identity b;

  @BeforeEach
  void keys() throws Exception {
    Keys.create(dir.resolve("submitter"));
    a = Keys.create(dir.resolve("silo-a"));
    b = Keys.create(dir.resolve("silo-b"));
  }

  @Test
  void aNewJobPassesTheCheckAsItIsAndTheOrchestratorReadsIt() throws Exception {
    Path job = newJob("fedprox");

    Run check = run("job", "check", job.toString());

    assertThat(check.out, check.code, equalTo(0));
    assertThat(check.out, startsWith("OK " + job + ": job study-1 trains mlp 30-16-2 with fedprox"));
    JobSpec spec = JobSpec.read(job);
    assertThat(spec.silos().get(0).id(), equalTo("hospital-a"));
    assertThat(spec.silos().get(1).keys().get(0).key(), equalTo(b.publicKey()));
    assertThat(spec.silos().get(0).exchange(), equalTo("azfs://hospa/exchange/fedbeam"));
    assertThat(spec.rounds(), equalTo(12));
    assertThat(spec.strategy().name(), equalTo("fedprox"));
    assertThat(spec.submitterKey(), equalTo(dir.resolve("submitter")));
  }

  @Test
  void aJobWithSeveralBadFieldsGetsEachNamedOnItsOwnLineAndExitCode2() throws Exception {
    ObjectNode j = (ObjectNode) JobSpec.JSON.readTree(Files.readAllBytes(newJob("fedavg")));
    j.put("roundz", 3);
    ((ObjectNode) j.get("train")).put("learning_rate", -1).put("epochs", 0);
    ((ObjectNode) j.get("silos").get(1)).put("public_key", "bm90IGEga2V5");
    ((ObjectNode) j.get("silos").get(0)).put("exchange", "azfs://acct/x?sig=1");
    j.put("rounds", 0);
    j.put("poll_ms", 1);
    j.putObject("strategy").put("name", "fedadam").put("server_lr", -1).put("tau", 5);
    Path bad = dir.resolve("bad.json");
    Files.write(bad, Signed.JSON.writeValueAsBytes(j));

    Run check = run("job", "check", bad.toString());

    assertThat(check.code, equalTo(2));
    List<String> lines = check.out.lines().toList();
    String where = "job file " + bad + ": ";
    for (String expected : List.of(where.replace(": ", "") + " has an unknown field \"roundz\"",
        where + "train.epochs must be >= 1, was 0", where + "train.learning_rate must be a finite number > 0, was -1.0",
        where + "silos[1].public_key: not a Base64 Ed25519 public key",
        where + "silos[0].exchange: 'azfs://acct/x?sig=1' is not a well-formed URI",
        where + "rounds must be a whole number in [1, 2147483647], was 0",
        where + "poll_ms must be a whole number in [5, 60000], was 1",
        where + "strategy: strategy fedadam: server_lr must be in (0, 10], was -1",
        where + "strategy: strategy fedadam: tau must be in (0, 1], was 5")) {
      assertThat(check.out, lines.stream().anyMatch(l -> l.startsWith(expected)), equalTo(true));
    }
    assertThat(check.out, containsString("9 problems in " + bad));
  }

  @Test
  void commentsAreAcceptedAndAnUnloadableSubmitterKeyIsNamed() throws Exception {
    Path job = newJob("fedavg");
    String text = Files.readString(job);
    assertThat(text, containsString("// "));
    assertThat(text, containsString("docs/job.md"));
    Files.writeString(job, "/* a block comment\n   over two lines */\n" + text.replace("\"seed\": 42,",
        "\"seed\": 42, /* inline */"));
    assertThat(run("job", "check", job.toString()).code, equalTo(0));

    Files.delete(dir.resolve("submitter/private.pem"));
    Run check = run("job", "check", job.toString());
    assertThat(check.code, equalTo(2));
    assertThat(check.out, containsString("submitter_key: cannot load the key pair in " + dir.resolve("submitter")));
  }

  @Test
  void newRefusesABadSiloOrModelNamingTheFlag() throws Exception {
    Run r = run("job", "new", "--job-id", "x", "--silo", "a=/tmp/ex=" + dir.resolve("nothing.pem"), "--model",
        "mlp:3-2-2", "--rounds", "1", "--output", "o");
    assertThat(r.code, equalTo(2));
    assertThat(r.err, containsString("--silo a=/tmp/ex=" + dir.resolve("nothing.pem") + ": cannot read"));
    r = run("job", "new", "--job-id", "x", "--silo", "a=/tmp/ex=" + dir.resolve("silo-a"), "--model", "mlp:3-2",
        "--rounds", "1", "--output", "o");
    assertThat(r.err, containsString("mlp needs at least one hidden layer"));
  }

  private Path newJob(String strategy) {
    Path job = dir.resolve("job-" + strategy + ".json");
    Run r = run("job", "new", "--job-id", "study-1", "--silo", "hospital-a=azfs://hospa/exchange/fedbeam="
        + dir.resolve("silo-a/public.pem"), "--silo=hospital-b=" + dir.resolve("exchange-b") + "=" + dir.resolve("silo-b"),
        "--model", "mlp:30-16-2", "--strategy", strategy, "--rounds", "12", "--output", dir.resolve("run").toString(),
        "--submitter-key", dir.resolve("submitter").toString(), "--out", job.toString());
    assertThat(r.err, r.code, equalTo(0));
    return job;
  }

  private record Run(int code, String out, String err) {}

  private static Run run(String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int code = FedBeam.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8));
    return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }
}
