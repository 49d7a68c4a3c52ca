package onnx

import (
	"math"
	"strings"
	"testing"

	"github.com/onnxkit/onnxkit/onnx/tensors"
)

func mustNew(t *testing.T, shape []int, data []float32) *tensors.Tensor {
	t.Helper()
	x, err := tensors.New(shape, data)
	if err != nil {
		t.Fatal(err)
	}
	return x
}

func TestCompare(t *testing.T) {
	want := mustNew(t, []int{2, 3}, []float32{0.1, 0.7, 0.2, 0.5, 0.3, 0.2})
	for _, tc := range []struct {
		name           string
		got            []float32
		atol, rtol     float64
		outside, agree int
	}{
		{"equal", []float32{0.1, 0.7, 0.2, 0.5, 0.3, 0.2}, 0, 0, 0, 2},
		{"within", []float32{0.1, 0.70001, 0.2, 0.5, 0.3, 0.2}, 1e-4, 0, 0, 2},
		{"outside-atol", []float32{0.1, 0.70001, 0.2, 0.5, 0.3, 0.2}, 1e-6, 0, 1, 2},
		{"rtol-saves", []float32{0.1, 0.70001, 0.2, 0.5, 0.3, 0.2}, 0, 1e-4, 0, 2},
		{"argmax-flip", []float32{0.1, 0.2, 0.7, 0.5, 0.3, 0.2}, 1e-5, 1e-4, 2, 1},
		{"nan", []float32{float32(math.NaN()), 0.7, 0.2, 0.5, 0.3, 0.2}, 1, 1, 1, 1}, // numpy: argmax of a row with NaN is the NaN
	} {
		t.Run(tc.name, func(t *testing.T) {
			d, err := Compare(mustNew(t, []int{2, 3}, tc.got), want, tc.atol, tc.rtol)
			if err != nil {
				t.Fatal(err)
			}
			if d.Outside != tc.outside || d.ArgmaxAgree != tc.agree || d.Rows != 2 || d.N != 6 {
				t.Fatalf("%+v, want %d outside, %d agree", d, tc.outside, tc.agree)
			}
			if d.OK() != (tc.outside == 0) {
				t.Fatalf("OK() = %v", d.OK())
			}
		})
	}
	if _, err := Compare(mustNew(t, []int{3, 2}, make([]float32, 6)), want, 0, 0); err == nil || !strings.Contains(err.Error(), "shape") {
		t.Fatalf("shape mismatch: %v", err)
	}
}
