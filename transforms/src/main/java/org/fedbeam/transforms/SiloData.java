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
import org.fedbeam.data.table.Table;
import org.fedbeam.data.table.TableFormat;

/**
 * Loads a silo's shard for training or evaluation, keeping decoded shards in a per-JVM cache so a
 * worker that trains the same silo round after round decodes its shard once.
 *
 * <p>An entry is reused only while the file's size, modification time and checksum trailer (the
 * shard format's last four bytes, a CRC32C of everything before) are all unchanged, so a rewrite
 * with other content is always read again, even at the same size within one clock tick. There is
 * one entry per URI, and memory pressure may drop the decoded data. Prepared tables ({@link #loadTable},
 * the files {@code fedbeam prepare} writes) are cached the same way, keyed on their SHA-256 trailer.
 */
public final class SiloData {
  private static final ConcurrentHashMap<String, Entry> CACHE = new ConcurrentHashMap<>();

  private static final ConcurrentHashMap<String, TableEntry> TABLES = new ConcurrentHashMap<>();
  private static final int TABLE_TRAILER = 32;

  private record Entry(long size, long modified, int checksum, SoftReference<Dataset> data) {}

  private record TableEntry(long size, long modified, ByteBuffer digest, SoftReference<Table> table) {}

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
      byte[] bytes = Artifacts.read(uri, owner + " data file");
      if (TableFormat.isTable(bytes)) {
        throw new IllegalArgumentException(owner + ": data file " + uri
            + " is a prepared table, not a numeric shard: it needs a preprocessing that turns it into features");
      }
      data = DatasetFormat.decode(bytes, uri);
    } catch (DataFormatException e) {
      throw new IllegalArgumentException(owner + ": " + e.getMessage(), e);
    }
    CACHE.put(uri, new Entry(metadata.sizeBytes(), metadata.lastModifiedMillis(), checksum, new SoftReference<>(data)));
    return data;
  }

  /**
   * A silo's prepared table (a file {@code fedbeam prepare} wrote), decoded once per JVM while the file's
   * size, modification time and SHA-256 trailer are unchanged.
   *
   * @param owner the silo or role the data belongs to, named in errors
   * @throws IllegalArgumentException naming the owner and the URI if the file is missing, a numeric shard, or bad
   */
  public static Table loadTable(String uri, String owner) {
    MatchResult.Metadata metadata = Artifacts.metadataOrNull(uri);
    if (metadata == null) {
      throw new IllegalArgumentException(owner + ": data file " + uri + " does not exist");
    }
    ByteBuffer digest = ByteBuffer.wrap(lastBytes(metadata, owner, TABLE_TRAILER));
    TableEntry entry = TABLES.get(uri);
    Table cached = entry == null ? null : entry.table().get();
    if (cached != null && entry.size() == metadata.sizeBytes() && entry.modified() == metadata.lastModifiedMillis()
        && entry.digest().equals(digest)) {
      return cached;
    }
    Table table;
    try {
      byte[] bytes = Artifacts.read(uri, owner + " data file");
      if (bytes.length >= 4 && !TableFormat.isTable(bytes) && new String(bytes, 0, 4, java.nio.charset.StandardCharsets.US_ASCII).equals("FBDS")) {
        throw new IllegalArgumentException(owner + ": data file " + uri
            + " is a numeric shard, not a prepared table: prepare the silo's CSV with fedbeam prepare");
      }
      table = TableFormat.decode(bytes, uri);
    } catch (DataFormatException e) {
      throw new IllegalArgumentException(owner + ": " + e.getMessage(), e);
    }
    TABLES.put(uri, new TableEntry(metadata.sizeBytes(), metadata.lastModifiedMillis(), digest, new SoftReference<>(table)));
    return table;
  }

  /** A prepared table's SHA-256 (its trailer, hex), read without reading the rest where possible. */
  public static String tableSha256(String uri, String owner) {
    MatchResult.Metadata metadata = Artifacts.metadataOrNull(uri);
    if (metadata == null) {
      throw new IllegalArgumentException(owner + ": data file " + uri + " does not exist");
    }
    return java.util.HexFormat.of().formatHex(lastBytes(metadata, owner, TABLE_TRAILER));
  }

  /** The last four bytes of the file (the shard's CRC32C), read without reading the rest where possible. */
  private static int trailer(MatchResult.Metadata metadata, String owner) {
    if (metadata.sizeBytes() < 4) {
      return 0;
    }
    return ByteBuffer.wrap(lastBytes(metadata, owner, 4)).order(ByteOrder.LITTLE_ENDIAN).getInt();
  }

  /** The last {@code n} bytes of the file (fewer if it is shorter), read without the rest where possible. */
  private static byte[] lastBytes(MatchResult.Metadata metadata, String owner, int n) {
    n = (int) Math.min(n, metadata.sizeBytes());
    try (ReadableByteChannel channel = FileSystems.open(metadata.resourceId())) {
      ByteBuffer last = ByteBuffer.allocate(n);
      if (channel instanceof SeekableByteChannel seekable) {
        seekable.position(metadata.sizeBytes() - n);
        while (last.hasRemaining() && seekable.read(last) >= 0) {
          // keep reading until the four bytes are in
        }
      } else {
        ByteBuffer all = ByteBuffer.wrap(java.nio.channels.Channels.newInputStream(channel).readAllBytes());
        last.put(all.array(), all.capacity() - n, n);
      }
      return last.array();
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(owner + ": cannot read " + metadata.resourceId() + ": " + e.getMessage(), e);
    }
  }
}
