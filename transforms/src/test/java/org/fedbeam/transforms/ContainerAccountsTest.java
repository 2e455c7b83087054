package org.fedbeam.transforms;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.allOf;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.not;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.azure.storage.blob.BlobServiceClientBuilder;
import com.azure.storage.blob.models.BlobItem;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import org.apache.beam.sdk.io.FileSystems;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.fedbeam.testing.AzuriteServer;
import org.fedbeam.transforms.storage.AzureContainers;
import org.fedbeam.transforms.storage.ContainerAccounts;
import org.fedbeam.transforms.storage.ContainerAccountsClientFactory;
import org.fedbeam.transforms.storage.ContainerAccountsOptions;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link ContainerAccountsClientFactory} against a real Azurite serving two accounts: one process
 * uses containers of both, each with its own key; a container its file does not list is refused
 * before any request; a key works only for its own account.
 */
class ContainerAccountsTest {
  private static final String OWNER = "owneraccount";
  private static final String SHARED = "sharedaccount";
  private static final String PRIVATE_BOX = "owner-private";
  private static final String SHARED_BOX = "shared-box";
  private static final byte[] BYTES = {1, 2, 3, 4, 5};

  @TempDir
  static Path dir;
  private static AzuriteServer azurite;
  private static Map<String, String> keys;

  @BeforeAll
  static void startAzuriteWithTwoAccounts() {
    keys = Map.of(OWNER, AzuriteServer.newAccountKey(), SHARED, AzuriteServer.newAccountKey());
    azurite = AzuriteServer.start(dir.resolve("azurite"), keys);
    AzureContainers.ensure(azurite.connectionString(OWNER), PRIVATE_BOX);
    AzureContainers.ensure(azurite.connectionString(SHARED), SHARED_BOX);
  }

  @AfterAll
  static void stopAzurite() {
    azurite.close();
  }

  @AfterEach
  void restoreDefaultFileSystems() {
    FileSystems.setDefaultPipelineOptions(PipelineOptionsFactory.create());
  }

  @Test
  void oneProcessWritesAtomicallyIntoContainersOfTwoAccounts() {
    use(file("owner.json", Map.of(PRIVATE_BOX, OWNER, SHARED_BOX, SHARED)));

    Artifacts.writeAtomically(uri(PRIVATE_BOX, "a/model.bin"), BYTES);
    Artifacts.writeAtomically(uri(SHARED_BOX, "a/model.bin"), BYTES);
    Artifacts.writeAtomically(uri(SHARED_BOX, "a/model.bin"), new byte[] {9});

    assertThat(List.of(blobs(OWNER, PRIVATE_BOX, "a/"), blobs(SHARED, SHARED_BOX, "a/"),
            Artifacts.read(uri(PRIVATE_BOX, "a/model.bin"), "model").length,
            Artifacts.read(uri(SHARED_BOX, "a/model.bin"), "model").length),
        equalTo(List.of(List.of("a/model.bin"), List.of("a/model.bin"), BYTES.length, 1)));
  }

  @Test
  void aGlobListsTheBlobsOfARoutedContainer() throws Exception {
    use(file("lister.json", Map.of(SHARED_BOX, SHARED)));
    Artifacts.writeAtomically(uri(SHARED_BOX, "g/r0001.json"), BYTES);
    Artifacts.writeAtomically(uri(SHARED_BOX, "g/r0002.json"), BYTES);

    List<String> found = FileSystems.match(uri(SHARED_BOX, "g/*.json")).metadata().stream()
        .map(m -> m.resourceId().getFilename()).sorted().toList();

    assertThat(found, equalTo(List.of("r0001.json", "r0002.json")));
  }

  @Test
  void aContainerTheFileDoesNotListIsRefusedNamingIt() {
    use(file("guest.json", Map.of(SHARED_BOX, SHARED)));

    IllegalStateException e = assertThrows(IllegalStateException.class,
        () -> Artifacts.exists(uri(PRIVATE_BOX, "train.fbds")));

    assertThat(e.getMessage(), allOf(containsString("no Azure account for container 'owner-private'"),
        containsString("only the containers [shared-box]")));
  }

  @Test
  void anotherAccountsKeyDoesNotOpenAContainer() {
    Path forged = dir.resolve("forged.json");
    new ContainerAccounts(Map.of(PRIVATE_BOX, new ContainerAccounts.Account(OWNER, azurite.blobEndpoint(OWNER),
        keys.get(SHARED)))).write(forged);
    use(forged);

    RuntimeException e = assertThrows(RuntimeException.class,
        () -> Artifacts.writeAtomically(uri(PRIVATE_BOX, "a/forged.bin"), BYTES));

    assertThat(causes(e), allOf(containsString("Status code 403"), containsString("AuthorizationFailure")));
  }

