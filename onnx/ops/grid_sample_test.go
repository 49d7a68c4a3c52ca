package ops

import (
	"math"
	"testing"

	"github.com/onnxkit/onnxkit/onnx/tensors"
)

func TestGridSample(t *testing.T) {
	x, _ := tensors.New([]int{1, 1, 2, 3}, []float32{1, 2, 3, 4, 5, 6})
	// Identity grid with align_corners: x in {-1, 0, 1}, y in {-1, 1}.
	var g []float32
	for _, y := range []float32{-1, 1} {
		for _, xx := range []float32{-1, 0, 1} {
			g = append(g, xx, y)
		}
	}
	grid, _ := tensors.New([]int{1, 2, 3, 2}, g)
	for _, mode := range []string{"bilinear", "nearest", "bicubic"} {
		out, err := runNode(t, node("GridSample", []string{"x", "g"}, []string{"y"}, nnInt("align_corners", 1), nnStr("mode", mode)), 16, x, grid)
		if err != nil {
			t.Fatal(err)
		}
		nnClose(t, mode+" identity", out[0], []int{1, 1, 2, 3}, []float64{1, 2, 3, 4, 5, 6}, 1e-6)
	}
	// Far outside, NaN and a point between pixels 1 and 2 of row 0.
	far, _ := tensors.New([]int{1, 1, 3, 2}, []float32{5, 5, float32(math.NaN()), 0, -0.5, -1})
	want := map[string][]float64{
		"zeros":      {0, math.NaN(), 1.5},
		"border":     {6, math.NaN(), 1.5},
		"reflection": {nan(), math.NaN(), 1.5},
	}
	for pad, w := range want {
		out, err := runNode(t, node("GridSample", []string{"x", "g"}, []string{"y"}, nnInt("align_corners", 1), nnStr("padding_mode", pad)), 16, x, far)
		if err != nil {
			t.Fatal(err)
		}
		got, _ := tensors.AsFloat64s(out[0])
		for i, v := range w {
			if !math.IsNaN(v) && math.Abs(got[i]-v) > 1e-6 {
				t.Errorf("%s: element %d = %g, want %g", pad, i, got[i], v)
			}
		}
	}
}

// nan marks a value the test does not check.
func nan() float64 { return math.NaN() }
