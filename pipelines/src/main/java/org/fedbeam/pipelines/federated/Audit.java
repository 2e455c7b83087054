package org.fedbeam.pipelines.federated;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.TreeMap;
import org.fedbeam.pipelines.protocol.Keys;
import org.fedbeam.pipelines.protocol.Signed;
import org.fedbeam.transforms.Artifacts;

/**
 * A party's audit log: one JSON object per line, appended for every decision, chained so that a
 * party can show it was not edited. Each line carries {@code seq} (1, 2, ... across the whole
 * log) and {@code prev}, the SHA-256 (hex) of the line before it (its UTF-8 bytes without the
 * newline; 64 zeros before the first line). Editing, removing or reordering any line but the last
 * breaks the chain at the line after it; {@link #verify} (the command {@code fedbeam audit verify
 * --log PATH}) finds it, and prints the last line's hash (the head) for comparing with a copy kept
 * elsewhere, which is what shows the last lines were not cut.
 *
 * <p>Size-based rotation: when a line would take the log past its size, {@code audit.jsonl} is
 * renamed {@code audit.N.jsonl} (N = 1, 2, ..., oldest first) and a new {@code audit.jsonl} goes on
 * with the chain. On a local disk every line is appended ({@code APPEND}, through no link, then
 * {@code force}): old lines are never rewritten. Beam's azfs has no append, so there the current
 * file is rewritten atomically with the new line: rotation bounds that cost by the size.
 */
public final class Audit {
  /** The default size at which the log is rotated: 1 MiB. */
  public static final long DEFAULT_ROTATE_BYTES = 1 << 20;
  static final String GENESIS = "0".repeat(64);

  private final String uri;
  private final String root;
  private final long rotateBytes;
  private String prev = GENESIS;
  private long seq;
  private long size;
  private int rotated;

  /** The log at {@code uri}, below the party's private {@code root} (no link followed below it). */
  Audit(String uri, String root, long rotateBytes) {
    if (rotateBytes < 1024) {
      throw new IllegalArgumentException("audit_rotate_bytes must be >= 1024, was " + rotateBytes);
    }
    this.uri = uri;
    this.root = root;
    this.rotateBytes = rotateBytes;
    TreeMap<Integer, String> old = rotatedFiles(uri);
    rotated = old.isEmpty() ? 0 : old.lastKey();
    List<String> chain = new ArrayList<>(old.values());
    chain.add(uri);
    for (String file : chain) {
      Artifacts.requireNoLinks(root, file);
      if (!Artifacts.exists(file)) {
        continue;
      }
      byte[] bytes = Artifacts.read(file, "audit log");
      if (file.equals(uri)) {
        size = bytes.length;
      }
      String last = lastLine(bytes);
      if (last != null) {
        prev = sha256(last);
        try {
          seq = Signed.JSON.readTree(last).path("seq").asLong(seq);
        } catch (IOException e) {
          seq++; // a torn last line (a crash mid-append): the chain goes on from it, and verify names it
        }
      }
    }
  }

  String uri() {
    return uri;
  }

