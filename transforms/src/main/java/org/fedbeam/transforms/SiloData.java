package org.fedbeam.transforms;

import java.lang.ref.SoftReference;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.beam.sdk.io.fs.MatchResult;
import org.fedbeam.data.DataFormatException;
import org.fedbeam.data.Dataset;
import org.fedbeam.data.DatasetFormat;

/**
 * Loads a silo's shard for training or evaluation, keeping decoded shards in a per-JVM cache keyed
 * by URI, size and modification time, so a worker that trains the same silo round after round
 * decodes its shard once. A changed file is read again; memory pressure may drop entries.
 */
public final class SiloData {
  private static final ConcurrentHashMap<String, SoftReference<Dataset>> CACHE = new ConcurrentHashMap<>();

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
    String key = uri + "|" + metadata.sizeBytes() + "|" + metadata.lastModifiedMillis();
    SoftReference<Dataset> ref = CACHE.get(key);
    Dataset cached = ref == null ? null : ref.get();
    if (cached != null) {
      return cached;
    }
    Dataset data;
    try {
      data = DatasetFormat.decode(Artifacts.read(uri, owner + " data file"), uri);
    } catch (DataFormatException e) {
      throw new IllegalArgumentException(owner + ": " + e.getMessage(), e);
    }
    CACHE.put(key, new SoftReference<>(data));
    return data;
  }
}
