package ops

import (
	"math"
	"math/rand"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/onnxkit/onnxkit/onnx/onnxpb"
	"github.com/onnxkit/onnxkit/onnx/tensors"
)

// Helpers for the neural-network operator tests: attribute builders,
// random tensors and reference implementations written from the operator
// definitions, in float64 and without any cleverness.

func nnInts(name string, v ...int64) *onnxpb.AttributeProto {
	return attr(name, onnxpb.AttributeProto_INTS, func(a *onnxpb.AttributeProto) { a.Ints = v })
}

func nnInt(name string, v int64) *onnxpb.AttributeProto {
	return attr(name, onnxpb.AttributeProto_INT, func(a *onnxpb.AttributeProto) { a.I = proto.Int64(v) })
}

func nnFloat(name string, v float32) *onnxpb.AttributeProto {
	return attr(name, onnxpb.AttributeProto_FLOAT, func(a *onnxpb.AttributeProto) { a.F = proto.Float32(v) })
}

func nnStr(name, v string) *onnxpb.AttributeProto {
	return attr(name, onnxpb.AttributeProto_STRING, func(a *onnxpb.AttributeProto) { a.S = []byte(v) })
}

// nnRand returns a float64 tensor of the given shape with values in
// [-1, 1) from a fixed seed.
func nnRand(seed int64, shape ...int) *tensors.Tensor {
	r := rand.New(rand.NewSource(seed))
	n, err := tensors.NumElements(shape)
	if err != nil {
		panic(err)
	}
	d := make([]float64, n)
	for i := range d {
		d[i] = r.Float64()*2 - 1
	}
	return must(tensors.New(shape, d))
}

// nnTo32 converts a float64 tensor to float32.
func nnTo32(t *tensors.Tensor) *tensors.Tensor {
	d := tensors.Data[float64](t)
	f := make([]float32, len(d))
	for i, v := range d {
		f[i] = float32(v)
	}
	return must(tensors.New(t.Shape(), f))
}

// nnClose reports whether got (any float tensor) matches want within tol,
// describing the first difference.
func nnClose(t *testing.T, what string, got *tensors.Tensor, wantShape []int, want []float64, tol float64) {
	t.Helper()
	if got == nil {
		t.Errorf("%s: no output", what)
		return
	}
	if !tensors.SameShape(got.Shape(), wantShape) {
		t.Errorf("%s: shape %v, want %v", what, tensors.FormatShape(got.Shape()), tensors.FormatShape(wantShape))
		return
	}
	g, err := tensors.AsFloat64s(got)
	if err != nil {
		t.Errorf("%s: %v", what, err)
		return
	}
	for i := range want {
		if math.IsNaN(want[i]) && math.IsNaN(g[i]) || g[i] == want[i] {
			continue
		}
		if !(math.Abs(g[i]-want[i]) <= tol*(1+math.Abs(want[i]))) {
			t.Errorf("%s: element %d is %g, want %g", what, i, g[i], want[i])
			return
		}
	}
}

// nnUnravel writes the row-major multi-index of flat index i in shape
// into idx.
func nnUnravel(i int, shape, idx []int) {
	for a := len(shape) - 1; a >= 0; a-- {
		idx[a] = i % shape[a]
		i /= shape[a]
	}
}

// nnRefWindow is an explicit window geometry for the references.
type nnRefWindow struct {
	strides, dilations, padBegin, padEnd, out []int
}

// nnOutFloor is the output size of floor rounding: floor((in + pads -
// dilated kernel) / stride) + 1.
func nnOutFloor(in, k, s, d, pb, pe int) int {
	return (in+pb+pe-((k-1)*d+1))/s + 1
}

// nnRefConv computes an N-d convolution from its definition: y[n, m, o] =
// b[m] + Σ_{c in m's group, k} x[n, c, o·s - pb + k·d] · w[m, c, k].
func nnRefConv(x, w, b *tensors.Tensor, group int, g nnRefWindow) ([]int, []float64) {
	xs, ws := x.Shape(), w.Shape()
	xd, wd := tensors.Data[float64](x), tensors.Data[float64](w)
	sp := len(xs) - 2
	n, c, m := xs[0], xs[1], ws[0]
	cg, mg := c/group, m/group
	yshape := append([]int{n, m}, g.out...)
	ylen, _ := tensors.NumElements(yshape)
	y := make([]float64, ylen)
	yi := make([]int, len(yshape))
	ki := make([]int, sp)
	xStr, wStr := tensors.Strides(xs), tensors.Strides(ws)
	klen := 1
	for _, k := range ws[2:] {
		klen *= k
	}
	for i := range y {
		nnUnravel(i, yshape, yi)
		bn, bm := yi[0], yi[1]
		grp := bm / mg
		var s float64
		if b != nil {
			s = tensors.Data[float64](b)[bm]
		}
		for cc := 0; cc < cg; cc++ {
			ch := grp*cg + cc
			for kf := 0; kf < klen; kf++ {
				nnUnravel(kf, ws[2:], ki)
				xo := bn*xStr[0] + ch*xStr[1]
				inside := true
				for a := 0; a < sp; a++ {
					p := yi[2+a]*g.strides[a] - g.padBegin[a] + ki[a]*g.dilations[a]
					if p < 0 || p >= xs[2+a] {
						inside = false
						break
					}
					xo += p * xStr[2+a]
				}
				if !inside {
					continue
				}
				wo := bm*wStr[0] + cc*wStr[1]
				for a := 0; a < sp; a++ {
					wo += ki[a] * wStr[2+a]
				}
				s += xd[xo] * wd[wo]
			}
		}
		y[i] = s
	}
	return yshape, y
}

// nnRefPool computes max or average pooling from its definition. For max
// it also returns the row-major flat index into x of the first maximum.
// The average divides by the taps inside x, or with includePad by the taps
// inside x extended by its pads.
func nnRefPool(x *tensors.Tensor, kernel []int, g nnRefWindow, avg, includePad bool) ([]int, []float64, []int64) {
	xs := x.Shape()
	xd := tensors.Data[float64](x)
	sp := len(xs) - 2
	yshape := append([]int{xs[0], xs[1]}, g.out...)
	ylen, _ := tensors.NumElements(yshape)
	y := make([]float64, ylen)
	idx := make([]int64, ylen)
	yi := make([]int, len(yshape))
	ki := make([]int, sp)
	xStr := tensors.Strides(xs)
	klen := 1
	for _, k := range kernel {
		klen *= k
	}
	for i := range y {
		nnUnravel(i, yshape, yi)
		best, bestAt := math.Inf(-1), int64(-1)
		var sum float64
		count := 0
		for kf := 0; kf < klen; kf++ {
			nnUnravel(kf, kernel, ki)
			xo := yi[0]*xStr[0] + yi[1]*xStr[1]
			inside, inPad := true, true
			for a := 0; a < sp; a++ {
				p := yi[2+a]*g.strides[a] - g.padBegin[a] + ki[a]*g.dilations[a]
				if p < 0 || p >= xs[2+a] {
					inside = false
				}
				if p < -g.padBegin[a] || p >= xs[2+a]+g.padEnd[a] {
					inPad = false
				}
				xo += p * xStr[2+a]
			}
			if inside {
				v := xd[xo]
				sum += v
				if v > best || bestAt < 0 {
					best, bestAt = v, int64(xo)
				}
				count++
			} else if includePad && inPad {
				count++
			}
		}
		if avg {
			y[i] = sum / float64(count)
		} else {
			y[i], idx[i] = best, bestAt
		}
	}
	return yshape, y, idx
}
