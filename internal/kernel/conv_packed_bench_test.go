package kernel

import (
	"math/rand/v2"
	"testing"
)

// BenchmarkConvPackedWeights times ResNet-like 3×3 convolutions and the
// 7×7 stride-2 stem at batch 1 with the kernel packed per call (plain) and
// packed once (packed, Conv2DPacked), in GFLOP/s.
func BenchmarkConvPackedWeights(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 1))
	for _, p := range []ConvParams{
		{N: 1, C: 256, H: 14, W: 14, M: 256, KH: 3, KW: 3, PadTop: 1, PadLeft: 1, PadBottom: 1, PadRight: 1, StrideH: 1, StrideW: 1, DilH: 1, DilW: 1, Group: 1},
		{N: 1, C: 512, H: 7, W: 7, M: 512, KH: 3, KW: 3, PadTop: 1, PadLeft: 1, PadBottom: 1, PadRight: 1, StrideH: 1, StrideW: 1, DilH: 1, DilW: 1, Group: 1},
		{N: 1, C: 64, H: 56, W: 56, M: 64, KH: 3, KW: 3, PadTop: 1, PadLeft: 1, PadBottom: 1, PadRight: 1, StrideH: 1, StrideW: 1, DilH: 1, DilW: 1, Group: 1},
		{N: 1, C: 3, H: 224, W: 224, M: 64, KH: 7, KW: 7, PadTop: 3, PadLeft: 3, PadBottom: 3, PadRight: 3, StrideH: 2, StrideW: 2, DilH: 1, DilW: 1, Group: 1},
	} {
		x := f32(randSlice(r, p.N*p.C*p.H*p.W))
		w := f32(randSlice(r, p.M*p.colRows()))
		y := make([]float32, p.N*p.M*p.OutH()*p.OutW())
		pw := PackConvWeights(p, w)
		for _, packed := range []bool{false, true} {
			name := "plain"
			if packed {
				name = "packed"
			}
			b.Run(name, func(b *testing.B) {
				for b.Loop() {
					if packed {
						Conv2DPacked(p, x, w, pw, nil, y)
					} else {
						Conv2D(p, x, w, nil, y)
					}
				}
				b.ReportMetric(2*float64(p.M*p.colRows()*p.OutH()*p.OutW())*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
			})
		}
	}
}
