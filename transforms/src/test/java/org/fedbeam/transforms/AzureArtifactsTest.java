package org.fedbeam.transforms;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.allOf;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.nullValue;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.azure.core.util.BinaryData;
import com.azure.storage.blob.BlobContainerClient;
import com.azure.storage.blob.BlobServiceClientBuilder;
import com.azure.storage.blob.models.BlobItem;
import java.io.UncheckedIOException;
import java.util.Arrays;
import java.util.List;
import java.util.UUID;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.io.FileSystems;
import org.apache.beam.sdk.io.azure.options.BlobstoreOptions;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.values.PCollection;
import org.fedbeam.transforms.storage.AzureContainers;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * {@link Artifacts} on {@code azfs://} against a real Azurite blob emulator: the same guarantees as
 * on local files (round trip, replace, absent means null, atomic for readers), plus containers.
 */
class AzureArtifactsTest {
  @RegisterExtension
  static final Azurite AZURITE = new Azurite();

  private static final byte[] FIRST = {1, 2, 3, 4, 5, 6, 7, 8};
  private static final byte[] SECOND = {42, 43};
  private static final String BLOB = "a/b.bin";

  /** A fresh container per test, so no test sees another's blobs. */
  private String container;

  @BeforeAll
  static void pointFileSystemsAtAzurite() {
    FileSystems.setDefaultPipelineOptions(AZURITE.pipelineOptions());
  }

  @AfterAll
  static void restoreDefaultFileSystems() {
    FileSystems.setDefaultPipelineOptions(PipelineOptionsFactory.create());
  }

  @BeforeEach
  void createContainer() {
    container = newContainer();
  }

  @Test
  void readReturnsTheBytesWritten() {
    String uri = uri(container, BLOB);

    Artifacts.writeAtomically(uri, FIRST);

    assertThat(Artifacts.read(uri, "model"), equalTo(FIRST));
  }

  @Test
  void aSecondWriteReplacesTheFirst() {
    String uri = uri(container, BLOB);
    Artifacts.writeAtomically(uri, FIRST);

    Artifacts.writeAtomically(uri, SECOND);

    assertThat(Artifacts.read(uri, "model"), equalTo(SECOND));
  }

  @Test
  void anEmptyArtifactRoundTrips() {
    String uri = uri(container, "empty.bin");

    Artifacts.writeAtomically(uri, new byte[0]);

    assertThat(Artifacts.read(uri, "empty artifact"), equalTo(new byte[0]));
  }

  @Test
  void onlyTheArtifactRemainsAfterWrites() {
    String uri = uri(container, BLOB);

    Artifacts.writeAtomically(uri, FIRST);
    Artifacts.writeAtomically(uri, SECOND);

    assertThat(blobNames(container), equalTo(List.of(BLOB)));
  }

  @Test
  void metadataReportsTheSizeOfAnExistingBlob() {
    String uri = uri(container, BLOB);
    Artifacts.writeAtomically(uri, FIRST);

    assertThat(Artifacts.metadataOrNull(uri).sizeBytes(), equalTo((long) FIRST.length));
  }

  @Test
  void existsIsTrueOnlyAfterAWrite() {
    String uri = uri(container, BLOB);
    boolean before = Artifacts.exists(uri);

    Artifacts.writeAtomically(uri, FIRST);

    assertThat(List.of(before, Artifacts.exists(uri)), equalTo(List.of(false, true)));
  }

  @Test
  void metadataIsNullForAMissingBlob() {
    assertThat(Artifacts.metadataOrNull(uri(container, "missing.bin")), nullValue());
  }

  @Test
  void metadataIsNullInAMissingContainer() {
    assertThat(Artifacts.metadataOrNull(uri("no-such-container", BLOB)), nullValue());
  }

  @Test
  void readingAMissingBlobNamesWhatAndTheUri() {
    String uri = uri(container, "round-0007.fbm");

    UncheckedIOException e = assertThrows(UncheckedIOException.class, () -> Artifacts.read(uri, "global model"));

    assertThat(e.getMessage(), allOf(containsString("global model"), containsString(uri),
        containsString("does not exist")));
  }

  @Test
  void aLeftoverTemporaryBlobIsNotTakenForTheArtifact() {
    String uri = uri(container, BLOB);
    // What a writer that crashed after uploading its temporary blob, before the rename, leaves behind.
    containerClient(container).getBlobClient(BLOB + ".tmp-xyz").upload(BinaryData.fromBytes(FIRST));

    UncheckedIOException e = assertThrows(UncheckedIOException.class, () -> Artifacts.read(uri, "model"));

    assertThat(List.of(Artifacts.exists(uri), e.getMessage().contains("does not exist")), equalTo(List.of(false, true)));
  }

  @Test
  void aWriteAfterACrashedOneReadsBackItsOwnBytes() {
    String uri = uri(container, BLOB);
    containerClient(container).getBlobClient(BLOB + ".tmp-xyz").upload(BinaryData.fromBytes(FIRST));

    Artifacts.writeAtomically(uri, SECOND);

    assertThat(Artifacts.read(uri, "model"), equalTo(SECOND));
  }

  @Test
  void twoContainersAreSeparate() {
    String other = newContainer();

    Artifacts.writeAtomically(uri(container, BLOB), FIRST);

    assertThat(List.of(Artifacts.exists(uri(container, BLOB)), Artifacts.exists(uri(other, BLOB))),
        equalTo(List.of(true, false)));
  }

  @Test
  void sameNameInTwoContainersHoldsTwoArtifacts() {
    String other = newContainer();

    Artifacts.writeAtomically(uri(container, BLOB), FIRST);
    Artifacts.writeAtomically(uri(other, BLOB), SECOND);

    assertThat(List.of(Arrays.toString(Artifacts.read(uri(container, BLOB), "first")),
            Arrays.toString(Artifacts.read(uri(other, BLOB), "second"))),
        equalTo(List.of(Arrays.toString(FIRST), Arrays.toString(SECOND))));
  }

  @Test
  void writingIntoAMissingContainerNamesTheUri() {
    String uri = uri("no-such-container", BLOB);

    UncheckedIOException e = assertThrows(UncheckedIOException.class, () -> Artifacts.writeAtomically(uri, FIRST));

    assertThat(e.getMessage(), allOf(containsString("cannot write"), containsString(uri),
        containsString("container does not exist")));
  }

  @Test
  void anArtifactOverTheCopyLimitIsRefusedOnAzfsBeforeAnyIo() {
    String uri = uri(container, BLOB);

    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> Artifacts.requireRenamable("azfs", Artifacts.AZFS_MAX_ARTIFACT_BYTES + 1, uri));

    assertThat(e.getMessage(), allOf(containsString(uri), containsString("268435457 bytes"),
        containsString("at most 268435456 bytes")));
  }

  @Test
  void theCopyLimitIsInclusiveAndOnlyForAzfs() {
    Artifacts.requireRenamable("azfs", Artifacts.AZFS_MAX_ARTIFACT_BYTES, "azfs://a/c/x");
    Artifacts.requireRenamable("file", Artifacts.AZFS_MAX_ARTIFACT_BYTES + 1, "/tmp/x");
  }

  @Test
  void aDoFnOnTheDirectRunnerReadsAndWritesAzfsThroughThePipelinesOptions() {
    String input = uri(container, "in/model.bin");
    String output = uri(container, "out/model.bin");
    Artifacts.writeAtomically(input, FIRST);
    // Forget Azurite outside the pipeline: the DoFn can only reach it through the pipeline's options.
    FileSystems.setDefaultPipelineOptions(PipelineOptionsFactory.create());
    BlobstoreOptions options = AZURITE.pipelineOptions("--runner=DirectRunner");
    Pipeline p = Pipeline.create(options);

    PCollection<Integer> sizes = p.apply("Uris", Create.of(input))
        .apply("CopyReversed", ParDo.of(new CopyReversedFn(output)));
    PAssert.that(sizes).containsInAnyOrder(FIRST.length);
    p.run().waitUntilFinish();

    FileSystems.setDefaultPipelineOptions(AZURITE.pipelineOptions());
    assertThat(Artifacts.read(output, "copy"), equalTo(new byte[] {8, 7, 6, 5, 4, 3, 2, 1}));
  }

  /** Reads the artifact at each input URI and writes it reversed to {@code output}; emits its size. */
  static class CopyReversedFn extends DoFn<String, Integer> {
    private final String output;

    CopyReversedFn(String output) {
      this.output = output;
    }

    @ProcessElement
    public void processElement(@Element String uri, OutputReceiver<Integer> out) {
      byte[] bytes = Artifacts.read(uri, "input");
      byte[] reversed = new byte[bytes.length];
      for (int i = 0; i < bytes.length; i++) {
        reversed[i] = bytes[bytes.length - 1 - i];
      }
      Artifacts.writeAtomically(output, reversed);
      out.output(bytes.length);
    }
  }

  private static String newContainer() {
    String name = "artifacts-" + UUID.randomUUID().toString().substring(0, 8);
    AzureContainers.ensure(AZURITE.connectionString(), name);
    return name;
  }

  private static String uri(String container, String blob) {
    return "azfs://" + Azurite.ACCOUNT + "/" + container + "/" + blob;
  }

  private static BlobContainerClient containerClient(String container) {
    return new BlobServiceClientBuilder().connectionString(AZURITE.connectionString()).buildClient()
        .getBlobContainerClient(container);
  }

  private static List<String> blobNames(String container) {
    return containerClient(container).listBlobs().stream().map(BlobItem::getName).toList();
  }
}
