package org.fedbeam.pipelines.federated;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.allOf;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.empty;
import static org.hamcrest.Matchers.endsWith;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.greaterThan;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.hasSize;
import static org.hamcrest.Matchers.startsWith;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.fedbeam.data.Dataset;
import org.fedbeam.data.DatasetFormat;
import org.fedbeam.data.table.CategoricalColumn;
import org.fedbeam.data.table.NumericColumn;
import org.fedbeam.data.table.Table;
import org.fedbeam.data.table.TableFormat;
import org.fedbeam.model.DpSgd;
import org.fedbeam.model.TrainConfig;
import org.fedbeam.pipelines.cli.FedBeamProcess;
import org.fedbeam.pipelines.protocol.Keys;
import org.fedbeam.pipelines.protocol.Signed;
import org.fedbeam.pipelines.rounds.SiloPipeline;
import org.fedbeam.transforms.Artifacts;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The agent's start-up checks against a real policy file, real keys, a real shard or prepared table,
 * a real privacy ledger and a real exchange folder: each warning names the policy field and the
 * figures, a satisfiable policy gives none, and the agent's own process prints them and still starts.
 */
class AgentStartChecksTest {
  private static final String SILO = "alpha";
  private static final String REFUSED = ": every training request will be refused";
  private static final Instant NOW = Instant.parse("2026-06-01T12:00:00Z");
  @TempDir
  Path dir;
  private World world;

  @BeforeEach
  void setUp() throws Exception {
    world = new World(dir, List.of(SILO));
  }

  /** The checks for the policy {@code p}, written to the silo's policy file and read back as the agent reads it. */
  private List<String> check(ObjectNode p) throws Exception {
    return AgentStartChecks.check(SiloPolicy.read(world.writePolicy(SILO, p)), NOW);
  }

  private String data() {
    return world.data.get(SILO);
  }

  /** A prepared table of {@code labels.length} rows, one numeric feature, label 'diagnosis'; returns its path. */
  private String table(String name, List<String> dictionary, int[] labels) {
    double[] age = new double[labels.length];
    Arrays.setAll(age, i -> 30 + i % 40);
    Table t = new Table(name, List.of(new NumericColumn("age", age)), new CategoricalColumn("diagnosis", dictionary, labels));
    String uri = world.privateDir(SILO).resolve(name).toString();
    Artifacts.writeAtomically(uri, TableFormat.encode(t));
    return uri;
  }

  @Test
  void aPolicyItsDataKeysLedgerAndExchangeSatisfyGivesNoWarning() throws Exception {
    assertThat(check(world.policy(SILO)), empty());
    // the exchange probe is gone again
    assertThat(Files.exists(Path.of(world.exchanges.get(SILO), AgentStartChecks.PROBE)), equalTo(false));
  }

  @Test
  void aPreparedTableWithEnoughRowsAndTwoClassesGivesNoWarning() throws Exception {
    int[] labels = new int[60];
    Arrays.setAll(labels, i -> i % 2);
    String table = table("train.fbt", List.of("benign", "malignant"), labels);

    assertThat(check(world.policy(SILO).put("data", table).put("min_samples", 60)), empty());
  }

  @Test
  void fewerRowsThanMinSamplesIsNamedWithBothFigures() throws Exception {
    int[] labels = new int[57];
    Arrays.setAll(labels, i -> i % 2);
    String table = table("train.fbt", List.of("benign", "malignant"), labels);

    List<String> warnings = check(world.policy(SILO).put("data", table).put("min_samples", 100));

    assertThat(warnings, equalTo(List.of("policy min_samples is 100 but data " + table + " has 57 rows" + REFUSED)));
  }

  @Test
  void declaredSamplesAboveTheShardsRowsIsNamedWithBothFigures() throws Exception {
    List<String> warnings = check(world.policy(SILO).put("declared_samples", 150));

    assertThat(warnings, equalTo(List.of("policy declared_samples is 150 but data " + data()
        + " has 120 rows: the silo declares more samples than it holds")));
  }

  @Test
  void aMissingDataFileIsNamedWithItsUri() throws Exception {
    String missing = world.privateDir(SILO).resolve("gone.fbds").toString();

    List<String> warnings = check(world.policy(SILO).put("data", missing).put("declared_samples", 120));

    assertThat(warnings, equalTo(List.of("policy data " + missing + " cannot be read (it does not exist)" + REFUSED)));
  }

