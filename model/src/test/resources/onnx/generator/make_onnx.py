#!/usr/bin/python3
"""Writes the ONNX test files of org.fedbeam.model.onnx (committed beside this script; tests never run it).

Needs Debian's python3-onnx (1.12) and numpy. The graphs are laid out node by node, name by name, the
way the real exporters write them, since neither torch nor skl2onnx is installable here:
  torch_mlp.onnx  torch.onnx.export(nn.Sequential(nn.Flatten(), nn.Linear(784, 16), nn.ReLU(),
                  nn.Linear(16, 10), nn.Softmax(dim=1)), x[N,1,28,28], input_names=['input'],
                  output_names=['output'], dynamic_axes={'input': {0: 'batch_size'}}, opset 17):
                  Flatten, then Gemm(transB=1, weights '1.weight' [out, in]) per Linear.
  torch_logits.onnx  the same without Softmax, input already flat [N, 784], opset 13 (logits out).
  skl_mlp.onnx    skl2onnx.convert_sklearn(MLPClassifier(hidden_layer_sizes=(8, 6)) on 4 features,
                  3 classes, initial_types=[('X', FloatTensorType([None, 4]))]): MatMul + Add per
                  layer ('coefficient' [in, out], 'intercepts' [1, out]), Relu, Softmax, then label
                  post-processing: ArgMax -> ArrayFeatureExtractor(classes) -> Cast -> Reshape -> 'label',
                  and Identity -> 'probabilities' -> ZipMap -> 'output_probability'.
  bad_*.onnx      one defect each, for the refusal tests.
Run: /usr/bin/python3 make_onnx.py  (from this folder; writes into ..)
"""
import os

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
rng = np.random.default_rng(12)


def save(model, name, check=True):
    if check:
        onnx.checker.check_model(model)
    onnx.save(model, os.path.join(OUT, name))


def f32(*shape):
    return (rng.standard_normal(shape) * 0.1).astype(np.float32)


def torch_model(softmax=True, flatten=True, opset=17):
    w1, b1, w2, b2 = f32(16, 784), f32(16), f32(10, 16), f32(10)
    inits = [numpy_helper.from_array(w1, "1.weight"), numpy_helper.from_array(b1, "1.bias"),
             numpy_helper.from_array(w2, "3.weight"), numpy_helper.from_array(b2, "3.bias")]
    nodes = []
    x = "input"
    if flatten:
        nodes.append(helper.make_node("Flatten", ["input"], ["/0/Flatten_output_0"], name="/0/Flatten", axis=1))
        x = "/0/Flatten_output_0"
    nodes += [
        helper.make_node("Gemm", [x, "1.weight", "1.bias"], ["/1/Gemm_output_0"], name="/1/Gemm",
                         alpha=1.0, beta=1.0, transB=1),
        helper.make_node("Relu", ["/1/Gemm_output_0"], ["/2/Relu_output_0"], name="/2/Relu"),
        helper.make_node("Gemm", ["/2/Relu_output_0", "3.weight", "3.bias"],
                         ["/3/Gemm_output_0" if softmax else "output"], name="/3/Gemm", alpha=1.0, beta=1.0, transB=1),
    ]
    if softmax:
        nodes.append(helper.make_node("Softmax", ["/3/Gemm_output_0"], ["output"], name="/4/Softmax", axis=1))
    shape = ["batch_size", 1, 28, 28] if flatten else ["batch_size", 784]
    graph = helper.make_graph(nodes, "main_graph",
                              [helper.make_tensor_value_info("input", TensorProto.FLOAT, shape)],
                              [helper.make_tensor_value_info("output", TensorProto.FLOAT, ["batch_size", 10])], inits)
    model = helper.make_model(graph, producer_name="pytorch", producer_version="2.1.0",
                              opset_imports=[helper.make_opsetid("", opset)])
    model.ir_version = 8
    return model, (w1, b1, w2, b2)


