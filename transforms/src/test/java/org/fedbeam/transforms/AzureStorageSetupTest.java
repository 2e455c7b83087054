package org.fedbeam.transforms;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.allOf;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.net.ConnectException;
import java.net.Socket;
import java.nio.file.Path;
import java.util.List;
import org.apache.beam.sdk.io.FileSystems;
import org.apache.beam.sdk.io.azure.options.BlobstoreOptions;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.fedbeam.transforms.storage.AzureContainers;
import org.fedbeam.transforms.storage.ConnectionStringClientFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The pieces around azfs that need no running emulator, or start their own: the client factory's
 * configuration (and its behaviour without a connection string), container names, and the Azurite
 * helper's start, stop and missing-install failure.
 */
class AzureStorageSetupTest {

  @Test
  void configureSetsTheConnectionStringAndTheFactory() {
    BlobstoreOptions options = ConnectionStringClientFactory.configure(PipelineOptionsFactory.create(), "CS");

    assertThat(List.of(options.getAzureConnectionString(), options.getBlobstoreClientFactoryClass()),
        equalTo(List.of("CS", ConnectionStringClientFactory.class)));
  }

  @Test
  void theFactoryParsesItsOptionFromArgs() {
    BlobstoreOptions options = PipelineOptionsFactory.fromArgs(
        "--blobstoreClientFactoryClass=" + ConnectionStringClientFactory.class.getName(),
        "--azureConnectionString=CS").as(BlobstoreOptions.class);

    assertThat(options.getBlobstoreClientFactoryClass(), equalTo(ConnectionStringClientFactory.class));
  }

  @Test
  void withoutAConnectionStringLocalFilesStillWork(@TempDir Path dir) {
    String uri = dir.resolve("model.fbm").toString();
    FileSystems.setDefaultPipelineOptions(factoryWithoutConnectionString());
    try {
      Artifacts.writeAtomically(uri, new byte[] {1, 2});

      assertThat(Artifacts.read(uri, "model"), equalTo(new byte[] {1, 2}));
    } finally {
      FileSystems.setDefaultPipelineOptions(PipelineOptionsFactory.create());
    }
  }

  @Test
  void withoutAConnectionStringTheFirstAzfsCallNamesTheOption() {
    FileSystems.setDefaultPipelineOptions(factoryWithoutConnectionString());
    try {
      IllegalStateException e = assertThrows(IllegalStateException.class,
          () -> Artifacts.exists("azfs://devstoreaccount1/models/round-0001.fbm"));

      assertThat(e.getMessage(), allOf(containsString("azureConnectionString must be set"), containsString("was unset"),
          containsString("/models/round-0001.fbm")));
    } finally {
      FileSystems.setDefaultPipelineOptions(PipelineOptionsFactory.create());
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"ab", "Upper", "double--hyphen", "-leading", "trailing-", "under_score"})
  void anInvalidContainerNameIsRefusedWithTheName(String name) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> AzureContainers.ensure("UseDevelopmentStorage=true", name));

    assertThat(e.getMessage(), allOf(containsString("container must be 3-63 lowercase"), containsString("was " + name)));
  }

  @Test
  void containerOfTakesTheSecondPartOfAnAzfsUri() {
    assertThat(AzureContainers.containerOf("azfs://devstoreaccount1/models/run-1/round-0001.fbm"), equalTo("models"));
  }

  @ParameterizedTest
  @ValueSource(strings = {"/data/models/x.fbm", "azfs://devstoreaccount1", "azfs://devstoreaccount1/", "gs://b/c/x"})
  void containerOfRefusesWhatIsNotAnAzfsPath(String uri) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> AzureContainers.containerOf(uri));

    assertThat(e.getMessage(), allOf(containsString("azfs://ACCOUNT/CONTAINER/path"), containsString("was " + uri)));
  }

  @Test
  void aMissingAzuriteFailsWithTheInstallCommand() {
    IllegalStateException e = assertThrows(IllegalStateException.class, () -> Azurite.findExecutable("/nonexistent"));

    assertThat(e.getMessage(), allOf(containsString("azurite-blob"), containsString("not on the PATH"),
        containsString("npm install -g azurite@3.35.0")));
  }

  @Test
  void aStartedAzuriteCreatesContainersAndStopsWhenClosed() throws Exception {
    Azurite azurite = new Azurite();
    int port;
    boolean created;
    boolean createdAgain;
    try {
      azurite.start();
      port = azurite.port();
      created = AzureContainers.ensure(azurite.connectionString(), "setup-test");
      createdAgain = AzureContainers.ensure(azurite.connectionString(), "setup-test");
    } finally {
      azurite.close();
    }

    assertThat(List.of(created, createdAgain, azurite.isRunning(), accepts(port)),
        equalTo(List.of(true, false, false, false)));
  }

  private static BlobstoreOptions factoryWithoutConnectionString() {
    return PipelineOptionsFactory.fromArgs(
        "--blobstoreClientFactoryClass=" + ConnectionStringClientFactory.class.getName()).as(BlobstoreOptions.class);
  }

  private static boolean accepts(int port) throws Exception {
    try (Socket ignored = new Socket("127.0.0.1", port)) {
      return true;
    } catch (ConnectException refused) {
      return false;
    }
  }
}
