// Package tensors is the tensor toolkit of onnxkit's ONNX runtime: the
// Tensor type (an element type, a shape and a []T in row-major order), the
// element types (DType, numbered as ONNX's TensorProto.DataType), static
// types for shape inference (Type, Dim), shape arithmetic and
// multidirectional broadcasting (Binary, Unary, NewBroadcast),
// element-type-agnostic data movement (Mover, StridedView), conversion to
// and from TensorProto, and the size limits every allocation is checked
// against (MaxElements, MaxTensorBytes, CheckSize).
//
// # Half precision
//
// Float16 and BFloat16 tensors hold their elements as bit patterns, of the
// Go types F16 and BF16 (the Half constraint). F16.Float32 and BF16.Float32
// widen exactly; F16FromFloat32, F16FromFloat64 and BF16FromFloat32 round
// to nearest even (overflow to infinity, NaN to a quiet NaN, as
// onnxruntime). HalfToFloat32 and Float32ToHalf convert whole tensors;
// operators compute half tensors in float32 (see ops.Op.HalfAsFloat32).
// TensorProto data comes from raw_data or from int32_data holding one bit
// pattern per element.
//
// Operators (package ops) and the runtime (package onnx) are written with
// it; users of the runtime meet Tensor in Session.Run and
// Model.RunTensors. A Tensor is immutable once a kernel has returned it:
// see Tensor.
//
// # Element-type dispatch
//
// A computation is written once as a generic function over one of the
// constraints Float, Signed, Unsigned, Integer, Numeric, Fixed or Elem,
// marked with a line //dtypes:SET in its doc comment. go generate runs
// internal/cmd/dtypegen, which writes dtypes_gen.go with a map from each
// DType (or pair of DTypes) to the instantiation, named after the function
// with the suffix For. Callers index the map with a tensor's DType instead
// of switching on it; SortedDTypes lists a map's types for error messages.
package tensors
