package org.fedbeam.transforms;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import org.apache.beam.sdk.coders.AtomicCoder;
import org.apache.beam.sdk.coders.CoderException;
import org.apache.beam.sdk.util.VarInt;
import org.fedbeam.stats.GlobalStats;
import org.fedbeam.stats.GlobalStatsJson;
import org.fedbeam.stats.SiloStats;
import org.fedbeam.stats.SiloStatsJson;
import org.fedbeam.stats.StatsQuery;
import org.fedbeam.stats.StatsQueryJson;

/**
 * Deterministic coders of federated statistics: each value as its length-prefixed JSON, written with
 * the fields in a fixed order, and read back by the strict decoders (a corrupted element fails loudly).
 */
public final class StatsCoders {
  private StatsCoders() {}

  static void writeBytes(byte[] bytes, OutputStream out) throws IOException {
    VarInt.encode(bytes.length, out);
    out.write(bytes);
  }

  static byte[] readBytes(InputStream in, int max) throws IOException {
    int length = VarInt.decodeInt(in);
    if (length < 0 || length > max) {
      throw new CoderException("statistics element length must be in 0.." + max + ", was " + length);
    }
    byte[] bytes = new byte[length];
    new DataInputStream(in).readFully(bytes);
    return bytes;
  }

  /** A {@link SiloStats} as its JSON. */
  public static final class SiloStatsCoder extends AtomicCoder<SiloStats> {
    private static final SiloStatsCoder INSTANCE = new SiloStatsCoder();

    public static SiloStatsCoder of() {
      return INSTANCE;
    }

    @Override
    public void encode(SiloStats value, OutputStream out) throws IOException {
      writeBytes(SiloStatsJson.encode(value), out);
    }

    @Override
    public SiloStats decode(InputStream in) throws IOException {
      try {
        return SiloStatsJson.decode(readBytes(in, SiloStatsJson.MAX_BYTES), "encoded silo statistics");
      } catch (IllegalArgumentException e) {
        throw new CoderException(e.getMessage(), e);
      }
    }

    @Override
    public void verifyDeterministic() {}
  }

  /** A {@link GlobalStats} (also {@link MergeStatsCombineFn}'s accumulator) as its JSON. */
  public static final class GlobalStatsCoder extends AtomicCoder<GlobalStats> {
    private static final GlobalStatsCoder INSTANCE = new GlobalStatsCoder();

    public static GlobalStatsCoder of() {
      return INSTANCE;
    }

    @Override
    public void encode(GlobalStats value, OutputStream out) throws IOException {
      writeBytes(GlobalStatsJson.encode(value), out);
    }

    @Override
    public GlobalStats decode(InputStream in) throws IOException {
      try {
        return GlobalStatsJson.decode(readBytes(in, SiloStatsJson.MAX_BYTES), "encoded global statistics");
      } catch (IllegalArgumentException e) {
        throw new CoderException(e.getMessage(), e);
      }
    }

    @Override
    public void verifyDeterministic() {}
  }

  /** A {@link StatsTask}: silo, table URI, seed, then the query's JSON. */
  public static final class StatsTaskCoder extends AtomicCoder<StatsTask> {
    private static final StatsTaskCoder INSTANCE = new StatsTaskCoder();

    public static StatsTaskCoder of() {
      return INSTANCE;
    }

    @Override
    public void encode(StatsTask value, OutputStream out) throws IOException {
      DataOutputStream data = new DataOutputStream(out);
      data.writeUTF(value.silo());
      data.writeUTF(value.tableUri());
      data.writeLong(value.seed());
      data.flush();
      writeBytes(StatsQueryJson.encode(value.query()), out);
    }

    @Override
    public StatsTask decode(InputStream in) throws IOException {
      DataInputStream data = new DataInputStream(in);
      String silo = data.readUTF();
      String uri = data.readUTF();
      long seed = data.readLong();
      try {
        StatsQuery q = StatsQueryJson.decode(readBytes(in, StatsQueryJson.MAX_BYTES), "encoded statistics query");
        return new StatsTask(silo, uri, q, seed);
      } catch (IllegalArgumentException e) {
        throw new CoderException(e.getMessage(), e);
      }
    }

    @Override
    public void verifyDeterministic() {}
  }
}
