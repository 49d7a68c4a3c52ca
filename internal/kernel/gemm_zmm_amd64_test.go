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
			sgemmKernel12x32AVX512(k, &a[0], &b[0], &c[0], ldc, 1.5, beta)
			for i := range c {
				if d := math.Abs(float64(c[i] - want[i])); !(d <= 1e-4*float64(k)) {
					t.Fatalf("k=%d beta=%g: c[%d] (row %d col %d) = %g, want %g", k, beta, i, i/ldc, i%ldc, c[i], want[i])
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
