//go:build amd64 && !purego

package kernel

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestKernel12x32 checks the zmm micro-kernel against the Go reference
// 6×16 kernel applied to each of its four tiles (two A panels by two B
// panels), for odd and even depths, beta 0 (C not read: NaN stays out)
// and beta ≠ 0, and that it writes nothing outside its tile.
func TestKernel12x32(t *testing.T) {
	if !hasAVX512() {
		t.Skip("no AVX-512")
	}
	r := rand.New(rand.NewPCG(3, 4))
	ref := refKernel(gemmMR, gemmNR)
	for _, k := range []int{1, 2, 3, 7, 64, 257} {
		for _, beta := range []float32{0, 1, -0.5} {
			const ldc = 40
			a := f32(randSlice(r, 12*k))
			b := f32(randSlice(r, 32*k))
			c := f32(randSlice(r, 12*ldc+guard))
			if beta == 0 {
				for i := range c[:12*ldc] {
					if i%ldc < 32 {
						c[i] = float32(math.NaN())
					}
				}
			}
			want := append([]float32(nil), c...)
			for i := 0; i < 2; i++ {
				for j := 0; j < 2; j++ {
					ref(k, &a[i*6*k], &b[j*16*k], &want[i*6*ldc+j*16], ldc, 1.5, beta)
				}
			}
			c0 := append([]float32(nil), c...)
			sgemmKernel12x32AVX512(k, &a[0], &b[0], &c[0], ldc, 1.5, beta, nil, nil, 0, false)
			for i := range c {
				if d := math.Abs(float64(c[i] - want[i])); !(d <= 1e-4*float64(k)) {
					t.Fatalf("k=%d beta=%g: c[%d] (row %d col %d) = %g, want %g", k, beta, i, i/ldc, i%ldc, c[i], want[i])
				}
			}
			// With the epilogue's bias, residual and Relu: the kernel's
			// tile then biasTile32's, bit for bit (a NaN row kept).
			bias := f32(randSlice(r, 12))
			bias[3] = float32(math.NaN())
			const ldr = 35
			res := f32(randSlice(r, 11*ldr+32))
			for _, withRes := range []bool{false, true} {
				for _, relu := range []bool{false, true} {
					var rs []float32
					var rp *float32
					if withRes {
						rs, rp = res, &res[0]
					}
					plain := append([]float32(nil), c...)
					biasTile32(plain, ldc, 12, 32, bias, rs, ldr, relu)
					fused := append([]float32(nil), c0...)
					sgemmKernel12x32AVX512(k, &a[0], &b[0], &fused[0], ldc, 1.5, beta, &bias[0], rp, ldr, relu)
					for i := range fused {
						if math.Float32bits(fused[i]) != math.Float32bits(plain[i]) && !(fused[i] != fused[i] && plain[i] != plain[i]) {
							t.Fatalf("k=%d beta=%g res %v relu %v: c[%d] (row %d col %d) = %g with the epilogue fused, %g after", k, beta, withRes, relu, i, i/ldc, i%ldc, fused[i], plain[i])
						}
					}
				}
			}
		}
	}
}

// TestZMMSelection checks the CPU classes and that every AVX-512 machine
// tests the zmm routine set, whichever it runs by default.
func TestZMMSelection(t *testing.T) {
	for _, c := range []struct {
		vendor string
		family int
		want   string
	}{
		{"AuthenticAMD", 0x19, "double-pumped"}, // Zen 4
		{"AuthenticAMD", 0x1a, "native"},        // Zen 5
		{"AuthenticAMD", 0x17, "double-pumped"}, // Zen 2 (no AVX-512 anyway)
		{"GenuineIntel", 6, "measure"},
		{"HygonGenuine", 0x18, "double-pumped"},
	} {
		if got := zmmClass(c.vendor, c.family); got != c.want {
			t.Errorf("zmmClass(%s, %#x) = %s, want %s", c.vendor, c.family, got, c.want)
		}
	}
	vendor, family, model := cpuVendorFamily()
	t.Logf("CPU %s family %#x model %#x: %s; default GEMM %s", vendor, family, model, zmmClass(vendor, family), sgemmArchs[0].name)
	if !hasAVX512() {
		return
	}
	found := false
	for _, a := range sgemmArchs {
		found = found || a == sgemmZMM
	}
	if !found {
		t.Errorf("sgemmArchs lacks %s on an AVX-512 CPU", sgemmZMM.name)
	}
	t.Logf("zmm 12×32 / ymm 6×16 FLOP rate in L1: %.2f×", zmmSpeedup())
}

