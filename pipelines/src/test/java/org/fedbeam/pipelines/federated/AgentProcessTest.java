package org.fedbeam.pipelines.federated;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.empty;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.fedbeam.model.TrainConfig;
import org.fedbeam.pipelines.Fixtures;
import org.fedbeam.pipelines.protocol.Exchange;
import org.fedbeam.pipelines.protocol.Messages;
import org.fedbeam.transforms.Artifacts;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The silo agent as its own OS process: killed mid-round it leaves no partial answer and answers
 * after a restart; on SIGTERM it finishes the request in hand, publishes it whole, and exits.
 */
@Tag("slow")
class AgentProcessTest {
  private static final String JOB = "job-p";
  /** Long enough that the agent is still training when the test acts on it. */
  private static final TrainConfig LONG = new TrainConfig(400, 8, 0.05, 0.9, 0);
  @TempDir
  Path dir;
  private World world;
  private Process process;

  @BeforeEach
  void setUp() throws Exception {
    world = new World(dir, List.of("alpha"));
    world.writePolicy("alpha", world.policy("alpha").put("max_epochs", 1000));
    // a larger shard than the default, so a round takes seconds
    Artifacts.writeAtomically(world.data.get("alpha"), org.fedbeam.data.DatasetFormat.encode(
        Fixtures.blobs("alpha", 4000, 301L)));
  }

  @AfterEach
  void tearDown() {
    if (process != null && process.isAlive()) {
      process.destroyForcibly();
    }
  }

  @Test
  void aSiloKilledMidRoundLeavesNoPartialAnswerAndAnswersAfterARestart() throws Exception {
    publishLongRequest();
    process = agent(false);
    waitForAudit("\"decision\":\"accepted\"");

    process.destroyForcibly().waitFor(30, TimeUnit.SECONDS);

    Exchange ex = new Exchange(world.exchanges.get("alpha"));
    Exchange.Slot slot = new Exchange.Slot(JOB, 1, 1);
    assertThat("the round must still be training when the agent is killed; make the job longer",
        Artifacts.exists(ex.answer(slot)), equalTo(false));
    assertThat(tempFiles(), empty());

    process = agent(true); // restarted: answers what waits, then exits
    assertThat(process.waitFor(5, TimeUnit.MINUTES), equalTo(true));

    assertThat(world.answer("alpha", JOB, 1, 1).type(), equalTo(Messages.UPDATE));
    List<String> audit = world.auditLines("alpha");
    assertThat(audit.stream().filter(l -> l.contains("\"decision\":\"accepted\"")).count(), equalTo(2L));
    assertThat(audit, hasItem(containsString("\"decision\":\"update sent\"")));
    assertThat(tempFiles(), empty());
  }

  @Test
  void onSigtermTheAgentFinishesTheRequestInHandAndStops() throws Exception {
    process = agent(false);
    waitForLog("watching");
    publishLongRequest();
    waitForAudit("\"decision\":\"accepted\"");

    process.destroy(); // SIGTERM
    assertThat(process.waitFor(3, TimeUnit.MINUTES), equalTo(true));

    assertThat(log(), containsString("silo agent alpha stopped"));
    assertThat(world.answer("alpha", JOB, 1, 1).type(), equalTo(Messages.UPDATE));
    assertThat(tempFiles(), empty());
  }

  private void publishLongRequest() {
    byte[] global = World.encode(world.initialModel());
    Messages.RoundRequest r = world.request("alpha", JOB, 1, 1, Artifacts.sha256Hex(global));
    world.publish("alpha", new Messages.RoundRequest(r.jobId(), r.round(), r.attempt(), r.nonce(), r.silo(), r.pipeline(),
        r.spec(), r.modelSha256(), LONG, r.seed(), System.currentTimeMillis() + 600_000), world.submitter, global);
  }

  private Process agent(boolean once) throws IOException {
    List<String> args = new java.util.ArrayList<>(List.of("agent", "--policy=" + world.policies.get("alpha"),
        "--runner=DirectRunner"));
    if (once) {
      args.add("--once");
    }
    return org.fedbeam.pipelines.cli.FedBeamProcess.start(args, dir.resolve("agent.log"));
  }

  private String log() throws IOException {
    Path log = dir.resolve("agent.log");
    return Files.exists(log) ? Files.readString(log) : "";
  }

  private void waitForLog(String text) throws Exception {
    long deadline = System.currentTimeMillis() + 120_000;
    while (!log().contains(text)) {
      if (!process.isAlive() || System.currentTimeMillis() > deadline) {
        throw new AssertionError("the agent never logged '" + text + "'; its log:\n" + log());
      }
      Thread.sleep(50);
    }
  }

  private void waitForAudit(String text) throws Exception {
    long deadline = System.currentTimeMillis() + 120_000;
    while (world.auditLines("alpha").stream().noneMatch(l -> l.contains(text))) {
      if (!process.isAlive() || System.currentTimeMillis() > deadline) {
        throw new AssertionError("the audit log never recorded '" + text + "'; the agent's log:\n" + log());
      }
      Thread.sleep(20);
    }
  }

  /** Temporary files of interrupted writes anywhere in the exchange. */
  private List<Path> tempFiles() throws IOException {
    try (Stream<Path> files = Files.walk(Path.of(world.exchanges.get("alpha")))) {
      return files.filter(f -> f.getFileName().toString().contains(".tmp-")).toList();
    }
  }
}
