// Package tbpb holds the Go types generated from tensorboard.proto: the
// Event and Summary messages of TensorBoard event files, with the field
// numbers TensorFlow uses, under the protobuf package onnxkit.tensorboard.
//
// Package github.com/onnxkit/onnxkit/trainer/tensorboard builds on it; most
// programs should use that package rather than these messages directly.
package tbpb
