// Package onnxgo runs models loaded with github.com/owulveryck/onnx-go on
// onnxkit's runtime: NewGraph is a drop-in replacement for onnx-go's
// gorgonnx backend (gorgonnx.NewGraph).
//
// # Coming from onnx-go
//
// Programs written against onnx-go's API keep it and change one line:
//
//	backend := gorgonnx.NewGraph() // before
//	backend := onnxgo.NewGraph()   // after: import "github.com/onnxkit/onnxkit/onnx/onnxgo"
//
//	model := onnx.NewModel(backend)
//	err := model.UnmarshalBinary(b)
//	err = model.SetInput(0, input)
//	err = backend.Run()
//	outputs, err := model.GetOutputTensors()
//
// Inputs and outputs stay gorgonia.org/tensor values (*tensor.Dense).
// *Graph implements onnx-go's onnx.Backend and Run, that is onnx-go's
// backend.ComputationBackend.
//
// What changes:
//
//   - Operators: every operator onnxkit implements (62 of the default
//     domain, opsets 7 to 18; see the project's README and
//     onnx/testdata/conformance.md), against the 42 of gorgonnx. An
//     operator onnxkit lacks makes UnmarshalBinary return onnx-go's own
//     *onnx.ErrNotImplemented (unwrapped, so a type assertion finds it),
//     with the node named in its Message; so does an attribute value that
//     onnxkit does not support, from the first Run.
//   - Numbers: outputs are onnxkit's, within 1e-5 of onnxruntime's on the
//     models the tests use (an exported LeNet and the shared fixtures),
//     and the same on every run. gorgonnx adds a Gemm's bias into the bias
//     itself at batch 1, so its second and later runs drift (by 0.05 then
//     0.15 on the test LeNet's probabilities).
//   - Batch sizes: any, with one compiled model; gorgonnx's Reshape
//     expects one sample's size at batch > 1 (the Keras inception fixture
//     fails at batch 4: "shape size doesn't not match").
//   - Outputs are fresh tensors each Run: a previous run's outputs are not
//     overwritten.
//   - Errors name the node or value at fault, and models from strangers
//     cannot take unbounded memory (onnxkit's limits; NewGraphOptions sets
//     another) or time (RunContext).
//
// # How it works
//
// onnx-go's decoder builds the graph through the backend: a node per
// value (graph inputs, outputs and value_info, initializers, then each
// node's outputs and inputs), tensors on the nodes it has data for, an
// edge weighted by the input's position from each output of an operator
// to each of its inputs, and then the operation itself (its type and
// attributes). The first Run writes this back as an ONNX model and loads
// it with onnxkit, which checks it, folds its constants and compiles its
// nodes; the model is kept and only compiled again when an input's
// element type, rank or non-batch dimensions change. Model returns it.
//
// Since onnx-go hands a backend neither the model's opset nor which nodes
// are graph inputs and outputs, the backend infers them: the opset from
// the form of the nodes (input and output counts and attribute names: the
// newest opset, from 7 on, at which every node fits); the inputs, outputs
// and initializers from the order in which the decoder makes nodes and
// sets tensors. Consequences:
//
//   - Softmax, LogSoftmax and Hardmax on inputs of rank 3 or more, in a
//     model from before opset 13 with nothing else that dates it, are run
//     with the opset 13 definition (softmax along the axis, not over the
//     flattened trailing axes). On rank-2 inputs the two agree.
//   - A file that onnxkit refuses only for the opset it imports (too new)
//     runs.
//   - Nodes of other domains than ai.onnx (the decoder drops domains) are
//     looked up in ai.onnx, and are usually not implemented.
//
// What stays as in onnx-go, being onnx-go's decoder:
//
//   - Model.SetInput(i, t) sets the node whose ID is i, which is the i-th
//     graph input only when initializers are not listed among the graph
//     inputs before it. Otherwise set the input by name:
//     model.GetNodeByName(name) and the node's SetTensor.
//   - Initializers of element types other than float32, float64, int32,
//     int64 and bool, and files whose tensors' data disagree with their
//     shapes, are refused by onnx-go's decoder, which panics on some of
//     those (gorgonia's tensor.New): recover around UnmarshalBinary when
//     loading files from strangers, or use package onnx directly.
//   - Graph inputs, outputs and value_info without a name (invalid ONNX)
//     are refused by Run, except a nameless output without a type whose
//     node the decoder also uses for an omitted optional input: its
//     tensor stays nil.
//   - A Graph holds one model and is not safe for concurrent use.
package onnxgo
