package org.fedbeam.transforms;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.allOf;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.nullValue;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Whole-artifact reads and atomic writes at URIs, on the local file system. */
class ArtifactsTest {
  private static final byte[] FIRST = {1, 2, 3, 4, 5, 6, 7, 8};
  private static final byte[] SECOND = {42, 43};

  @TempDir
  Path dir;

  @Test
  void readReturnsTheBytesWritten() {
    String uri = dir.resolve("model.fbm").toString();

    Artifacts.writeAtomically(uri, FIRST);

    assertThat(Artifacts.read(uri, "model"), equalTo(FIRST));
  }

  @Test
  void aSecondWriteReplacesTheFirst() {
    String uri = dir.resolve("model.fbm").toString();
    Artifacts.writeAtomically(uri, FIRST);

    Artifacts.writeAtomically(uri, SECOND);

    assertThat(Artifacts.read(uri, "model"), equalTo(SECOND));
  }

  @Test
  void anEmptyArtifactRoundTrips() {
    String uri = dir.resolve("empty.bin").toString();

    Artifacts.writeAtomically(uri, new byte[0]);

    assertThat(Artifacts.read(uri, "empty artifact"), equalTo(new byte[0]));
  }

  @Test
  void noTemporaryFileRemainsAfterWrites() throws IOException {
    String uri = dir.resolve("model.fbm").toString();

    Artifacts.writeAtomically(uri, FIRST);
    Artifacts.writeAtomically(uri, SECOND);

    try (Stream<Path> files = Files.list(dir)) {
      assertThat(files.map(f -> f.getFileName().toString()).toList(), equalTo(List.of("model.fbm")));
    }
  }

  @Test
  void aWriteCreatesMissingFolders() {
    String uri = dir.resolve("rounds").resolve("round-0001").resolve("model.fbm").toString();

    Artifacts.writeAtomically(uri, FIRST);

    assertThat(Artifacts.read(uri, "model"), equalTo(FIRST));
  }

  @Test
  void aFailedWriteNamesTheUri() throws IOException {
    Path blocker = dir.resolve("not-a-folder");
    Files.write(blocker, FIRST);
    String uri = blocker.resolve("model.fbm").toString();

    UncheckedIOException e = assertThrows(UncheckedIOException.class, () -> Artifacts.writeAtomically(uri, SECOND));

    assertThat(e.getMessage(), allOf(containsString("cannot write"), containsString(uri)));
  }

  @Test
  void readingAMissingArtifactNamesWhatAndTheUri() {
    String uri = dir.resolve("round-0007.fbm").toString();

    UncheckedIOException e = assertThrows(UncheckedIOException.class, () -> Artifacts.read(uri, "global model"));

    assertThat(e.getMessage(), allOf(containsString("global model"), containsString(uri),
        containsString("does not exist")));
  }

  @Test
  void metadataReportsTheSizeOfAnExistingArtifact() {
    String uri = dir.resolve("model.fbm").toString();
    Artifacts.writeAtomically(uri, FIRST);

    assertThat(Artifacts.metadataOrNull(uri).sizeBytes(), equalTo((long) FIRST.length));
  }

  @Test
  void metadataIsNullForAMissingArtifact() {
    assertThat(Artifacts.metadataOrNull(dir.resolve("missing.fbm").toString()), nullValue());
  }

  @Test
  void existsIsTrueOnlyAfterAWrite() {
    String uri = dir.resolve("model.fbm").toString();
    boolean before = Artifacts.exists(uri);

    Artifacts.writeAtomically(uri, FIRST);

    assertThat(List.of(before, Artifacts.exists(uri)), equalTo(List.of(false, true)));
  }

  @ParameterizedTest
  @CsvSource({
      "/data/rounds, model.fbm, /data/rounds/model.fbm",
      "/data/rounds/, model.fbm, /data/rounds/model.fbm",
      "azfs://acct/container/run, round-0001.fbm, azfs://acct/container/run/round-0001.fbm"
  })
  void resolvePutsExactlyOneSlashBetweenFolderAndName(String folder, String name, String expected) {
    assertThat(Artifacts.resolve(folder, name), equalTo(expected));
  }
}
