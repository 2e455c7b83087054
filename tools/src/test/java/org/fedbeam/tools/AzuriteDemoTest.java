package org.fedbeam.tools;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.allOf;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.empty;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.greaterThan;
import static org.hamcrest.Matchers.hasItems;
import static org.hamcrest.Matchers.not;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.azure.storage.blob.BlobServiceClientBuilder;
import com.azure.storage.blob.models.BlobItem;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.apache.beam.sdk.io.FileSystems;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.fedbeam.pipelines.protocol.Signed;
import org.fedbeam.testing.AzuriteServer;
import org.fedbeam.transforms.Artifacts;
import org.fedbeam.transforms.storage.ContainerAccounts;
import org.fedbeam.transforms.storage.ContainerAccountsClientFactory;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code fedbeam demo federated --storage azurite} end to end on real Fashion-MNIST: two silo
 * agents and the orchestrator as separate processes on a real Azurite, each container in its own
 * account. The demo runs once; the tests then read what it left, through a second Azurite started
 * on the same data (the demo stops its own).
 */
@Tag("slow")
class AzuriteDemoTest {
  private static final List<String> SILOS = List.of("silo-00", "silo-01");
  private static final List<String> PRIVATE = List.of("silo-00-private", "silo-01-private");
  private static final List<String> PRIVATE_ACCOUNTS = List.of("silo00private", "silo01private");
  private static final List<String> EXCHANGES = List.of("silo-00-exchange", "silo-01-exchange");
  private static final String ORCHESTRATOR = "orchestrator";
  /** What would open a container or name a way to one: none may be in the orchestrator's job. */
  private static final List<String> CREDENTIAL_MARKERS = List.of("AccountKey", "SharedAccessSignature", "sig=",
      "password", "DefaultEndpointsProtocol");

  @TempDir
  static Path dir;
  private static String output;
  private static JsonNode summary;
  private static double demoSeconds;
  private static ContainerAccounts operator;
  private static boolean azuriteRunningAfterDemo;
  private static AzuriteServer reopened;

