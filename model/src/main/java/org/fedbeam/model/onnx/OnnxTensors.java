package org.fedbeam.model.onnx;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import org.fedbeam.model.onnx.OnnxGraph.Tensor;

/**
 * Reading and writing TensorProto and TensorShapeProto. A tensor's dims must be >= 0 and hold at
 * most {@link #MAX_ELEMENTS} values; a FLOAT tensor's data (float_data or little-endian raw_data)
 * must hold exactly that many. A tensor whose data lives in an external file is refused: FedBeam
 * reads self-contained files only and never opens a path named inside one.
 */
final class OnnxTensors {
  /** Most values one tensor may claim (a FedBeam model's whole parameter vector is below this). */
  static final long MAX_ELEMENTS = Integer.MAX_VALUE - 64;
  /** Most dims a tensor or shape may have. */
  static final int MAX_RANK = 16;

  private OnnxTensors() {}

  static Tensor parse(ProtoReader r) {
    List<Long> dims = new ArrayList<>();
    int dataType = 0;
    String name = "";
    int[] raw = null;
    FloatList floatData = new FloatList();
    boolean external = false;
    while (r.hasMore()) {
      int tag = r.tag();
      switch (tag >>> 3) {
        case 1 -> int64s(r, tag, "dims", dims);
        case 2 -> {
          r.expect(tag, ProtoReader.VARINT, "data_type");
          dataType = r.int32("data_type");
        }
        case 4 -> floats(r, tag, floatData);
        case 8 -> {
          r.expect(tag, ProtoReader.LEN, "name");
          name = r.string("name");
        }
        case 9 -> {
          r.expect(tag, ProtoReader.LEN, "raw_data");
          raw = r.span("raw_data");
        }
        case 13 -> {
          external = true;
          r.skip(tag);
        }
        case 14 -> {
          r.expect(tag, ProtoReader.VARINT, "data_location");
          external |= r.varint("data_location") == 1;
        }
        default -> r.skip(tag);
      }
    }
    String what = "tensor '" + name + "'";
    if (external) {
      throw r.error(what + " keeps its data in an external file (external_data): refused, FedBeam reads"
          + " self-contained ONNX files only");
    }
    if (dims.size() > MAX_RANK) {
      throw r.error(what + " has " + dims.size() + " dims, at most " + MAX_RANK + " are supported");
    }
    long count = 1;
    long[] d = new long[dims.size()];
    for (int i = 0; i < d.length; i++) {
      d[i] = dims.get(i);
      if (d[i] < 0) {
        throw r.error(what + " has a negative dim " + d[i] + " in " + dims);
      }
      count = d[i] == 0 ? 0 : (count > MAX_ELEMENTS / d[i] ? MAX_ELEMENTS + 1 : count * d[i]);
    }
    if (count > MAX_ELEMENTS) {
      throw r.error(what + " has absurd dims " + dims + ": more than " + MAX_ELEMENTS + " values");
    }
    if (dataType != OnnxGraph.FLOAT) {
      return new Tensor(name, d, dataType, null);
    }
    float[] values;
    if (raw != null) {
      if (floatData.size > 0) {
        throw r.error(what + " has both raw_data and float_data");
      }
      if ((long) raw[1] != 4 * count) {
        throw r.error(what + " has dims " + dims + " (" + count + " floats) but " + raw[1] + " bytes of raw_data");
      }
      values = new float[(int) count];
      ByteBuffer.wrap(r.array(), raw[0], raw[1]).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(values);
    } else {
      if (floatData.size != count) {
        throw r.error(what + " has dims " + dims + " (" + count + " floats) but " + floatData.size + " float_data values");
      }
      values = java.util.Arrays.copyOf(floatData.values, floatData.size);
    }
    return new Tensor(name, d, dataType, values);
  }

  /** A repeated int64 field, packed or not. */
  static void int64s(ProtoReader r, int tag, String field, List<Long> into) {
    if ((tag & 7) == ProtoReader.VARINT) {
      into.add(r.varint(field));
    } else {
      r.expect(tag, ProtoReader.LEN, field);
      ProtoReader packed = r.message(field);
      while (packed.hasMore()) {
        into.add(packed.varint(field));
      }
    }
  }

  private static void floats(ProtoReader r, int tag, FloatList into) {
    if ((tag & 7) == ProtoReader.FIXED32) {
      into.add(r.fixed32Float("float_data"));
    } else {
      r.expect(tag, ProtoReader.LEN, "float_data");
      ProtoReader packed = r.message("float_data");
      while (packed.hasMore()) {
        into.add(packed.fixed32Float("float_data"));
      }
    }
  }

  /** TensorShapeProto: each dim's dim_value, or -1 for a dim_param or an unknown dim. */
  static long[] shape(ProtoReader r) {
    List<Long> dims = new ArrayList<>();
    while (r.hasMore()) {
      int tag = r.tag();
      if (tag >>> 3 != 1) {
        r.skip(tag);
        continue;
      }
      r.expect(tag, ProtoReader.LEN, "dim");
      if (dims.size() >= MAX_RANK) {
        throw r.error("a shape with more than " + MAX_RANK + " dims");
      }
      ProtoReader dim = r.message("dim[" + dims.size() + "]");
      long value = -1;
      while (dim.hasMore()) {
        int t = dim.tag();
        if (t >>> 3 == 1) {
          dim.expect(t, ProtoReader.VARINT, "dim_value");
          value = dim.varint("dim_value");
          if (value < 0) {
            throw dim.error("negative dim_value " + value);
          }
        } else {
          dim.skip(t);
        }
      }
      dims.add(value);
    }
    return dims.stream().mapToLong(Long::longValue).toArray();
  }

  /** A FLOAT TensorProto with raw little-endian data. */
  static ProtoWriter floatTensor(String name, long[] dims, float[] values) {
    ProtoWriter t = new ProtoWriter();
    t.packedVarints(1, dims);
    t.varint(2, OnnxGraph.FLOAT);
    t.string(8, name);
    ByteBuffer raw = ByteBuffer.allocate(4 * values.length).order(ByteOrder.LITTLE_ENDIAN);
    raw.asFloatBuffer().put(values);
    t.bytes(9, raw.array());
    return t;
  }

  /** A growable float array whose growth is bounded by the bytes actually read. */
  private static final class FloatList {
    float[] values = new float[16];
    int size;

    void add(float v) {
      if (size == values.length) {
        values = java.util.Arrays.copyOf(values, values.length * 2);
      }
      values[size++] = v;
    }
  }
}
