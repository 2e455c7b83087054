package org.fedbeam.model.onnx;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The parts of an ONNX {@code ModelProto} that FedBeam reads: the opsets, the metadata and the main
 * graph's nodes, initializers, inputs and outputs (onnx.proto, IR version 3 and later). Fields FedBeam
 * does not need are skipped unread; subgraphs in attributes are skipped too (a node that has one is
 * refused by the import anyway). {@link #parse} is safe on hostile bytes: see {@link ProtoReader}.
 *
 * @param initializers by name, in file order
 */
public record OnnxGraph(long irVersion, Map<String, Long> opsets, Map<String, String> metadata, String name,
    List<Node> nodes, Map<String, Tensor> initializers, List<ValueInfo> inputs, List<ValueInfo> outputs) {
  /** TensorProto.DataType values. */
  public static final int FLOAT = 1;
  public static final int INT64 = 7;
  public static final int DOUBLE = 11;

  /** A node: {@code op_type} in {@code domain} ("" is the default ONNX domain). */
  public record Node(String name, String opType, String domain, List<String> inputs, List<String> outputs,
      Map<String, Attribute> attributes) {
    /** How errors name the node: its op type and name (or its index when unnamed). */
    public String describe() {
      return opType + " (node '" + name + "')";
    }
  }

  /** An attribute; only the fields of its type are meaningful. */
  public record Attribute(String name, int type, long i, float f, String s, long[] ints, Tensor t) {}

  /**
   * A tensor: its dims, its TensorProto data type and, for FLOAT tensors only, its values (row-major).
   * Tensors of other types keep no data (FedBeam imports float weights only).
   */
  public record Tensor(String name, long[] dims, int dataType, float[] floats) {
    public long elementCount() {
      long n = 1;
      for (long d : dims) {
        n *= d; // the parser bounds the product
      }
      return n;
    }
  }

  /** A graph input or output: its element type (0 when unknown) and dims (-1 for a symbolic or unknown dim; null: no shape). */
  public record ValueInfo(String name, int elemType, long[] dims) {}

  /** Parses a whole ONNX file; {@code source} is named in every error. */
  public static OnnxGraph parse(byte[] bytes, String source) {
    if (bytes.length == 0) {
      throw new OnnxFormatException("ONNX file " + source + ": empty file");
    }
    ProtoReader r = new ProtoReader(bytes, source, "ModelProto");
    long ir = -1;
    Map<String, Long> opsets = new LinkedHashMap<>();
    Map<String, String> metadata = new LinkedHashMap<>();
    OnnxGraph graph = null;
    while (r.hasMore()) {
      int tag = r.tag();
      switch (tag >>> 3) {
        case 1 -> {
          r.expect(tag, ProtoReader.VARINT, "ir_version");
          ir = r.varint("ir_version");
        }
        case 7 -> {
          r.expect(tag, ProtoReader.LEN, "graph");
          if (graph != null) {
            throw r.error("more than one graph");
          }
          graph = graph(r.message("graph"));
        }
        case 8 -> {
          r.expect(tag, ProtoReader.LEN, "opset_import");
          String[] entry = pair(r.message("opset_import"), true);
          opsets.put(entry[0].equals("ai.onnx") ? "" : entry[0], Long.parseLong(entry[1]));
        }
        case 14 -> {
          r.expect(tag, ProtoReader.LEN, "metadata_props");
          String[] entry = pair(r.message("metadata_props"), false);
          metadata.put(entry[0], entry[1]);
        }
        default -> r.skip(tag);
      }
    }
    if (ir < 0) {
      throw r.error("no ir_version: not an ONNX model");
    }
    if (graph == null) {
      throw r.error("no graph: not an ONNX model");
    }
    for (Node n : graph.nodes) {
      // required by the ONNX spec; protobuf has no end marker, so this also catches a file cut after its graph
      if (!opsets.containsKey(n.domain())) {
        throw r.error(n.describe() + " is in domain '" + n.domain() + "', which has no opset_import (is the file"
            + " truncated?)");
      }
    }
    return new OnnxGraph(ir, Map.copyOf(opsets), Map.copyOf(metadata), graph.name, graph.nodes, graph.initializers,
        graph.inputs, graph.outputs);
  }

  /** OperatorSetIdProto (domain 1, version 2) or StringStringEntryProto (key 1, value 2). */
  private static String[] pair(ProtoReader r, boolean opset) {
    String key = "";
    String value = opset ? "0" : "";
    while (r.hasMore()) {
      int tag = r.tag();
      if (tag >>> 3 == 1) {
        r.expect(tag, ProtoReader.LEN, opset ? "domain" : "key");
        key = r.string(opset ? "domain" : "key");
      } else if (tag >>> 3 == 2) {
        if (opset) {
          r.expect(tag, ProtoReader.VARINT, "version");
          value = Long.toString(r.varint("version"));
        } else {
          r.expect(tag, ProtoReader.LEN, "value");
          value = r.string("value");
        }
      } else {
        r.skip(tag);
      }
    }
    return new String[] {key, value};
  }

  private static OnnxGraph graph(ProtoReader r) {
    String name = "";
    List<Node> nodes = new ArrayList<>();
    Map<String, Tensor> initializers = new LinkedHashMap<>();
    List<ValueInfo> inputs = new ArrayList<>();
    List<ValueInfo> outputs = new ArrayList<>();
    while (r.hasMore()) {
      int tag = r.tag();
      switch (tag >>> 3) {
        case 1 -> {
          r.expect(tag, ProtoReader.LEN, "node");
          nodes.add(node(r.message("node[" + nodes.size() + "]"), nodes.size()));
        }
        case 2 -> {
          r.expect(tag, ProtoReader.LEN, "name");
          name = r.string("name");
        }
        case 5 -> {
          r.expect(tag, ProtoReader.LEN, "initializer");
          Tensor t = OnnxTensors.parse(r.message("initializer[" + initializers.size() + "]"));
          if (initializers.put(t.name(), t) != null) {
            throw r.error("two initializers are named '" + t.name() + "'");
          }
        }
        case 11 -> {
          r.expect(tag, ProtoReader.LEN, "input");
          inputs.add(valueInfo(r.message("input[" + inputs.size() + "]")));
        }
        case 12 -> {
          r.expect(tag, ProtoReader.LEN, "output");
          outputs.add(valueInfo(r.message("output[" + outputs.size() + "]")));
        }
        case 15 -> throw r.error("sparse initializers are not supported");
        default -> r.skip(tag);
      }
    }
    return new OnnxGraph(0, Map.of(), Map.of(), name, List.copyOf(nodes), initializers, List.copyOf(inputs),
        List.copyOf(outputs));
  }

  private static Node node(ProtoReader r, int index) {
    List<String> inputs = new ArrayList<>();
    List<String> outputs = new ArrayList<>();
    Map<String, Attribute> attributes = new LinkedHashMap<>();
    String name = "";
    String op = "";
    String domain = "";
    while (r.hasMore()) {
      int tag = r.tag();
      switch (tag >>> 3) {
        case 1 -> {
          r.expect(tag, ProtoReader.LEN, "input");
          inputs.add(r.string("input"));
        }
        case 2 -> {
          r.expect(tag, ProtoReader.LEN, "output");
          outputs.add(r.string("output"));
        }
        case 3 -> {
          r.expect(tag, ProtoReader.LEN, "name");
          name = r.string("name");
        }
        case 4 -> {
          r.expect(tag, ProtoReader.LEN, "op_type");
          op = r.string("op_type");
        }
        case 5 -> {
          r.expect(tag, ProtoReader.LEN, "attribute");
          Attribute a = attribute(r.message("attribute[" + attributes.size() + "]"));
          attributes.put(a.name(), a);
        }
        case 7 -> {
          r.expect(tag, ProtoReader.LEN, "domain");
          domain = r.string("domain");
        }
        default -> r.skip(tag);
      }
    }
    if (op.isEmpty()) {
      throw r.error("a node without an op_type");
    }
    if (domain.equals("ai.onnx")) {
      domain = "";
    }
    return new Node(name.isEmpty() ? "#" + index : name, op, domain, List.copyOf(inputs), List.copyOf(outputs),
        Map.copyOf(attributes));
  }

  private static Attribute attribute(ProtoReader r) {
    String name = "";
    int type = 0;
    long i = 0;
    float f = 0;
    String s = "";
    List<Long> ints = new ArrayList<>();
    Tensor t = null;
    while (r.hasMore()) {
      int tag = r.tag();
      switch (tag >>> 3) {
        case 1 -> {
          r.expect(tag, ProtoReader.LEN, "name");
          name = r.string("name");
        }
        case 2 -> {
          r.expect(tag, ProtoReader.FIXED32, "f");
          f = r.fixed32Float("f");
        }
        case 3 -> {
          r.expect(tag, ProtoReader.VARINT, "i");
          i = r.varint("i");
        }
        case 4 -> {
          r.expect(tag, ProtoReader.LEN, "s");
          s = r.string("s");
        }
        case 5 -> {
          r.expect(tag, ProtoReader.LEN, "t");
          t = OnnxTensors.parse(r.message("t"));
        }
        case 8 -> OnnxTensors.int64s(r, tag, "ints", ints);
        case 20 -> {
          r.expect(tag, ProtoReader.VARINT, "type");
          type = r.int32("type");
        }
        default -> r.skip(tag);
      }
    }
    return new Attribute(name, type, i, f, s, ints.stream().mapToLong(Long::longValue).toArray(), t);
  }

  private static ValueInfo valueInfo(ProtoReader r) {
    String name = "";
    int elemType = 0;
    long[] dims = null;
    while (r.hasMore()) {
      int tag = r.tag();
      if (tag >>> 3 == 1) {
        r.expect(tag, ProtoReader.LEN, "name");
        name = r.string("name");
      } else if (tag >>> 3 == 2) {
        r.expect(tag, ProtoReader.LEN, "type");
        ProtoReader type = r.message("type");
        while (type.hasMore()) {
          int t = type.tag();
          if (t >>> 3 == 1) { // TypeProto.tensor_type
            type.expect(t, ProtoReader.LEN, "tensor_type");
            ProtoReader tensor = type.message("tensor_type");
            while (tensor.hasMore()) {
              int tt = tensor.tag();
              if (tt >>> 3 == 1) {
                tensor.expect(tt, ProtoReader.VARINT, "elem_type");
                elemType = tensor.int32("elem_type");
              } else if (tt >>> 3 == 2) {
                tensor.expect(tt, ProtoReader.LEN, "shape");
                dims = OnnxTensors.shape(tensor.message("shape"));
              } else {
                tensor.skip(tt);
              }
            }
          } else {
            type.skip(t); // a sequence or map type (e.g. a ZipMap output): no tensor shape
          }
        }
      } else {
        r.skip(tag);
      }
    }
    return new ValueInfo(name, elemType, dims);
  }
}