  @Test
  void aFileThatIsNeitherAShardNorATableIsNamedWithTheReason() throws Exception {
    Path csv = world.privateDir(SILO).resolve("export.csv");
    Files.writeString(csv, "id;age;diagnosis\n1;40;benign\n");

    List<String> warnings = check(world.policy(SILO).put("data", csv.toString()));

    assertThat(warnings, equalTo(List.of("policy data " + csv + " cannot be read (it is neither a numeric shard (FBDS)"
        + " nor a prepared table (FBTB): bad magic number)" + REFUSED)));
  }

  @Test
  void aDamagedTableIsNamedWithTheDecodersReason() throws Exception {
    int[] labels = new int[60];
    Arrays.setAll(labels, i -> i % 2);
    String table = table("train.fbt", List.of("benign", "malignant"), labels);
    byte[] bytes = Files.readAllBytes(Path.of(table));
    bytes[bytes.length / 2] ^= 1;
    Files.write(Path.of(table), bytes);

    List<String> warnings = check(world.policy(SILO).put("data", table));

    assertThat(warnings, hasSize(1));
    assertThat(warnings.get(0), allOf(startsWith("policy data " + table + " cannot be read ("),
        containsString("SHA-256 mismatch"), endsWith(REFUSED)));
  }

  @Test
  void aTableWhoseLabelHasOneClassIsNamed() throws Exception {
    String table = table("train.fbt", List.of("benign", "malignant"), new int[80]);

    List<String> warnings = check(world.policy(SILO).put("data", table));

    assertThat(warnings, equalTo(List.of("policy data " + table + ": its label 'diagnosis' has 1 class in 80 rows,"
        + " fewer than the 2 any approved model needs: no training on it can learn anything")));
  }

  @Test
  void aShardWhoseLabelsHaveOneClassIsNamed() throws Exception {
    Dataset blobs = org.fedbeam.pipelines.Fixtures.blobs(SILO, 40, 9L);
    float[] features = new float[40 * blobs.featureCount()];
    for (int r = 0; r < 40; r++) {
      blobs.copyRow(r, features, r * blobs.featureCount());
    }
    Artifacts.writeAtomically(data(), DatasetFormat.encode(new Dataset(SILO, features, new int[40], blobs.featureCount(), 3)));

    List<String> warnings = check(world.policy(SILO));

    assertThat(warnings, equalTo(List.of("policy data " + data() + ": its label column has 1 class in 40 rows,"
        + " fewer than the 2 any approved model needs: no training on it can learn anything")));
  }

  @Test
  void anApprovedPipelineWithAnotherDigestIsNamedWithBothDigests() throws Exception {
    ObjectNode p = world.policy(SILO);
    String old = "ab".repeat(32);
    p.putArray("approved_pipelines").addObject().put("name", SiloPipeline.NAME).put("version", "1").put("sha256", old);

    List<String> warnings = check(p);

    assertThat(warnings, equalTo(List.of("policy approved_pipelines names " + SiloPipeline.NAME + " 1 with sha256 " + old
        + " but this build's is " + SiloPipeline.VERSION + " with sha256 " + SiloPipeline.definitionSha256()
        + ": its requests will be refused (NOT_APPROVED)")));
  }

  @Test
  void noApprovedPipelineOfThisBuildIsNamed() throws Exception {
    ObjectNode p = world.policy(SILO);
    p.putArray("approved_pipelines").addObject().put("name", "someone-elses").put("version", "3").put("sha256", "cd".repeat(32));

    List<String> warnings = check(p);

    assertThat(warnings, equalTo(List.of("policy approved_pipelines has 1 entry but none is this build's silo pipeline "
        + SiloPipeline.NAME + " " + SiloPipeline.VERSION + " sha256 " + SiloPipeline.definitionSha256() + REFUSED)));
  }

  @Test
  void everyTrustedKeyRevokedOrOutsideItsWindowIsNamedKeyByKey() throws Exception {
    Keys.Identity late = Keys.create(dir.resolve("late/key"));
    Keys.Identity expired = Keys.create(dir.resolve("expired/key"));
    ObjectNode p = world.policy(SILO);
    var submitters = p.putArray("trusted_submitters");
    submitters.addObject().put("name", "tester").put("public_key", world.submitter.publicKeyBase64());
    submitters.addObject().put("name", "late").put("public_key", late.publicKeyBase64())
        .put("not_before", "2027-01-01T00:00:00Z");
    submitters.addObject().put("name", "expired").put("public_key", expired.publicKeyBase64())
        .put("not_after", "2026-01-01T00:00:00Z");
    Path revoked = world.privateDir(SILO).resolve(TrustedKeys.DEFAULT_REVOCATION_FILE);
    Files.writeString(revoked, "{\"revoked\": [{\"key_id\": \"" + world.submitter.keyId() + "\", \"reason\": \"lost\"}]}");

    List<String> warnings = check(p);

    assertThat(warnings, equalTo(List.of("policy trusted_submitters has 3 keys but none is trusted at " + NOW
        + " (expired not_after 2026-01-01T00:00:00Z passed; late not_before 2027-01-01T00:00:00Z not reached; tester"
        + " revoked in " + revoked + "): every request will be moved aside unanswered")));
  }

