package org.fedbeam.model.strategy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Arrays;
import java.util.Collections;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * What a strategy carries from one round to the next at the server (FedAvgM's velocity, FedAdam's
 * moments): named float vectors and a step count. Immutable; {@link #encode()} gives a
 * deterministic binary form that the round loop persists with each round's model, so a run resumes
 * with the optimizer where it was.
 */
public final class ServerState {
  /** No state: FedAvg and the robust aggregators. */
  public static final ServerState EMPTY = new ServerState(new TreeMap<>(), 0);

  private static final int MAGIC = 0x46425353; // "FBSS"
  private static final int VERSION = 1;
  /** Bounds on what {@link #decode} accepts, so a corrupt file fails clearly instead of allocating. */
  private static final int MAX_VECTORS = 64;
  private static final int MAX_LENGTH = 1 << 28;

  private final SortedMap<String, float[]> vectors;
  private final long steps;

  private ServerState(SortedMap<String, float[]> vectors, long steps) {
    this.vectors = vectors;
    this.steps = steps;
  }

  /** A state of copies of {@code vectors} after {@code steps} server steps. */
  public static ServerState of(Map<String, float[]> vectors, long steps) {
    if (steps < 0) {
      throw new IllegalArgumentException("steps must be >= 0, was " + steps);
    }
    SortedMap<String, float[]> copy = new TreeMap<>();
    vectors.forEach((name, v) -> copy.put(name, v.clone()));
    return new ServerState(copy, steps);
  }

  /** How many server steps have been taken. */
  public long steps() {
    return steps;
  }

  /** The names of the vectors held. */
  public java.util.Set<String> names() {
    return Collections.unmodifiableSet(vectors.keySet());
  }

  /** A copy of vector {@code name}, or null if there is none. */
  public float[] vector(String name) {
    float[] v = vectors.get(name);
    return v == null ? null : v.clone();
  }

  /** The deterministic binary form. */
  public byte[] encode() {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (DataOutputStream out = new DataOutputStream(bytes)) {
      out.writeInt(MAGIC);
      out.writeInt(VERSION);
      out.writeLong(steps);
      out.writeInt(vectors.size());
      for (var e : vectors.entrySet()) {
        out.writeUTF(e.getKey());
        out.writeInt(e.getValue().length);
        for (float f : e.getValue()) {
          out.writeFloat(f);
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return bytes.toByteArray();
  }

  /**
   * Reads what {@link #encode()} wrote.
   *
   * @throws IllegalArgumentException naming {@code source} if the bytes are not a whole server state
   */
  public static ServerState decode(byte[] bytes, String source) {
    try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(bytes))) {
      if (in.readInt() != MAGIC) {
        throw new IllegalArgumentException(source + " is not a FedBeam server state");
      }
      int version = in.readInt();
      if (version != VERSION) {
        throw new IllegalArgumentException(source + " is server state version " + version + ", this FedBeam reads " + VERSION);
      }
      long steps = in.readLong();
      int count = in.readInt();
      if (steps < 0 || count < 0 || count > MAX_VECTORS) {
        throw new IllegalArgumentException(source + " is corrupt: " + count + " vectors, " + steps + " steps");
      }
      SortedMap<String, float[]> vectors = new TreeMap<>();
      for (int i = 0; i < count; i++) {
        String name = in.readUTF();
        int length = in.readInt();
        if (length < 0 || length > MAX_LENGTH || length > in.available() / 4) {
          throw new IllegalArgumentException(source + " is corrupt: vector " + name + " claims " + length + " values");
        }
        float[] v = new float[length];
        for (int j = 0; j < length; j++) {
          v[j] = in.readFloat();
        }
        vectors.put(name, v);
      }
      if (in.available() > 0) {
        throw new IllegalArgumentException(source + " is corrupt: " + in.available() + " bytes after the state");
      }
      return new ServerState(vectors, steps);
    } catch (IOException e) {
      throw new IllegalArgumentException(source + " is truncated: " + e, e);
    }
  }

  @Override
  public boolean equals(Object o) {
    if (!(o instanceof ServerState other) || other.steps != steps || !other.vectors.keySet().equals(vectors.keySet())) {
      return false;
    }
    return vectors.entrySet().stream().allMatch(e -> Arrays.equals(e.getValue(), other.vectors.get(e.getKey())));
  }

  @Override
  public int hashCode() {
    return Long.hashCode(steps) * 31 + vectors.keySet().hashCode();
  }

  @Override
  public String toString() {
    return "ServerState" + vectors.keySet() + " after " + steps + " steps";
  }
}