  synchronized void record(ObjectNode event) {
    ObjectNode line = Signed.JSON.createObjectNode();
    line.put("seq", seq + 1);
    line.put("time", Instant.now().toString());
    line.setAll(event);
    line.remove("prev");
    line.put("prev", prev);
    String text;
    try {
      text = Signed.JSON.writeValueAsString(line);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
    byte[] add = (text + "\n").getBytes(StandardCharsets.UTF_8);
    Artifacts.requireNoLinks(root, uri);
    if (size > 0 && size + add.length > rotateBytes) {
      String next = rotatedName(uri, rotated + 1);
      Artifacts.requireNoLinks(root, next);
      Artifacts.move(uri, next);
      rotated++;
      size = 0;
    }
    append(add);
    size += add.length;
    seq++;
    prev = sha256(text);
  }

  private void append(byte[] add) {
    Path local = Artifacts.localPath(uri);
    if (local == null) {
      byte[] old = Artifacts.exists(uri) ? Artifacts.read(uri, "audit log") : new byte[0];
      byte[] all = new byte[old.length + add.length];
      System.arraycopy(old, 0, all, 0, old.length);
      System.arraycopy(add, 0, all, old.length, add.length);
      Artifacts.writeAtomically(uri, all);
      return;
    }
    try {
      Files.createDirectories(local.getParent());
      try (FileChannel out = FileChannel.open(local, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
          StandardOpenOption.APPEND, LinkOption.NOFOLLOW_LINKS)) {
        ByteBuffer buffer = ByteBuffer.wrap(add);
        while (buffer.hasRemaining()) {
          out.write(buffer);
        }
        out.force(false);
      }
    } catch (IOException e) {
      throw new java.io.UncheckedIOException("cannot append to the audit log " + uri + ": " + e.getMessage(), e);
    }
  }

  /** What {@link #verify} found. */
  public record Verification(boolean ok, long lines, int files, String head, String problem) {}

  /**
   * Checks the chain of the log at {@code log} and of its rotated files: every line is a JSON
   * object whose {@code seq} follows the line before's and whose {@code prev} is that line's
   * SHA-256. Stops at the first line that breaks the chain and names it.
   */
  public static Verification verify(String log) {
    List<String> files = new ArrayList<>(rotatedFiles(log).values());
    if (Artifacts.exists(log)) {
      files.add(log);
    }
    if (files.isEmpty()) {
      return new Verification(false, 0, 0, GENESIS, "no audit log at " + log);
    }
    String prev = GENESIS;
    long seq = 0;
    for (String file : files) {
      String[] lines = new String(Artifacts.read(file, "audit log"), StandardCharsets.UTF_8).split("\n", -1);
      for (int i = 0; i < lines.length; i++) {
        if (i == lines.length - 1 && lines[i].isEmpty()) {
          break; // the newline after the last line
        }
        String where = file + " line " + (i + 1);
        JsonNode n;
        try {
          n = Signed.JSON.readTree(lines[i]);
        } catch (IOException e) {
          return new Verification(false, seq, files.size(), prev, where + " is not one JSON object");
        }
        if (n == null || !n.isObject() || !n.path("seq").isIntegralNumber() || !n.path("prev").isTextual()) {
          return new Verification(false, seq, files.size(), prev, where + " has no seq or prev");
        }
        if (!n.get("prev").asText().equals(prev)) {
          return new Verification(false, seq, files.size(), prev, where + " (seq " + n.get("seq").asLong()
              + ") does not chain to the line before it: a line before it was edited, removed or moved");
        }
        if (n.get("seq").asLong() != seq + 1) {
          return new Verification(false, seq, files.size(), prev, where + " has seq " + n.get("seq").asLong()
              + ", expected " + (seq + 1));
        }
        seq++;
        prev = sha256(lines[i]);
      }
    }
    return new Verification(true, seq, files.size(), prev, null);
  }

  /** The rotated files of the log at {@code log}, by number (oldest first). */
  static TreeMap<Integer, String> rotatedFiles(String log) {
    TreeMap<Integer, String> found = new TreeMap<>();
    for (int n = 1; ; n++) {
      String name = rotatedName(log, n);
      if (!Artifacts.exists(name)) {
        return found;
      }
      found.put(n, name);
    }
  }

  static String rotatedName(String log, int n) {
    String stem = log.endsWith(".jsonl") ? log.substring(0, log.length() - ".jsonl".length()) : log;
    return stem + "." + n + ".jsonl";
  }

  private static String lastLine(byte[] bytes) {
    String text = new String(bytes, StandardCharsets.UTF_8);
    String[] lines = text.split("\n");
    for (int i = lines.length - 1; i >= 0; i--) {
      if (!lines[i].isEmpty()) {
        return lines[i];
      }
    }
    return null;
  }

  static String sha256(String line) {
    return HexFormat.of().formatHex(Keys.sha256(line.getBytes(StandardCharsets.UTF_8)));
  }
}
