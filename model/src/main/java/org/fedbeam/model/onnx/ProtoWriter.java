package org.fedbeam.model.onnx;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/** A writer of the protobuf wire format: varints, fixed32, and length-delimited fields and messages. */
final class ProtoWriter {
  private final ByteArrayOutputStream out = new ByteArrayOutputStream();

  ProtoWriter varint(int field, long value) {
    tag(field, ProtoReader.VARINT);
    rawVarint(value);
    return this;
  }

  ProtoWriter fixed32Float(int field, float value) {
    tag(field, ProtoReader.FIXED32);
    int bits = Float.floatToRawIntBits(value);
    out.write(bits);
    out.write(bits >>> 8);
    out.write(bits >>> 16);
    out.write(bits >>> 24);
    return this;
  }

  ProtoWriter string(int field, String value) {
    return bytes(field, value.getBytes(StandardCharsets.UTF_8));
  }

  ProtoWriter bytes(int field, byte[] value) {
    tag(field, ProtoReader.LEN);
    rawVarint(value.length);
    out.writeBytes(value);
    return this;
  }

  ProtoWriter message(int field, ProtoWriter message) {
    return bytes(field, message.toByteArray());
  }

  /** A packed repeated int64 field. */
  ProtoWriter packedVarints(int field, long[] values) {
    ProtoWriter packed = new ProtoWriter();
    for (long v : values) {
      packed.rawVarint(v);
    }
    return bytes(field, packed.toByteArray());
  }

  byte[] toByteArray() {
    return out.toByteArray();
  }

  private void tag(int field, int wire) {
    rawVarint((long) field << 3 | wire);
  }

  private void rawVarint(long value) {
    while ((value & ~0x7FL) != 0) {
      out.write((int) (value & 0x7F) | 0x80);
      value >>>= 7;
    }
    out.write((int) value);
  }
}