  @Test
  void noTrustedKeyAtAllIsNamed() throws Exception {
    ObjectNode p = world.policy(SILO);
    p.putArray("trusted_submitters");

    assertThat(check(p), equalTo(List.of("policy trusted_submitters lists no key: every request will be moved aside"
        + " unanswered")));
  }

  @Test
  void aSpentLifetimeBudgetIsNamedWithTheBudgetAndTheSpend() throws Exception {
    ObjectNode p = world.policy(SILO);
    p.putObject("differential_privacy").put("required", true).put("max_epsilon", 8.0).put("delta", 1e-5);
    String state = p.get("state").asText();
    // a real charge, under a budget large enough to admit it, that spends more than the policy's 8
    PrivacyLedger ledger = new PrivacyLedger(state);
    double spent = ledger.charge(new PrivacyPolicy(true, 1000, 1e-5, 10, 0.1),
        new TrainConfig(5, 8, 0.1, 0, 0).withPrivacy(new DpSgd(1.0, 0.5)), 120, "job-x r0001-a1");
    assertThat("the charge must spend more than the policy's budget", spent, greaterThan(8.0));

    List<String> warnings = check(p);

    assertThat(warnings, equalTo(List.of("policy differential_privacy max_epsilon is 8 but the privacy ledger "
        + Artifacts.resolve(state, PrivacyLedger.FILE) + " has spent " + AgentStartChecks.figure(spent)
        + " at delta 0.00001 and DP is required" + REFUSED)));
  }

  @Test
  void aSpentBudgetIsNoWarningWhenDpIsNotRequired() throws Exception {
    ObjectNode p = world.policy(SILO); // World's policies opt out of DP
    new PrivacyLedger(p.get("state").asText()).charge(new PrivacyPolicy(true, 1000, 1e-5, 10, 0.1),
        new TrainConfig(5, 8, 0.1, 0, 0).withPrivacy(new DpSgd(1.0, 0.5)), 120, "job-x r0001-a1");

    assertThat(check(p), empty());
  }

  @Test
  void anExchangeThatCannotBeWrittenIsNamedWithTheReason() throws Exception {
    Path file = dir.resolve("a-file");
    Files.writeString(file, "not a folder");
    String exchange = file.resolve("exchange").toString(); // below a regular file: nothing can be made there

    List<String> warnings = check(world.policy(SILO).put("exchange", exchange));

    assertThat(warnings, hasSize(1));
    assertThat(warnings.get(0), allOf(startsWith("policy exchange " + exchange + " cannot be listed and written ("),
        endsWith("): no request can be answered")));
  }

  @Test
  void theAgentProcessPrintsTheWarningRecordsItAndStillStarts() throws Exception {
    world.writePolicy(SILO, world.policy(SILO).put("min_samples", 500)); // the shard has 120 rows
    Path log = dir.resolve("agent.log");

    Process agent = FedBeamProcess.start(List.of("agent", "--policy=" + world.policies.get(SILO), "--runner=DirectRunner",
        "--once"), log);

    assertThat(agent.waitFor(3, TimeUnit.MINUTES), equalTo(true));
    String printed = Files.readString(log, StandardCharsets.UTF_8);
    assertThat(printed, agent.exitValue(), equalTo(0));
    String warning = "policy min_samples is 500 but data " + data() + " has 120 rows" + REFUSED;
    assertThat(printed, Arrays.asList(printed.split("\n")), hasItem("warning: " + warning));
    assertThat(printed, containsString("silo agent alpha (pid")); // it started all the same
    List<String> audit = world.auditLines(SILO);
    assertThat(audit, hasItem(containsString("\"decision\":\"start checks\"")));
    JsonNode event = Signed.JSON.readTree(audit.stream().filter(l -> l.contains("start checks")).findFirst().orElseThrow());
    assertThat(event.path("warnings").size(), equalTo(1));
    assertThat(event.path("warnings").get(0).asText(), equalTo(warning));
    assertThat(Audit.verify(world.privateDir(SILO).resolve("state/audit.jsonl").toString()).ok(), equalTo(true));
  }
}
