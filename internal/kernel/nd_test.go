package kernel

import (
	"math"
	"math/rand"
	"testing"
)

// The N-d kernels, run on two spatial axes, must agree with the 2-D ones.
func TestNDKernelsMatch2D(t *testing.T) {
	r := rand.New(rand.NewSource(1))
	randSlice := func(n int) []float64 {
		s := make([]float64, n)
		for i := range s {
			s[i] = r.Float64()*2 - 1
		}
		return s
	}
	cases := []struct {
		c, h, w, m, kh, kw, group int
		pt, pl, pb, pr            int
		sh, sw, dh, dw            int
	}{
		{2, 5, 6, 3, 3, 2, 1, 1, 0, 2, 1, 2, 1, 1, 2},
		{4, 7, 7, 4, 3, 3, 4, 1, 1, 1, 1, 1, 1, 1, 1},
		{2, 4, 9, 4, 2, 3, 2, 0, 2, 0, 0, 1, 3, 2, 1},
		{1, 1, 8, 2, 1, 3, 1, 0, 1, 0, 1, 1, 2, 1, 2},
	}
	for i, c := range cases {
		p := ConvParams{N: 2, C: c.c, H: c.h, W: c.w, M: c.m, KH: c.kh, KW: c.kw,
			PadTop: c.pt, PadLeft: c.pl, PadBottom: c.pb, PadRight: c.pr,
			StrideH: c.sh, StrideW: c.sw, DilH: c.dh, DilW: c.dw, Group: c.group}
		oh, ow := p.OutH(), p.OutW()
		wp := WindowParams{N: 2, C: c.c, In: []int{c.h, c.w}, Kernel: []int{c.kh, c.kw},
			Strides: []int{c.sh, c.sw}, Dilations: []int{c.dh, c.dw},
			PadBegin: []int{c.pt, c.pl}, PadEnd: []int{c.pb, c.pr}, Out: []int{oh, ow}}
		x := randSlice(2 * c.c * c.h * c.w)
		w := randSlice(c.m * c.c / c.group * c.kh * c.kw)
		b := randSlice(c.m)
		y2, yn := make([]float64, 2*c.m*oh*ow), make([]float64, 2*c.m*oh*ow)
		Conv2D(p, x, w, b, y2)
		ConvND(wp, c.m, c.group, x, w, b, yn)
		for j := range y2 {
			if math.Abs(y2[j]-yn[j]) > 1e-12 {
				t.Fatalf("case %d: ConvND[%d] = %g, Conv2D %g", i, j, yn[j], y2[j])
			}
		}
		pp := PoolParams{N: 2, C: c.c, H: c.h, W: c.w, KH: c.kh, KW: c.kw,
			PadTop: c.pt, PadLeft: c.pl, PadBottom: c.pb, PadRight: c.pr,
			StrideH: c.sh, StrideW: c.sw, DilH: c.dh, DilW: c.dw, OutH: oh, OutW: ow}
		n := 2 * c.c * oh * ow
		m2, mn := make([]float64, n), make([]float64, n)
		a2, an := make([]int, n), make([]int, n)
		MaxPool2D(pp, x, m2, a2)
		MaxPoolND(wp, x, mn, an)
		for j := range m2 {
			if m2[j] != mn[j] || a2[j] != an[j] {
				t.Fatalf("case %d: MaxPoolND[%d] = %g at %d, MaxPool2D %g at %d", i, j, mn[j], an[j], m2[j], a2[j])
			}
		}
		if c.dh != 1 || c.dw != 1 {
			continue // average pooling has no dilations in ONNX; skip
		}
		for _, include := range []bool{false, true} {
			pp.CountIncludePad = include
			AvgPool2D(pp, x, m2)
			AvgPoolND(wp, include, x, mn)
			for j := range m2 {
				if math.Abs(m2[j]-mn[j]) > 1e-12 {
					t.Fatalf("case %d (include pad %v): AvgPoolND[%d] = %g, AvgPool2D %g", i, include, j, mn[j], m2[j])
				}
			}
		}
	}
}

// A 3-D window entirely in padding gives -Inf and index -1 for max pooling
// and 0 for average pooling without counted taps.
func TestNDPoolAllPadding(t *testing.T) {
	p := WindowParams{N: 1, C: 1, In: []int{1, 1, 1}, Kernel: []int{1, 1, 1},
		Strides: []int{1, 1, 1}, Dilations: []int{1, 1, 1},
		PadBegin: []int{1, 0, 0}, PadEnd: []int{0, 0, 0}, Out: []int{2, 1, 1}}
	x := []float32{5}
	y, idx := make([]float32, 2), make([]int, 2)
	MaxPoolND(p, x, y, idx)
	if !math.IsInf(float64(y[0]), -1) || idx[0] != -1 || y[1] != 5 || idx[1] != 0 {
		t.Errorf("MaxPoolND with a padded window: %v %v", y, idx)
	}
	AvgPoolND(p, false, x, y)
	if y[0] != 0 || y[1] != 5 {
		t.Errorf("AvgPoolND with a padded window: %v", y)
	}
	AvgPoolND(p, true, x, y)
	if y[0] != 0 || y[1] != 5 {
		t.Errorf("AvgPoolND counting pads: %v", y)
	}
}