// TestKernel12x32Edge checks the zmm edge kernel for every tile size up to
// 12×32 against the Go reference 6×16 kernel on the zero-padded panels,
// with beta 0 (C not read: NaN stays out) and beta ≠ 0, and that it writes
// nothing outside rows×cols.
func TestKernel12x32Edge(t *testing.T) {
	if !hasAVX512() {
		t.Skip("no AVX-512")
	}
	r := rand.New(rand.NewPCG(5, 6))
	ref := refKernel(gemmMR, gemmNR)
	const ldc = 40
	for _, k := range []int{1, 2, 5, 64} {
		for rows := 1; rows <= 12; rows++ {
			for cols := 1; cols <= 32; cols++ {
				for _, beta := range []float32{0, 1, -0.5} {
					// The panels the kernel may read: the second A (B)
					// panel only exists when rows > 6 (cols > 16).
					ap, bp := 1, 1
					if rows > 6 {
						ap = 2
					}
					if cols > 16 {
						bp = 2
					}
					a := f32(randSlice(r, ap*6*k))
					b := f32(randSlice(r, bp*16*k))
					pa := append(append([]float32(nil), a...), make([]float32, (2-ap)*6*k)...)
					pb := append(append([]float32(nil), b...), make([]float32, (2-bp)*16*k)...)
					c := f32(randSlice(r, 12*ldc+guard))
					if beta == 0 {
						for i := range c[:12*ldc] {
							c[i] = float32(math.NaN())
						}
					}
					full := make([]float32, 12*ldc)
					copy(full, c)
					for i := range full {
						if math.IsNaN(float64(full[i])) {
							full[i] = 0
						}
					}
					for i := 0; i < 2; i++ {
						for j := 0; j < 2; j++ {
							ref(k, &pa[i*6*k], &pb[j*16*k], &full[i*6*ldc+j*16], ldc, 1.5, beta)
						}
					}
					want := append([]float32(nil), c...)
					for i := 0; i < rows; i++ {
						copy(want[i*ldc:i*ldc+cols], full[i*ldc:i*ldc+cols])
					}
					sgemmKernel12x32EdgeAVX512(k, &a[0], &b[0], &c[0], ldc, 1.5, beta, rows, cols)
					for i := range c {
						got, w := c[i], want[i]
						if math.IsNaN(float64(w)) && math.IsNaN(float64(got)) {
							continue
						}
						if d := math.Abs(float64(got - w)); !(d <= 1e-4*float64(k)) {
							t.Fatalf("k=%d %d×%d beta=%g: c[%d] (row %d col %d) = %g, want %g", k, rows, cols, beta, i, i/ldc, i%ldc, got, w)
						}
					}
				}
			}
		}
	}
}

// TestConvImgKernel checks the convolutions whose products read B straight
// from the image (sgemmKernel12x32ImgAVX512) against the same products
// with B packed first, bit for bit (the same multiply-adds in the same
// order): stride 1 with "same" and asymmetric padding, output rows
// narrower than the input's, stride 2 from phase planes, 1 to 12 and more
// output channels (every row-loop of the kernel and several row blocks),
// depths across more than one packed block, batch 1 split across the
// workers and larger batches, with and without prepacked weights.
func TestConvImgKernel(t *testing.T) {
	if sgemmImpl != sgemmZMM || sgemmZMM.img == nil || !convPackAVX512 {
		t.Skip("the zmm routine set does not run here")
	}
	defer func(n int) { imgMaxRows = n }(imgMaxRows)
	imgMaxRows = 1 << 30 // every row count
	r := rand.New(rand.NewPCG(21, 22))
	fromImage := 0
	for i := range 120 {
		k := 1 + r.IntN(5)
		p := ConvParams{N: 1 + r.IntN(3), C: 1 + r.IntN(40), H: 3 + r.IntN(30), W: 3 + r.IntN(40),
			M: 1 + r.IntN(70), KH: k, KW: 1 + r.IntN(5), StrideH: 1, StrideW: 1, DilH: 1, DilW: 1, Group: 1}
		p.PadTop, p.PadBottom = r.IntN(p.KH), r.IntN(p.KH)
		p.PadLeft, p.PadRight = r.IntN(p.KW), r.IntN(p.KW)
		switch i % 4 {
		case 1: // "same"
			p.PadTop, p.PadLeft = (p.KH-1)/2, (p.KW-1)/2
			p.PadBottom, p.PadRight = p.KH-1-p.PadTop, p.KW-1-p.PadLeft
		case 2: // stride 2 from phase planes
			p.KW = p.KH
			p.H, p.W = 2*(2+r.IntN(12)), 2*(2+r.IntN(14))
			p.StrideH, p.StrideW = 2, 2
			p.PadTop, p.PadLeft = (p.KH-1)/2, (p.KW-1)/2
			p.PadBottom, p.PadRight = p.KH-1-p.PadTop, p.KW-1-p.PadLeft
		case 3: // deep: more than one packed block of depth
			p.C = 30 + r.IntN(40)
		}
		if p.OutH() <= 0 || p.OutW() <= 0 {
			continue
		}
		if _, ok := canPackFromImage(&p); !ok || canConvDirect(&p) {
			continue
		}
		fromImage++
		x := f32(randSlice(r, p.N*p.C*p.H*p.W))
		w := f32(randSlice(r, p.M*p.colRows()))
		b := f32(randSlice(r, p.M))
		var pw *ConvWeights
		if r.IntN(2) == 0 {
			pw = PackConvWeights(p, w)
		}
		got := make([]float32, p.N*p.M*p.OutH()*p.OutW())
		want := make([]float32, len(got))
		Conv2DPacked(p, x, w, pw, b, got)
		sgemmZMM.img = nil
		Conv2DPacked(p, x, w, pw, b, want)
		sgemmZMM.img = sgemmKernel12x32ImgAVX512
		for j := range want {
			if math.Float32bits(got[j]) != math.Float32bits(want[j]) {
				t.Fatalf("%+v: y[%d] = %v, packed B %v", p, j, got[j], want[j])
			}
		}
	}
	if fromImage < 60 {
		t.Errorf("only %d shapes read B from the image", fromImage)
	}
}

