// Package ort runs models in onnxruntime, the reference ONNX runtime,
// in-process: the CPU shared library libonnxruntime.so.1 (shipped in the
// npm package onnxruntime-node) loaded through
// github.com/yalue/onnxruntime_go. The onnxkit command uses it for
// `verify --against onnxruntime` and `train --verify`; the tests use it as
// the peer every result is compared with.
//
// Library finds the shared library: the path given to SetLibrary (the
// command's --ort-lib flag), then $ONNXRUNTIME_LIB, then the .peers/ort
// folder that scripts/install-peers.sh fills in an onnxkit checkout (found
// from the working directory or the executable), then the global npm
// prefix and the standard library folders. When none has it, the error
// wraps ErrUnavailable, lists every place tried and gives the one command
// that installs it.
//
// Open returns a Session on a model file (OpenWith takes options such as
// the intra-op thread count; Session.Bind converts inputs once for timing
// repeated runs, as onnxkit bench does); Run is the one-shot form;
// ModelIO describes a model's inputs and outputs as onnxruntime sees them.
// Tensors are exchanged as gorgonia.org/tensor *tensor.Dense values.
//
// This package owns the process-wide onnxruntime environment: code in the
// same binary must not call onnxruntime_go.InitializeEnvironment or
// DestroyEnvironment itself.
package ort