  @BeforeAll
  static void runTheDemoThenReopenItsStorage() throws Exception {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    long started = System.nanoTime();
    try (PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8)) {
      Demo.run(List.of("--silos", "2", "--rounds", "2", "--hidden", "16", "--storage", "azurite",
          "--output", dir.toString()), out);
    } finally {
      output = bytes.toString(StandardCharsets.UTF_8);
      demoSeconds = (System.nanoTime() - started) / 1e9;
      System.out.printf("demo --storage azurite: %.1f s%n%s%n", demoSeconds, output);
    }
    azuriteRunningAfterDemo = azuriteRunning();
    String line = output.lines().filter(l -> l.startsWith("SUMMARY ")).reduce((a, b) -> b).orElseThrow();
    summary = Signed.JSON.readTree(line.substring("SUMMARY ".length()));
    operator = ContainerAccounts.read(dir.resolve("azurite/operator-containers.json"));
    Map<String, String> keys = new LinkedHashMap<>();
    operator.containers().values().forEach(a -> keys.put(a.name(), a.key()));
    reopened = AzuriteServer.start(dir.resolve("azurite"), keys);
  }

  @AfterAll
  static void stopAzurite() {
    if (reopened != null) {
      reopened.close();
    }
    FileSystems.setDefaultPipelineOptions(PipelineOptionsFactory.create());
  }

  @Test
  void theJobCompletesOnAzuriteWithTheSimulationsModel() {
    assertThat(List.of(summary.path("storage").asText(), summary.path("rounds_completed").asInt(),
            summary.path("updates_accepted").asInt(), summary.path("updates_refused").asInt(),
            summary.path("same_model_as_simulation").asBoolean()),
        equalTo(List.of("azurite", 2, 4, 0, true)));
    assertThat(summary.path("fl_accuracy").asDouble(), greaterThan(0.6));
  }

  @Test
  void everyPartyRanInItsOwnProcess() {
    Set<Long> pids = new TreeSet<>();
    summary.path("silo_pids").forEach(p -> pids.add(p.asLong()));
    pids.add(summary.path("orchestrator_pid").asLong());

    assertThat(pids.size(), equalTo(3));
  }

  @Test
  void theDemoStopsAzuriteAndEveryProcess() {
    assertThat(List.of(summary.path("agent_exit_codes").path("silo-00").asInt(),
            summary.path("agent_exit_codes").path("silo-01").asInt(), azuriteRunningAfterDemo,
            azuriteRunning()), // the reopened emulator: the check does see one that runs
        equalTo(List.of(143, 143, false, true)));
  }

  @Test
  void eachSilosPrivateContainerHoldsItsShardAndItsAuditLog() {
    for (int s = 0; s < SILOS.size(); s++) {
      List<String> names = blobs(PRIVATE.get(s));

      assertThat(PRIVATE.get(s), names, hasItems("train.fbds", "state/audit.jsonl"));
      assertThat(PRIVATE.get(s), names.stream().filter(n -> n.startsWith("models/") || n.startsWith("run/")).toList(),
          empty());
    }
  }

  @Test
  void theAuditLogsRecordTwoUpdatesSentPerSilo() {
    for (String container : PRIVATE) {
      String audit = new String(download(container, "state/audit.jsonl"), StandardCharsets.UTF_8);

      assertThat(container, audit.lines().filter(l -> l.contains("\"decision\":\"update sent\"")).count(),
          equalTo(2L));
    }
  }

  @Test
  void eachExchangeHoldsTheRequestsAndAnswersOfBothRounds() {
    String job = summary.path("job_id").asText();
    for (String container : EXCHANGES) {
      List<String> names = blobs(container);

      assertThat(container, names, hasItems("requests/" + job + "/r0001-a1.json", "requests/" + job + "/r0002-a1.json",
          "requests/" + job + "/r0001-a1-global.fbm", "answers/" + job + "/r0001-a1.json",
          "answers/" + job + "/r0002-a1.json", "answers/" + job + "/r0002-a1-update.fbm"));
      assertThat(container, names.stream().filter(n -> !n.startsWith("requests/") && !n.startsWith("answers/")).toList(),
          empty());
    }
  }

  @Test
  void theOrchestratorsContainerHoldsTheEvaluationSetsModelsAndRoundRecords() {
    assertThat(blobs(ORCHESTRATOR), hasItems("validation.fbds", "test.fbds", "run/models/round-0002.fbm",
        "run/rounds/round-0001/round.json", "run/rounds/round-0002/round.json", "run/run-summary.json"));
  }

  @Test
  void noLocalCopyOfTheDataIsLeft() {
    List<Path> leftovers = new ArrayList<>();
    for (String silo : SILOS) {
      leftovers.add(dir.resolve("silos").resolve(silo).resolve("train.fbds"));
      leftovers.add(dir.resolve("silos").resolve(silo).resolve("state"));
    }
    leftovers.add(dir.resolve("orchestrator/validation.fbds"));
    leftovers.add(dir.resolve("orchestrator/test.fbds"));
    leftovers.add(dir.resolve("orchestrator/run"));
    leftovers.add(dir.resolve("exchange"));

    assertThat(leftovers.stream().filter(Files::exists).toList(), empty());
  }

  @Test
  void noTemporaryBlobIsLeftInAnyContainer() {
    List<String> temporary = new ArrayList<>();
    for (String container : operator.containerNames()) {
      blobs(container).stream().filter(n -> n.contains(".tmp-")).forEach(n -> temporary.add(container + "/" + n));
    }

    assertThat(temporary, empty());
  }

  @Test
  void theJobFileNamesNoSiloPrivateContainerOrPathAndHoldsNoCredential() throws Exception {
    String job = Files.readString(dir.resolve("orchestrator/job.json"));

    assertThat(forbiddenIn(job), empty());
  }

  @Test
  void theOrchestratorsCommandLineNamesNoSiloPrivateContainerOrPathAndHoldsNoCredential() {
    String line = output.lines().filter(l -> l.startsWith("orchestrator started, pid ")).findFirst().orElseThrow();

    assertThat(forbiddenIn(line), empty());
  }

  @Test
  void theOrchestratorHoldsKeysOnlyForItsOwnContainerAndTheExchanges() {
    ContainerAccounts own = ContainerAccounts.read(dir.resolve("orchestrator/azure-containers.json"));

    assertThat(own.containerNames(), equalTo(new TreeSet<>(List.of(ORCHESTRATOR, EXCHANGES.get(0), EXCHANGES.get(1)))));
    assertThat(forbiddenKeysIn(own), empty());
  }

  @Test
  void theOrchestratorsFileCannotReachASilosPrivateData() {
    FileSystems.setDefaultPipelineOptions(ContainerAccountsClientFactory.configure(
        PipelineOptionsFactory.create(), dir.resolve("orchestrator/azure-containers.json")));

    IllegalStateException e = assertThrows(IllegalStateException.class,
        () -> Artifacts.read("azfs://silo00private/silo-00-private/train.fbds", "silo data"));

    assertThat(e.getMessage(), containsString("no Azure account for container 'silo-00-private'"));
  }

  @Test
  void aSiloHoldsKeysOnlyForItsOwnContainers() {
    ContainerAccounts silo0 = ContainerAccounts.read(dir.resolve("silos/silo-00/azure-containers.json"));

    assertThat(silo0.containerNames(), equalTo(new TreeSet<>(List.of(EXCHANGES.get(0), PRIVATE.get(0)))));
  }

  @Test
  void theDemoTakesUnderTwoMinutes() {
    assertThat(demoSeconds, allOf(greaterThan(0.0), not(greaterThan(120.0))));
  }

  /** Silo-private containers, their accounts, the silos' local paths, credential markers, private keys: any found. */
  private static List<String> forbiddenIn(String text) {
    List<String> forbidden = new ArrayList<>(PRIVATE);
    forbidden.addAll(PRIVATE_ACCOUNTS);
    forbidden.add(dir.resolve("silos").toString());
    forbidden.addAll(CREDENTIAL_MARKERS);
    for (String container : PRIVATE) {
      forbidden.add(operator.accountOf(container).key());
    }
    return forbidden.stream().filter(text::contains).toList();
  }

  /** The silo-private accounts' keys found among {@code accounts}' keys. */
  private static List<String> forbiddenKeysIn(ContainerAccounts accounts) {
    List<String> privateKeys = PRIVATE.stream().map(c -> operator.accountOf(c).key()).toList();
    return accounts.containers().values().stream().map(ContainerAccounts.Account::key).filter(privateKeys::contains)
        .toList();
  }

  private static List<String> blobs(String container) {
    return new BlobServiceClientBuilder().connectionString(connectionString(container)).buildClient()
        .getBlobContainerClient(container).listBlobs().stream().map(BlobItem::getName).toList();
  }

  private static byte[] download(String container, String blob) {
    return new BlobServiceClientBuilder().connectionString(connectionString(container)).buildClient()
        .getBlobContainerClient(container).getBlobClient(blob).downloadContent().toBytes();
  }

  /** The container's account on the reopened emulator (same key, new port). */
  private static String connectionString(String container) {
    return reopened.connectionString(operator.accountOf(container).name());
  }

  /** True if an azurite-blob process runs with the demo's data folder. */
  private static boolean azuriteRunning() {
    String location = dir.resolve("azurite/data").toString();
    return ProcessHandle.allProcesses().anyMatch(p -> p.info().commandLine()
        .map(c -> c.contains(AzuriteServer.EXECUTABLE) && c.contains(location)).orElse(false));
  }
}
