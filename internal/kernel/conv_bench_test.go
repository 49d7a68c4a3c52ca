package kernel

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// convBenchShapes are convolutions of the LeNet and of the shared
// fixtures' models (keras2onnx's 4×4 "same" convolutions, PyTorch's and
// CNTK's MNIST networks).
var convBenchShapes = []struct {
	name string
	p    ConvParams
}{
	{"lenet-conv2", ConvParams{C: 20, H: 14, W: 14, M: 50, KH: 5, KW: 5, PadTop: 2, PadLeft: 2, PadBottom: 2, PadRight: 2}},
	{"keras2onnx-conv6", ConvParams{C: 32, H: 28, W: 28, M: 32, KH: 4, KW: 4, PadTop: 1, PadLeft: 1, PadBottom: 2, PadRight: 2}},
	{"keras2onnx-conv8", ConvParams{C: 64, H: 14, W: 14, M: 64, KH: 4, KW: 4, PadTop: 1, PadLeft: 1, PadBottom: 2, PadRight: 2}},
	{"pytorch-conv1", ConvParams{C: 1, H: 28, W: 28, M: 32, KH: 3, KW: 3, PadTop: 1, PadLeft: 1, PadBottom: 1, PadRight: 1}},
	{"pytorch-conv2", ConvParams{C: 32, H: 14, W: 14, M: 64, KH: 3, KW: 3, PadTop: 1, PadLeft: 1, PadBottom: 1, PadRight: 1}},
	{"cntk-conv1", ConvParams{C: 1, H: 28, W: 28, M: 8, KH: 5, KW: 5, PadTop: 2, PadLeft: 2, PadBottom: 2, PadRight: 2}},
	{"cntk-conv2", ConvParams{C: 8, H: 14, W: 14, M: 16, KH: 5, KW: 5, PadTop: 2, PadLeft: 2, PadBottom: 2, PadRight: 2}},
}

// BenchmarkConv2D times float32 Conv2D with a bias on those shapes at
// batch 1 and 16, and reports GFLOP/s (2·multiply-adds per call).
func BenchmarkConv2D(b *testing.B) {
	r := rand.New(rand.NewPCG(3, 4))
	for _, s := range convBenchShapes {
		for _, n := range []int{1, 16} {
			p := s.p
			p.N, p.StrideH, p.StrideW, p.DilH, p.DilW, p.Group = n, 1, 1, 1, 1, 1
			x := f32(randSlice(r, p.N*p.C*p.H*p.W))
			w := f32(randSlice(r, p.M*p.C*p.KH*p.KW))
			bias := f32(randSlice(r, p.M))
			y := make([]float32, p.N*p.M*p.OutH()*p.OutW())
			macs := float64(p.N * p.M * p.OutH() * p.OutW() * p.C * p.KH * p.KW)
			b.Run(fmt.Sprintf("%s/batch%d", s.name, n), func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					Conv2D(p, x, w, bias, y)
				}
				b.ReportMetric(2*macs*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
			})
		}
	}
}
