package onnx

import (
	"fmt"
	"math"
	"slices"

	"github.com/onnxkit/onnxkit/onnx/tensors"
)

// Diff summarises how far a computed tensor is from an expected one.
type Diff struct {
	N      int     // elements compared
	MaxAbs float64 // largest |got − want|
	MaxRel float64 // largest |got − want| / |want| (over elements with want ≠ 0)
	// Outside counts the elements with |got − want| > atol + rtol·|want|
	// (NaN in one and not the other counts too), as numpy.isclose.
	Outside int
	// Rows and ArgmaxAgree are set for [N, K] class outputs (K > 1): the
	// number of rows and of rows whose largest element is at the same
	// index in both.
	Rows, ArgmaxAgree int
	// At is the flat index of the largest absolute difference.
	At int
}

// OK reports whether every element is within tolerance.
func (d Diff) OK() bool { return d.Outside == 0 }

// String is a one-line summary.
func (d Diff) String() string {
	s := fmt.Sprintf("max |diff| %.3g (at %d), max rel %.3g, %d of %d outside tolerance", d.MaxAbs, d.At, d.MaxRel, d.Outside, d.N)
	if d.Rows > 0 {
		s += fmt.Sprintf(", argmax agreement %d/%d", d.ArgmaxAgree, d.Rows)
	}
	return s
}

// Compare measures got against want, which must have the same shape; both
// are read as float64 (any numeric element type; bool as 0/1). atol and
// rtol are numpy.isclose's tolerances.
func Compare(got, want *tensors.Tensor, atol, rtol float64) (Diff, error) {
	if !slices.Equal(got.Shape(), want.Shape()) {
		return Diff{}, fmt.Errorf("shape %v, expected %v", got.Shape(), want.Shape())
	}
	g, err := tensors.AsFloat64s(got)
	if err != nil {
		return Diff{}, fmt.Errorf("computed tensor: %w", err)
	}
	w, err := tensors.AsFloat64s(want)
	if err != nil {
		return Diff{}, fmt.Errorf("expected tensor: %w", err)
	}
	d := Diff{N: len(w)}
	for i := range w {
		a, b := g[i], w[i]
		if math.IsNaN(a) || math.IsNaN(b) {
			if math.IsNaN(a) != math.IsNaN(b) {
				d.Outside++
				d.MaxAbs, d.At = math.Inf(1), i
			}
			continue
		}
		diff := math.Abs(a - b)
		if a == b { // equal infinities too
			diff = 0
		}
		if diff > d.MaxAbs {
			d.MaxAbs, d.At = diff, i
		}
		if b != 0 {
			d.MaxRel = max(d.MaxRel, diff/math.Abs(b))
		}
		if diff > atol+rtol*math.Abs(b) {
			d.Outside++
		}
	}
	if s := want.Shape(); len(s) == 2 && s[1] > 1 {
		k := s[1]
		d.Rows = s[0]
		for r := 0; r < s[0]; r++ {
			if argmax(g[r*k:(r+1)*k]) == argmax(w[r*k:(r+1)*k]) {
				d.ArgmaxAgree++
			}
		}
	}
	return d, nil
}

func argmax(v []float64) int {
	best := 0
	for i, x := range v {
		if x > v[best] {
			best = i
		}
	}
	return best
}

// Merge adds the comparison o of the elements that follow d's (a later
// batch of the same output) to d.
func (d *Diff) Merge(o Diff) {
	if o.MaxAbs > d.MaxAbs || d.N == 0 {
		d.MaxAbs, d.At = o.MaxAbs, d.N+o.At
	}
	d.MaxRel = max(d.MaxRel, o.MaxRel)
	d.N += o.N
	d.Outside += o.Outside
	d.Rows += o.Rows
	d.ArgmaxAgree += o.ArgmaxAgree
}
