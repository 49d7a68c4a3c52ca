// Package kernel holds the numeric kernels that both the ONNX runtime
// (package onnx/ops) and the trainable layers (package layers) run: 2-D
// convolution and its gradients, 2-D pooling and its gradient, and matrix
// multiplication. Keeping one copy of each kernel means a speed-up or a fix
// lands in training and in inference at once.
//
// Kernels work on plain row-major slices in NCHW layout with OIHW weights,
// for float32 and float64 (the latter is what gradient checks use). They do
// not validate their arguments beyond what is needed to stay in bounds:
// callers (ops, layers) check shapes and report errors with context.
//
// float32 runs vector loops (AVX2/FMA, AVX-512; *_amd64.s) chosen at run
// time from the CPU's features, with portable Go for other CPUs and for the
// purego build tag. Large loops run in parallel on helper goroutines that
// serve one task queue (parallel.go); scratch space is recycled through
// free lists, so repeated calls allocate nothing.
package kernel

// Float is the set of element types the kernels compute in.
type Float interface {
	~float32 | ~float64
}
