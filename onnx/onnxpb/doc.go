// Package onnxpb holds the Go types of the ONNX protobuf messages
// (ModelProto, GraphProto, NodeProto, TensorProto, ...) generated from
// onnx.proto in this folder.
//
// The wire format matches the ONNX specification field for field, so any
// .onnx file decodes with proto.Unmarshal into a *ModelProto and re-encodes
// with proto.Marshal. The messages are registered under the protobuf package
// name onnxkit.onnx (not onnx) so that they can be linked into the same
// binary as other ONNX bindings without a registration conflict.
//
// Most code should not use this package directly: package onnx loads,
// validates and runs models and converts tensors.
package onnxpb