def skl_model():
    c1, i1, c2, i2, c3, i3 = f32(4, 8), f32(1, 8), f32(8, 6), f32(1, 6), f32(6, 3), f32(1, 3)
    inits = [numpy_helper.from_array(c1, "coefficient"), numpy_helper.from_array(i1, "intercepts"),
             numpy_helper.from_array(c2, "coefficient1"), numpy_helper.from_array(i2, "intercepts1"),
             numpy_helper.from_array(c3, "coefficient2"), numpy_helper.from_array(i3, "intercepts2"),
             numpy_helper.from_array(np.array([0, 1, 2], dtype=np.int64), "classes"),
             numpy_helper.from_array(np.array([-1], dtype=np.int64), "shape_tensor")]
    nodes = [
        helper.make_node("MatMul", ["X", "coefficient"], ["mul_result"], name="MatMul"),
        helper.make_node("Add", ["mul_result", "intercepts"], ["add_result"], name="Add"),
        helper.make_node("Relu", ["add_result"], ["next_activations"], name="Relu"),
        helper.make_node("MatMul", ["next_activations", "coefficient1"], ["mul_result1"], name="MatMul1"),
        helper.make_node("Add", ["mul_result1", "intercepts1"], ["add_result1"], name="Add1"),
        helper.make_node("Relu", ["add_result1"], ["next_activations1"], name="Relu1"),
        helper.make_node("MatMul", ["next_activations1", "coefficient2"], ["mul_result2"], name="MatMul2"),
        helper.make_node("Add", ["mul_result2", "intercepts2"], ["add_result2"], name="Add2"),
        helper.make_node("Softmax", ["add_result2"], ["out_activations_result"], name="Softmax", axis=1),
        helper.make_node("ArgMax", ["out_activations_result"], ["argmax_output"], name="ArgMax", axis=1),
        helper.make_node("ArrayFeatureExtractor", ["classes", "argmax_output"], ["array_feature_extractor_result"],
                         name="ArrayFeatureExtractor", domain="ai.onnx.ml"),
        helper.make_node("Cast", ["array_feature_extractor_result"], ["cast2_result"], name="Cast", to=7),
        helper.make_node("Reshape", ["cast2_result", "shape_tensor"], ["label"], name="Reshape"),
        helper.make_node("Identity", ["out_activations_result"], ["probabilities"], name="Identity"),
        helper.make_node("ZipMap", ["probabilities"], ["output_probability"], name="ZipMap", domain="ai.onnx.ml",
                         classlabels_int64s=[0, 1, 2]),
    ]
    zipmap_map = onnx.TypeProto()
    zipmap_map.map_type.key_type = TensorProto.INT64
    zipmap_map.map_type.value_type.CopyFrom(helper.make_tensor_type_proto(TensorProto.FLOAT, []))
    zipmap = helper.make_sequence_type_proto(zipmap_map)
    graph = helper.make_graph(nodes, "mlp_classifier",
                              [helper.make_tensor_value_info("X", TensorProto.FLOAT, [None, 4])],
                              [helper.make_tensor_value_info("label", TensorProto.INT64, [None]),
                               helper.make_value_info("output_probability", zipmap)], inits)
    model = helper.make_model(graph, producer_name="skl2onnx", producer_version="1.15.0",
                              opset_imports=[helper.make_opsetid("", 15), helper.make_opsetid("ai.onnx.ml", 1)])
    model.ir_version = 8
    return model, (c1, i1, c2, i2, c3, i3)


def write_expected(name, arrays):
    """The weights as text, one array a line, for the tests to compare with: shape then values."""
    with open(os.path.join(OUT, name), "w") as f:
        for a in arrays:
            f.write(" ".join(str(d) for d in a.shape) + " | " + " ".join(repr(float(v)) for v in a.ravel()) + "\n")


def main():
    model, weights = torch_model()
    save(model, "torch_mlp.onnx")
    w1, b1, w2, b2 = weights
    write_expected("torch_mlp.weights.txt", [w1[:3, :], b1, w2, b2])  # w1's first 3 rows ([out, in]) suffice
    model, _ = torch_model(softmax=False, flatten=False, opset=13)
    save(model, "torch_logits.onnx")
    model, weights = skl_model()
    save(model, "skl_mlp.onnx")
    write_expected("skl_mlp.weights.txt", weights)

    # an operator FedBeam cannot train: Sigmoid between two layers
    model, _ = torch_model(softmax=True, flatten=False)
    relu = [n for n in model.graph.node if n.op_type == "Relu"][0]
    relu.op_type, relu.name = "Sigmoid", "/2/Sigmoid"
    save(model, "bad_sigmoid.onnx")
    # a convolution at the input
    model, _ = torch_model(softmax=True, flatten=True)
    conv_w = numpy_helper.from_array(f32(1, 1, 3, 3), "conv.weight")
    model.graph.initializer.append(conv_w)
    flat = model.graph.node[0]
    model.graph.node.insert(0, helper.make_node("Conv", ["input", "conv.weight"], ["/conv/Conv_output_0"],
                                                name="/conv/Conv", pads=[1, 1, 1, 1]))
    flat.input[0] = "/conv/Conv_output_0"
    save(model, "bad_conv.onnx")
    # two inputs
    model, _ = torch_model(softmax=True, flatten=False)
    model.graph.input.append(helper.make_tensor_value_info("mask", TensorProto.FLOAT, ["batch_size", 784]))
    save(model, "bad_two_inputs.onnx")
    # double weights (skl2onnx with a DoubleTensorType input writes double coefficients)
    model, _ = skl_model()
    model.graph.initializer[0].CopyFrom(numpy_helper.from_array(
        numpy_helper.to_array(model.graph.initializer[0]).astype(np.float64), "coefficient"))
    save(model, "bad_double_weights.onnx", check=False)
    # int32 weights
    model, _ = skl_model()
    model.graph.initializer[2].CopyFrom(numpy_helper.from_array(np.ones((8, 6), dtype=np.int32), "coefficient1"))
    save(model, "bad_int_weights.onnx", check=False)
    # weights in an external file: must never be opened
    model, _ = skl_model()
    t = model.graph.initializer[0]
    t.ClearField("raw_data")
    t.data_location = TensorProto.EXTERNAL
    for k, v in (("location", "../../../../etc/passwd"), ("offset", "0"), ("length", "128")):
        entry = t.external_data.add()
        entry.key, entry.value = k, v
    save(model, "bad_external_data.onnx", check=False)
    # absurd dims: a weight claiming 2^40 x 2^40 floats with 128 bytes of data
    model, _ = skl_model()
    t = model.graph.initializer[0]
    del t.dims[:]
    t.dims.extend([1 << 40, 1 << 40])
    save(model, "bad_absurd_dims.onnx", check=False)


if __name__ == "__main__":
    main()
