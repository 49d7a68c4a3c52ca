package ops

import (
	"math"
	"testing"

	"github.com/onnxkit/onnxkit/onnx/tensors"
)

// TestCastRecycledMatchesCastTensor converts values of every numeric and
// bool type to every other, recycling the output buffer, and compares
// with CastTensor; then hands an input of the target type on and checks
// that the next cast does not write into it.
func TestCastRecycledMatchesCastTensor(t *testing.T) {
	vals := []float64{0, 1, -1, 2.5, -2.7, 127.9, 300, -300, 70000, -1e10, 1e19, math.NaN(), math.Inf(1), math.Inf(-1)}
	types := []tensors.DType{tensors.Bool, tensors.Float32, tensors.Float64, tensors.Int8, tensors.Int16, tensors.Int32,
		tensors.Int64, tensors.Uint8, tensors.Uint16, tensors.Uint32, tensors.Uint64}
	f64 := tensors.Vector(vals...)
	for _, from := range types {
		x, err := CastTensor(f64, from)
		if err != nil {
			t.Fatal(err)
		}
		for _, to := range types {
			if to == from {
				continue
			}
			want, err := CastTensor(x, to)
			if err != nil {
				t.Fatal(err)
			}
			var last []*tensors.Tensor
			for round := range 2 {
				got, err := castRecycled(x, to, last)
				if err != nil {
					t.Fatal(err)
				}
				if round == 1 && got[0] != last[0] {
					t.Errorf("%v to %v: second cast did not reuse its output", from, to)
				}
				if !sameValues(got[0], want) {
					t.Errorf("%v to %v: got %v, want %v", from, to, got[0].Data(), want.Data())
				}
				last = got
			}
		}
	}
	// A handed-on input must not be written by the next call.
	a := tensors.Vector[int32](1, 2, 3)
	last, err := castRecycled(a, tensors.Int32, nil)
	if err != nil || last[0] != a {
		t.Fatalf("cast to the same type: got %v, %v; want the input", last, err)
	}
	got, err := castRecycled(tensors.Vector[int64](7, 8, 9), tensors.Int32, last)
	if err != nil {
		t.Fatal(err)
	}
	if got[0] == a || tensors.Data[int32](a)[0] != 1 {
		t.Errorf("a cast wrote into the input an earlier call handed on: %v", a.Data())
	}
}

// sameValues compares element type, shape and values, NaNs equal.
func sameValues(a, b *tensors.Tensor) bool {
	if a.DType() != b.DType() || tensors.FormatShape(a.Shape()) != tensors.FormatShape(b.Shape()) {
		return false
	}
	x, _ := tensors.AsFloat64s(a)
	y, _ := tensors.AsFloat64s(b)
	if a.DType() == tensors.Bool {
		return tensors.FormatShape(a.Shape()) == tensors.FormatShape(b.Shape()) && equalBools(tensors.Data[bool](a), tensors.Data[bool](b))
	}
	for i := range x {
		if x[i] != y[i] && !(math.IsNaN(x[i]) && math.IsNaN(y[i])) {
			return false
		}
	}
	return len(x) == len(y)
}

func equalBools(a, b []bool) bool {
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return len(a) == len(b)
}