  @Test
  void withoutTheOptionTheFirstAzfsCallNamesIt() {
    FileSystems.setDefaultPipelineOptions(PipelineOptionsFactory.fromArgs(
        "--blobstoreClientFactoryClass=" + ContainerAccountsClientFactory.class.getName()).create());

    IllegalStateException e = assertThrows(IllegalStateException.class, () -> Artifacts.exists(uri(SHARED_BOX, "x")));

    assertThat(e.getMessage(), allOf(containsString("azureContainerAccounts must be set"), containsString("was unset")));
  }

  @Test
  void aMissingFileIsNamedAtTheFirstAzfsCall() {
    use(dir.resolve("missing.json"));

    RuntimeException e = assertThrows(RuntimeException.class, () -> Artifacts.exists(uri(SHARED_BOX, "x")));

    assertThat(e.getMessage(), allOf(containsString("cannot read the Azure containers file"),
        containsString("missing.json")));
  }

  @Test
  void aFileOfAnotherFormatIsRefusedNamingTheFormat() throws Exception {
    Path file = Files.writeString(dir.resolve("other.json"), "{\"containers\": {}}");

    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ContainerAccounts.read(file));

    assertThat(e.getMessage(), allOf(containsString(file.toString()), containsString(ContainerAccounts.FORMAT)));
  }

  @Test
  void aConnectionStringWithoutAKeyIsRefusedWithoutEchoingIt() throws Exception {
    Path file = Files.writeString(dir.resolve("sas.json"), "{\"format\": \"" + ContainerAccounts.FORMAT
        + "\", \"containers\": {\"shared-box\": \"AccountName=x;SharedAccessSignature=sv=secret\"}}");

    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ContainerAccounts.read(file));

    assertThat(e.getMessage(), allOf(containsString("container shared-box"), containsString("AccountKey"),
        not(containsString("secret"))));
  }

  @Test
  void theFileIsReadableByItsOwnerOnly() throws Exception {
    Path file = file("perms.json", Map.of(SHARED_BOX, SHARED));

    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file)), equalTo("rw-------"));
  }

  @Test
  void theOptionParsesFromACommandLineThroughTheRegistrar() {
    PipelineOptions options = PipelineOptionsFactory.fromArgs(ContainerAccountsClientFactory.flags(Path.of("/x/a.json"))
        .toArray(String[]::new)).withValidation().create();

    assertThat(options.as(ContainerAccountsOptions.class).getAzureContainerAccounts(), equalTo("/x/a.json"));
  }

  @Test
  void anInvalidAccountNameIsRefusedBeforeStarting() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> AzuriteServer.start(dir.resolve("never"), Map.of("Silo_00", AzuriteServer.newAccountKey())));

    assertThat(e.getMessage(), allOf(containsString("3-24 lowercase letters and digits"), containsString("was Silo_00")));
  }

  /** The service's answer is in the causes. */
  private static String causes(Throwable e) {
    StringBuilder all = new StringBuilder();
    for (Throwable t = e; t != null; t = t.getCause()) {
      all.append(t.getMessage()).append('\n');
    }
    return all.toString();
  }

  private static Path file(String name, Map<String, String> containerToAccount) {
    Map<String, ContainerAccounts.Account> containers = new java.util.LinkedHashMap<>();
    containerToAccount.forEach((container, account) -> containers.put(container,
        ContainerAccounts.Account.fromConnectionString(azurite.connectionString(account))));
    Path file = dir.resolve(name);
    new ContainerAccounts(containers).write(file);
    return file;
  }

  private static void use(Path file) {
    FileSystems.setDefaultPipelineOptions(ContainerAccountsClientFactory.configure(PipelineOptionsFactory.create(), file));
  }

  /** The account part is ignored by Beam: the container alone decides where a request goes. */
  private static String uri(String container, String blob) {
    return "azfs://ignored/" + container + "/" + blob;
  }

  /** Every blob name under {@code prefix}, temporary ones included, listed with the account's own key. */
  private static List<String> blobs(String account, String container, String prefix) {
    return new BlobServiceClientBuilder().connectionString(azurite.connectionString(account)).buildClient()
        .getBlobContainerClient(container).listBlobs().stream().map(BlobItem::getName)
        .filter(n -> n.startsWith(prefix)).toList();
  }
}
