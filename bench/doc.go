// Package bench holds onnxkit's side-by-side speed benchmarks against its
// reference peers. It has no code of its own: bench_test.go times LeNet
// inference in onnxruntime (through internal/peer's environment) and in
// both onnxkit paths (the Gorgonia graph of package trainer and the ONNX
// runtime of package onnx) with one harness, and compare.sh adds PyTorch
// training and onnxkit training and prints the ratios:
//
//	bash bench/compare.sh
//
// Set ONNXKIT_BENCH_MODEL to an exported lenet.onnx to time that file;
// otherwise the benchmarks export a freshly initialised LeNet (inference
// time does not depend on the weights).
package bench
