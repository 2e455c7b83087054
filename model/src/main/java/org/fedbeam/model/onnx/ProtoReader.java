package org.fedbeam.model.onnx;

import java.nio.charset.StandardCharsets;

/**
 * A bounded reader of the protobuf wire format over a slice of a byte array. Every length is checked
 * against the bytes that remain before anything is allocated, varints are at most 10 bytes, and every
 * error names the source and the message path being read ({@code ModelProto.graph.node[3].attribute}),
 * so a truncated or garbage file is refused, never read past, and never makes a large allocation.
 */
final class ProtoReader {
  static final int VARINT = 0;
  static final int FIXED64 = 1;
  static final int LEN = 2;
  static final int FIXED32 = 5;

  private final byte[] bytes;
  private final int end;
  private final String source;
  private final String path;
  private int pos;

  ProtoReader(byte[] bytes, String source, String path) {
    this(bytes, 0, bytes.length, source, path);
  }

  private ProtoReader(byte[] bytes, int from, int end, String source, String path) {
    this.bytes = bytes;
    this.pos = from;
    this.end = end;
    this.source = source;
    this.path = path;
  }

  boolean hasMore() {
    return pos < end;
  }

  String path() {
    return path;
  }

  /** The next field's tag: field number << 3 | wire type; the field number must be >= 1. */
  int tag() {
    long tag = varint("a field tag");
    int field = (int) (tag >>> 3);
    if (tag > Integer.MAX_VALUE || field < 1) {
      throw error("invalid field tag " + Long.toUnsignedString(tag));
    }
    int wire = (int) (tag & 7);
    if (wire != VARINT && wire != FIXED64 && wire != LEN && wire != FIXED32) {
      throw error("unsupported wire type " + wire + " in field " + field);
    }
    return (int) tag;
  }

  long varint(String what) {
    long value = 0;
    for (int shift = 0; shift < 70; shift += 7) {
      if (pos >= end) {
        throw error("truncated inside " + what);
      }
      byte b = bytes[pos++];
      value |= (long) (b & 0x7F) << shift;
      if (b >= 0) {
        return value;
      }
    }
    throw error("a varint longer than 10 bytes in " + what);
  }

  /** A varint that must fit an int32 (protobuf's int32 sign-extends negatives to 10 bytes). */
  int int32(String what) {
    long v = varint(what);
    if (v != (int) v) {
      throw error(what + " is out of the int32 range: " + v);
    }
    return (int) v;
  }

  float fixed32Float(String what) {
    return Float.intBitsToFloat(fixed32(what));
  }

  int fixed32(String what) {
    need(4, what);
    int v = (bytes[pos] & 0xFF) | (bytes[pos + 1] & 0xFF) << 8 | (bytes[pos + 2] & 0xFF) << 16 | (bytes[pos + 3] & 0xFF) << 24;
    pos += 4;
    return v;
  }

  /** The length prefix of a length-delimited field, checked against the bytes that remain. */
  int length(String what) {
    long length = varint("the length of " + what);
    if (length < 0 || length > end - pos) {
      throw error("truncated: " + what + " claims " + Long.toUnsignedString(length) + " bytes, "
          + (end - pos) + " remain");
    }
    return (int) length;
  }

  /** A nested message's reader, its path extended by {@code field}; this reader skips past it. */
  ProtoReader message(String field) {
    String sub = path + "." + field;
    int length = length(sub);
    ProtoReader nested = new ProtoReader(bytes, pos, pos + length, source, sub);
    pos += length;
    return nested;
  }

  String string(String field) {
    int length = length(path + "." + field);
    String s = new String(bytes, pos, length, StandardCharsets.UTF_8);
    pos += length;
    return s;
  }

  /** The bytes of a length-delimited field, as offset and length into the source array (no copy). */
  int[] span(String field) {
    int length = length(path + "." + field);
    int[] span = {pos, length};
    pos += length;
    return span;
  }

  byte[] array() {
    return bytes;
  }

  /** Skips a field of wire type {@code wire} that this reader does not need. */
  void skip(int tag) {
    switch (tag & 7) {
      case VARINT -> varint("a skipped field");
      case FIXED64 -> {
        need(8, "a skipped field");
        pos += 8;
      }
      case LEN -> {
        int length = length("a skipped field " + (tag >>> 3)); // read before pos is: the length moves pos
        pos += length;
      }
      case FIXED32 -> {
        need(4, "a skipped field");
        pos += 4;
      }
      default -> throw error("unsupported wire type " + (tag & 7));
    }
  }

  /** Requires wire type {@code wire} for field {@code name}. */
  void expect(int tag, int wire, String name) {
    if ((tag & 7) != wire) {
      throw error("field " + name + " has wire type " + (tag & 7) + ", expected " + wire);
    }
  }

  private void need(int n, String what) {
    if (end - pos < n) {
      throw error("truncated inside " + what);
    }
  }

  OnnxFormatException error(String what) {
    return new OnnxFormatException("ONNX file " + source + ": " + path + ": " + what);
  }
}
