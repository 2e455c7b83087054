package org.fedbeam.transforms;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.allOf;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.not;
import static org.hamcrest.Matchers.sameInstance;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.Arrays;
import org.fedbeam.data.Dataset;
import org.fedbeam.data.DatasetFormat;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Loading shards by URI, the per-JVM cache, and the errors that name the owner and the file. */
class SiloDataTest {
  private static final Dataset SHARD = Fixtures.blobs("silo-a", 40, 61L);
  /** Same shape as {@link #SHARD}, so the file keeps its size; only the values differ. */
  private static final Dataset SAME_SIZE_SHARD = Fixtures.blobs("silo-a", 40, 62L);
  private static final Dataset LARGER_SHARD = Fixtures.blobs("silo-a", 41, 63L);
  private static final FileTime EARLIER = FileTime.fromMillis(1_700_000_000_000L);
  private static final FileTime LATER = FileTime.fromMillis(1_700_000_060_000L);

  @TempDir
  Path dir;

  @Test
  void loadReturnsTheShardsRows() {
    String uri = Fixtures.writeShard(dir, "train.fbds", SHARD);

    Dataset loaded = SiloData.load(uri, "silo silo-a");

    assertThat(DatasetFormat.encode(loaded), equalTo(DatasetFormat.encode(SHARD)));
  }

  @Test
  void anUnchangedFileIsServedFromTheCache() {
    String uri = Fixtures.writeShard(dir, "train.fbds", SHARD);
    Dataset first = SiloData.load(uri, "silo silo-a");

    Dataset second = SiloData.load(uri, "silo silo-a");

    assertThat(second, sameInstance(first));
  }

  @Test
  void aRewrittenFileOfAnotherSizeIsReadAgain() {
    String uri = Fixtures.writeShard(dir, "train.fbds", SHARD);
    Dataset first = SiloData.load(uri, "silo silo-a");
    Fixtures.writeShard(dir, "train.fbds", LARGER_SHARD);

    Dataset second = SiloData.load(uri, "silo silo-a");

    assertThat(second, not(sameInstance(first)));
    assertThat(DatasetFormat.encode(second), equalTo(DatasetFormat.encode(LARGER_SHARD)));
  }

  @Test
  void aRewrittenFileOfTheSameSizeAndANewTimeIsReadAgain() throws IOException {
    String uri = Fixtures.writeShard(dir, "train.fbds", SHARD);
    Files.setLastModifiedTime(Path.of(uri), EARLIER);
    Dataset first = SiloData.load(uri, "silo silo-a");
    Fixtures.writeShard(dir, "train.fbds", SAME_SIZE_SHARD);
    Files.setLastModifiedTime(Path.of(uri), LATER);

    Dataset second = SiloData.load(uri, "silo silo-a");

    assertThat(second, not(sameInstance(first)));
    assertThat(DatasetFormat.encode(second), equalTo(DatasetFormat.encode(SAME_SIZE_SHARD)));
  }

  @Test
  void aMissingFileIsRejectedNamingTheOwnerAndTheUri() {
    String uri = dir.resolve("silo-z").resolve("train.fbds").toString();

    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> SiloData.load(uri, "silo silo-z"));

    assertThat(e.getMessage(), allOf(containsString("silo silo-z"), containsString(uri), containsString("does not exist")));
  }

  @Test
  void aCorruptedFileIsRejectedNamingTheOwnerTheUriAndTheChecksum() throws IOException {
    byte[] bytes = DatasetFormat.encode(SHARD);
    Path file = dir.resolve("train.fbds");
    Files.write(file, Fixtures.flipByte(bytes, bytes.length - 10));

    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> SiloData.load(file.toString(), "silo silo-a"));

    assertThat(e.getMessage(), allOf(containsString("silo silo-a"), containsString(file.toString()),
        containsString("checksum")));
  }

  @Test
  void aTruncatedFileIsRejectedNamingTheOwnerAndTheUri() throws IOException {
    byte[] bytes = DatasetFormat.encode(SHARD);
    Path file = dir.resolve("train.fbds");
    Files.write(file, Arrays.copyOf(bytes, bytes.length - 7));

    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> SiloData.load(file.toString(), "silo silo-a"));

    assertThat(e.getMessage(), allOf(containsString("silo silo-a"), containsString(file.toString()),
        containsString("truncated")));
  }
}
