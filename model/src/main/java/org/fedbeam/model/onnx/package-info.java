/**
 * ONNX without a protobuf library: a bounded reader and a writer of the protobuf wire format
 * ({@link org.fedbeam.model.onnx.ProtoReader}, {@link org.fedbeam.model.onnx.ProtoWriter}), the few
 * ONNX messages FedBeam needs ({@link org.fedbeam.model.onnx.OnnxGraph}), the import of a dense
 * network's weights ({@link org.fedbeam.model.onnx.OnnxImport}) and the export of a model bundle
 * with its preprocessing ({@link org.fedbeam.model.onnx.OnnxExport}). Plain Java, no I/O beyond bytes.
 */
package org.fedbeam.model.onnx;
