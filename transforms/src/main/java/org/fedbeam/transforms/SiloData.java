package org.fedbeam.transforms;

import java.io.IOException;
import java.lang.ref.SoftReference;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.SeekableByteChannel;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.beam.sdk.io.FileSystems;
import org.apache.beam.sdk.io.fs.MatchResult;
import org.fedbeam.data.DataFormatException;
import org.fedbeam.data.Dataset;
import org.fedbeam.data.DatasetFormat;

/**
 * Loads a silo's shard for training or evaluation, keeping decoded shards in a per-JVM cache so a
 * worker that trains the same silo round after round decodes its shard once.
 *
 * <p>An entry is reused only while the file's size, modification time and checksum trailer (the
 * shard format's last four bytes, a CRC32C of everything before) are all unchanged, so a rewrite
 * with other content is always read again, even at the same size within one clock tick. There is
 * one entry per URI, and memory pressure may drop the decoded data.
 */
public final class SiloData {
  private static final ConcurrentHashMap<String, Entry> CACHE = new ConcurrentHashMap<>();

  private record Entry(long size, long modified, int checksum, SoftReference<Dataset> data) {}

  private SiloData() {}

  /**
   * @param owner the silo or role the data belongs to, named in errors
   * @throws IllegalArgumentException naming the owner and the URI if the shard is missing or bad
   */
  public static Dataset load(String uri, String owner) {
    MatchResult.Metadata metadata = Artifacts.metadataOrNull(uri);
    if (metadata == null) {
      throw new IllegalArgumentException(owner + ": data file " + uri + " does not exist");
    }
    int checksum = trailer(metadata, owner);
    Entry entry = CACHE.get(uri);
    Dataset cached = entry == null ? null : entry.data().get();
    if (cached != null && entry.size() == metadata.sizeBytes() && entry.modified() == metadata.lastModifiedMillis()
        && entry.checksum() == checksum) {
      return cached;
    }
    Dataset data;
    try {
      data = DatasetFormat.decode(Artifacts.read(uri, owner + " data file"), uri);
    } catch (DataFormatException e) {
      throw new IllegalArgumentException(owner + ": " + e.getMessage(), e);
    }
    CACHE.put(uri, new Entry(metadata.sizeBytes(), metadata.lastModifiedMillis(), checksum, new SoftReference<>(data)));
    return data;
  }

  /** The last four bytes of the file (the shard's CRC32C), read without reading the rest where possible. */
  private static int trailer(MatchResult.Metadata metadata, String owner) {
    if (metadata.sizeBytes() < 4) {
      return 0;
    }
    try (ReadableByteChannel channel = FileSystems.open(metadata.resourceId())) {
      ByteBuffer last = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN);
      if (channel instanceof SeekableByteChannel seekable) {
        seekable.position(metadata.sizeBytes() - 4);
        while (last.hasRemaining() && seekable.read(last) >= 0) {
          // keep reading until the four bytes are in
        }
      } else {
        ByteBuffer all = ByteBuffer.wrap(java.nio.channels.Channels.newInputStream(channel).readAllBytes());
        last.put(all.array(), all.capacity() - 4, 4);
      }
      return last.getInt(0);
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(owner + ": cannot read " + metadata.resourceId() + ": " + e.getMessage(), e);
    }
  }
}
