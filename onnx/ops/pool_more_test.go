package ops

import (
	"math"
	"testing"

	"github.com/onnxkit/onnxkit/onnx/tensors"
)

func TestLpPools(t *testing.T) {
	x, _ := tensors.New([]int{1, 1, 2, 2}, []float64{3, -4, 0, 12})
	out, err := runNode(t, node("GlobalLpPool", []string{"x"}, []string{"y"}), 2, x)
	if err != nil {
		t.Fatal(err)
	}
	nnClose(t, "global p=2", out[0], []int{1, 1, 1, 1}, []float64{13}, 1e-12)
	out, err = runNode(t, node("GlobalLpPool", []string{"x"}, []string{"y"}, nnFloat("p", 1)), 1, x)
	if err != nil {
		t.Fatal(err)
	}
	nnClose(t, "global p=1 (float attribute)", out[0], []int{1, 1, 1, 1}, []float64{19}, 1e-12)
	// 1-D LpPool, p=3, kernel 2, padded by 1 at the start.
	y, _ := tensors.New([]int{1, 1, 3}, []float32{1, -2, 3})
	out, err = runNode(t, node("LpPool", []string{"x"}, []string{"y"}, nnInts("kernel_shape", 2), nnInt("p", 3), nnInts("pads", 1, 0)), 11, y)
	if err != nil {
		t.Fatal(err)
	}
	nnClose(t, "lppool 1d", out[0], []int{1, 1, 3}, []float64{1, math.Cbrt(9), math.Cbrt(35)}, 1e-6)
	// 3-D with dilations (version 18).
	z := nnRand(3, 1, 2, 3, 3, 3)
	out, err = runNode(t, node("LpPool", []string{"x"}, []string{"y"}, nnInts("kernel_shape", 2, 2, 2), nnInts("dilations", 2, 2, 2)), 18, z)
	if err != nil {
		t.Fatal(err)
	}
	zv, _ := tensors.AsFloat64s(z)
	want := make([]float64, 2)
	for c := 0; c < 2; c++ {
		s := 0.0
		for _, i := range []int{0, 2, 6, 8, 18, 20, 24, 26} {
			s += zv[c*27+i] * zv[c*27+i]
		}
		want[c] = math.Sqrt(s)
	}
	nnClose(t, "lppool 3d dilated", out[0], []int{1, 2, 1, 1, 1}, want, 1e-12)
}
