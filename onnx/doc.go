// Package onnx loads, validates, runs and saves ONNX models.
//
// Load (or LoadBytes, FromProto) decodes a model, checks it against the
// ONNX specification and compiles every node with the operator registry of
// package ops, so that a model that loads can run: unsupported operators,
// operator versions, element types and attribute values are reported at
// load time, as errors wrapping ErrUnsupported that name the node, the
// operator and the opset. Nodes whose inputs are all constant are evaluated
// once at load time, and so is a Shape of a value whose dimensions static
// inference knows (the main graph's inputs are checked against their
// declared shapes); LoadOptions.ConstantDefaults makes initializers listed
// as graph inputs constants too.
//
// Load also fuses a Conv with the nodes that alone read its output, as
// onnxruntime does: a BatchNormalization with constant parameters (folded
// into new constant weights and bias), an Add of a per-channel constant
// (which becomes its bias), and a Relu, Clip, HardSigmoid, HardSwish (the
// operator, or HardSigmoid(x)·x) or SiLU (Sigmoid(x)·x)
// applied as each block of output is computed; a Gemm with a Relu that
// alone reads its output; and a MatMul with an Add of a constant bias
// along the last axis (as the Linear layers of transformer and MLP exports
// have) and a Relu after it. The constants may be defaults of overridable
// inputs (IR version 3) or values computed from them at load, as the
// weights of models that make them with a ConstantOfShape of a default
// shape; a Conv that fuses with nothing and a BatchNormalization get a step
// holding such values as constants too (weights packed, coefficients
// folded once, the ConstantOfShape no longer run). Runs that fetch the
// values in between, or override a default the
// fusion took as a constant, run the separate steps, so fusion never
// changes what a run computes beyond
// rounding (a folded BatchNormalization rounds once instead of twice).
// Constant weights of Conv, Gemm, MatMul and the recurrent layers are packed
// for the GEMM once, at load.
//
// Run takes and returns gorgonia.org/tensor *tensor.Dense values;
// RunTensors does the same with the runtime's own Tensor type, which also
// represents tensors with a zero dimension. Any intermediate value can be
// fetched by name. A loaded Model is immutable and safe for concurrent use.
// A Session runs a model again and again reusing the memory of each run in
// the next: in steady state a run allocates nothing.
//
// Models may come from strangers: malformed files are errors naming the
// node or tensor at fault, never panics, and memory is bounded. Each model
// has a memory limit (DefaultMemoryLimit, 4 GiB, unless LoadOptions sets
// another) on what it holds at load time and on what one run holds at
// once, and no single tensor may exceed tensors.MaxTensorBytes; going over is
// an error wrapping ErrMemoryLimit. External data is only read from inside
// the model's folder.
//
// Save writes a model atomically. ToDense, FromDense, ProtoToDense and
// DenseToProto convert tensors between *tensor.Dense, Tensor and
// TensorProto; ReadTensorFile and WriteTensorFile read and write .npy and
// TensorProto .pb files. Compare measures outputs against references
// (absolute and relative differences, argmax agreement).
//
// If, Loop and Scan nodes run their subgraphs, which may read values of
// the enclosing graph (subgraph.go, loop.go, scan.go); nesting is limited
// to MaxSubgraphDepth. A Loop without a trip count or condition runs until
// the run's context is done (RunTensorsContext) or it holds more than the
// memory limit; either stops it with an error naming the node.
//
// Sequences of tensors and optional values (ONNX's non-tensor values) are
// held as tensors.Tensor values of another Kind (tensors/values.go): graph
// inputs and outputs may be sequences or optionals, If, Loop, Identity
// and the sequence and optional operators pass them on, SequenceMap
// (sequence_map.go) runs its body per element, and ReadValueFile and
// WriteTensorFile read and write them as ONNX SequenceProto and
// OptionalProto .pb files. Any other operator given one fails with an
// error naming the node, at load when the static types show it.
// Load-time warnings (a Concat whose empty 1-D operands are skipped, as
// PyTorch and OpenCV do) go to LoadWarning.
//
// # Where things are
//
// load.go (Load, LoadOptions, ReadProto, LoadProto), save.go, model.go
// (the Model and its accessors), run.go (Run, RunTensors), session.go,
// budget.go (memory limits of a load and a run), tensorfile.go (.npy and
// .pb files), dense.go (gorgonia conversions), diff.go (Compare). The
// compiled graph: graph.go (its types), build.go (from a GraphProto),
// toposort.go, fuse.go (Conv+Add+Relu, Gemm+Relu, MatMul+Add+Relu), plan.go (the steps a run executes),
// subgraph.go (If and what the control flow operators share), loop.go
// (Loop), scan.go (Scan), axis_slices.go (their slicing and stacking). Tensors are package onnx/tensors; operators package
// onnx/ops.
//
// The conformance test (conformance_test.go) runs the ONNX backend node
// tests shipped by Debian's libonnx-testdata and records the results in
// testdata/conformance.md.
package onnx
