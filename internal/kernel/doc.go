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
// purego build tag.
//
// The float32 GEMM (and so every convolution, dense layer and recurrence)
// runs one of these routine sets, chosen once per process:
//
//	CPU class                                        default set   micro-kernel
//	AMD family 26 and later (Zen 5: native 512-bit)   zmm12x32     12×32, 24 zmm accumulators
//	Intel with AVX-512, zmm measured ≥ 1.25× faster   zmm12x32     (two 512-bit FMA units: server cores)
//	  (a few-millisecond L1 timing at start-up)
//	Intel with AVX-512, otherwise                     avx512       6×16 ymm, AVX-512VL masked edges
//	AMD family 25 (Zen 4: 512-bit FMAs double-pumped) avx512       6×16 ymm, masked edges
//	AVX2 and FMA without AVX-512 (Zen 1-3, Haswell+)  avx2         6×16 ymm, edges via a scratch tile
//	anything else, or -tags purego                    gonum        gonum's Sgemm
//
// The environment variable ONNXKIT_GEMM (zmm12x32, avx512, avx2 or gonum)
// forces a set the CPU can run; GemmKernel names the one in use. The
// zmm set computes the ragged blocks around its whole 12×32 tiles with a
// masked zmm kernel (4×32, 6×32, 8×32, 12×16 or 12×32 loops;
// gemm_zmm_edge_amd64.s), blocks of at most 6×16 with the avx512 set's
// masked ymm kernel; the products of convolutions that pack B from the
// image with at most 48 output channels read it inside a variant of that
// kernel instead (sgemmKernel12x32ImgAVX512, conv_pack.go). All
// three assembly sets share the 6×16 packed layout (the 12×32 kernel reads
// two A and two B panels at once), so packed weights and the convolution
// packers serve them all. Large loops run in parallel on helper goroutines that
// serve one task queue (parallel.go); scratch space is recycled through
// free lists, so repeated calls allocate nothing. Loops over a batch
// larger than a core's L2 cache prefetch each image before they read it
// (prefetch.go).
//
// Convolutions with few input channels (C·KH·KW ≤ 32, stride and
// dilation 1, eight output channels at a time: the first layer of an MNIST
// CNN) skip im2col and the GEMM for a direct kernel, AVX2, or AVX-512 on
// the CPUs that get the zmm set (conv_direct.go). A 2×2, stride-2 max
// pool after a direct or Winograd convolution is computed with it
// (Conv2DPool): from pairs of output rows in scratch, or in the Winograd
// output transform, whose tiles are the pool's windows.
//
// Ungrouped 3×3 convolutions at stride 1 with at least 16 input and 32
// output channels (and 32 tiles of 2×2 outputs) run Winograd's F(2×2,
// 3×3) algorithm on CPUs with AVX-512 (winograd.go): 16 products of the
// kernel's transforms, packed at the first such run, with the transformed
// input tiles, 2.25 times fewer multiply-adds than the GEMM path, the
// input and output transforms vector loops over 16 tiles at a time.
// Expanding layers (four times as many output channels as input ones or
// more) keep the GEMM path.
//
// The quantized operators have integer kernels, exact in int32: GemmS16
// (igemm.go; int16 pairs, AVX2 VPMADDWD) for any 8-bit operands, and, on
// CPUs with AVX512-VNNI, GemmU8S8Packed (igemm8.go; uint8 activations ×
// int8 weights with zero point 0, VPDPBUSD in 8×32 tiles, weights packed
// once), DepthwiseU8, Requantize8 and Quantize8 (requant.go; AVX-512,
// Go elsewhere).
package kernel

// Float is the set of element types the kernels compute in.
type Float interface {
	~float32 | ~float64
}