// BenchmarkConvImgKernel times convolutions whose products pack B from
// the image, with B read by the micro-kernel (img) and packed first
// (packed), in GFLOP/s (-cpu 1 for one goroutine): the keras2onnx MNIST
// CNN's 4×4 layers at batch 8 and 1, and 3×3 layers of 32 to 128 output
// channels (above imgMaxRows, which the img runs lift, Conv2DPacked packs).
func BenchmarkConvImgKernel(b *testing.B) {
	if sgemmImpl != sgemmZMM || sgemmZMM.img == nil {
		b.Skip("the zmm routine set does not run here")
	}
	r := rand.New(rand.NewPCG(1, 1))
	same4 := func(n, c, h, m int) ConvParams {
		return ConvParams{N: n, C: c, H: h, W: h, M: m, KH: 4, KW: 4, PadTop: 1, PadLeft: 1, PadBottom: 2, PadRight: 2, StrideH: 1, StrideW: 1, DilH: 1, DilW: 1, Group: 1}
	}
	same3 := func(n, c, h, m int) ConvParams {
		return ConvParams{N: n, C: c, H: h, W: h, M: m, KH: 3, KW: 3, PadTop: 1, PadLeft: 1, PadBottom: 1, PadRight: 1, StrideH: 1, StrideW: 1, DilH: 1, DilW: 1, Group: 1}
	}
	for _, c := range []struct {
		name string
		p    ConvParams
	}{
		{"k4-32to32-28x28-b8", same4(8, 32, 28, 32)},
		{"k4-64to64-14x14-b8", same4(8, 64, 14, 64)},
		{"k4-32to32-28x28-b1", same4(1, 32, 28, 32)},
		{"k3-128to32-56x56-b1", same3(1, 128, 56, 32)},
		{"k3-512to32-7x7-b1", same3(1, 512, 7, 32)},
		{"k3-64to48-28x28-b1", same3(1, 64, 28, 48)},
		{"k3-64to64-28x28-b1", same3(1, 64, 28, 64)},
		{"k3-64to128-28x28-b1", same3(1, 64, 28, 128)},
	} {
		p := c.p
		x := f32(randSlice(r, p.N*p.C*p.H*p.W))
		w := f32(randSlice(r, p.M*p.colRows()))
		y := make([]float32, p.N*p.M*p.OutH()*p.OutW())
		pw := PackConvWeights(p, w)
		pw.wino = winoWeights{} // the GEMM path
		for _, img := range []bool{true, false} {
			name := c.name + "/packed"
			if img {
				name = c.name + "/img"
			}
			b.Run(name, func(b *testing.B) {
				if img {
					defer func(n int) { imgMaxRows = n }(imgMaxRows)
					imgMaxRows = 1 << 30
				} else {
					sgemmZMM.img = nil
					defer func() { sgemmZMM.img = sgemmKernel12x32ImgAVX512 }()
				}
				for b.Loop() {
					Conv2DPacked(p, x, w, pw, nil, y)
				}
				b.ReportMetric(2*float64(p.M*p.colRows()*p.OutH()*p.OutW()*p.N)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
			})
		}
	}
}
