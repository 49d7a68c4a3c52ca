package ops

import (
	"testing"

	"github.com/onnxkit/onnxkit/onnx/tensors"
)

func TestRoiAlignAndMaxRoiPool(t *testing.T) {
	// A 1x1x4x4 ramp img[y][x] = 4y + x: bilinear interpolation is exact.
	v := make([]float32, 16)
	for i := range v {
		v[i] = float32(i)
	}
	x, _ := tensors.New([]int{1, 1, 4, 4}, v)
	rois := tensors.Vector[float32](1, 1, 3, 3)
	rois, _ = rois.Reshape(1, 4)
	out, err := runNode(t, node("RoiAlign", []string{"x", "r", "b"}, []string{"y"}, nnInt("output_height", 2), nnInt("output_width", 2), nnInt("sampling_ratio", 2)), 16,
		x, rois, tensors.Vector[int64](0))
	if err != nil {
		t.Fatal(err)
	}
	// half_pixel: the roi spans 0.5..2.5; bin centres at 1 and 2.
	nnClose(t, "roialign avg", out[0], []int{1, 1, 2, 2}, []float64{5, 6, 9, 10}, 1e-5)
	out, err = runNode(t, node("RoiAlign", []string{"x", "r", "b"}, []string{"y"}, nnInt("output_height", 1), nnInt("output_width", 1), nnInt("sampling_ratio", 1)), 10,
		x, rois, tensors.Vector[int64](0))
	if err != nil {
		t.Fatal(err)
	}
	// output_half_pixel: one sample at the roi centre (2, 2).
	nnClose(t, "roialign v10", out[0], []int{1, 1, 1, 1}, []float64{10}, 1e-5)
	if _, err := runNode(t, node("RoiAlign", []string{"x", "r", "b"}, []string{"y"}), 16, x, rois, tensors.Vector[int64](3)); err == nil {
		t.Error("a batch index out of range was accepted")
	}
	r5, _ := tensors.New([]int{1, 5}, []float32{0, 0, 0, 3, 1})
	out, err = runNode(t, node("MaxRoiPool", []string{"x", "r"}, []string{"y"}, nnInts("pooled_shape", 1, 2)), 1, x, r5)
	if err != nil {
		t.Fatal(err)
	}
	// Rows 0..1, columns 0..1 and 2..3.
	nnClose(t, "maxroipool", out[0], []int{1, 1, 1, 2}, []float64{5, 7}, 0)
}
