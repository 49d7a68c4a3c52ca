package ops

import (
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/onnxkit/onnxkit/onnx/onnxpb"
	"github.com/onnxkit/onnxkit/onnx/tensors"
)

func resizeNode(attrs ...*onnxpb.AttributeProto) *onnxpb.NodeProto {
	return node("Resize", []string{"x", "roi", "scales", "sizes"}, []string{"y"}, attrs...)
}

func TestResizeValues(t *testing.T) {
	x, _ := tensors.New([]int{1, 4}, []float32{1, 2, 3, 4})
	cases := []struct {
		name  string
		attrs []*onnxpb.AttributeProto
		sizes []int64
		want  []float64
	}{
		// half_pixel, scale 2: x' = (o+0.5)/2-0.5 = -0.25, 0.25, 0.75, ...
		{"linear half_pixel", []*onnxpb.AttributeProto{nnStr("mode", "linear")}, []int64{1, 8},
			[]float64{1, 1.25, 1.75, 2.25, 2.75, 3.25, 3.75, 4}},
		// asymmetric x' = o/2; round_prefer_ceil rounds 0.5 up.
		{"nearest asymmetric prefer ceil", []*onnxpb.AttributeProto{nnStr("coordinate_transformation_mode", "asymmetric"), nnStr("nearest_mode", "round_prefer_ceil")}, []int64{1, 8},
			[]float64{1, 2, 2, 3, 3, 4, 4, 4}},
		{"nearest asymmetric floor", []*onnxpb.AttributeProto{nnStr("coordinate_transformation_mode", "asymmetric"), nnStr("nearest_mode", "floor")}, []int64{1, 8},
			[]float64{1, 1, 2, 2, 3, 3, 4, 4}},
		// align_corners to 7: x' = o/2 exactly.
		{"linear align_corners", []*onnxpb.AttributeProto{nnStr("mode", "linear"), nnStr("coordinate_transformation_mode", "align_corners")}, []int64{1, 7},
			[]float64{1, 1.5, 2, 2.5, 3, 3.5, 4}},
		// Downsampling 4 -> 2 with antialias: linear kernel widened to 2
		// input pixels; x' = 0.5 and 2.5: weights 1/4,3/4,3/4,1/4 over
		// (clamped) -1..2, normalised.
		{"antialias linear", []*onnxpb.AttributeProto{nnStr("mode", "linear"), nnInt("antialias", 1)}, []int64{1, 2},
			[]float64{(0.25*1 + 0.75*1 + 0.75*2 + 0.25*3) / 2, (0.25*2 + 0.75*3 + 0.75*4 + 0.25*4) / 2}},
	}
	for _, c := range cases {
		out, err := runNode(t, resizeNode(c.attrs...), 18, x, nil, nil, tensors.Vector(c.sizes...))
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		nnClose(t, c.name, out[0], []int{1, len(c.want)}, c.want, 1e-6)
	}
}

func TestResizeCubicExcludeOutside(t *testing.T) {
	x, _ := tensors.New([]int{4}, []float64{1, 2, 4, 8})
	out, err := runNode(t, resizeNode(nnStr("mode", "cubic"), nnInt("exclude_outside", 1), nnStr("coordinate_transformation_mode", "asymmetric")), 13,
		x, nil, tensors.Vector(0.5), nil)
	if err != nil {
		t.Fatal(err)
	}
	// Output 0 at x'=0: weights for -1..2 at distances 1,0,1,2 are
	// 0,1,0,0; output 1 at x'=2: neighbours 1..4, index 4 excluded.
	a := -0.75
	w := []float64{cubicWeight(1, a), cubicWeight(0, a), cubicWeight(1, a)}
	want1 := (w[0]*2 + w[1]*4 + w[2]*8) / (w[0] + w[1] + w[2])
	nnClose(t, "cubic", out[0], []int{2}, []float64{1, want1}, 1e-9)
}

func TestResizeTfCropExtrapolation(t *testing.T) {
	x, _ := tensors.New([]int{1, 3}, []float32{10, 20, 30})
	roi := tensors.Vector[float32](0, 0.5, 1, 1.5)
	out, err := runNode(t, resizeNode(nnStr("mode", "linear"), nnStr("coordinate_transformation_mode", "tf_crop_and_resize"), nnFloat("extrapolation_value", -1)), 13,
		x, roi, nil, tensors.Vector[int64](1, 3))
	if err != nil {
		t.Fatal(err)
	}
	// x' = 0.5*2 + o*(1)*2/2 = 1, 2, 3 (outside)
	nnClose(t, "crop", out[0], []int{1, 3}, []float64{20, 30, -1}, 0)
}

func TestResizeBadInputs(t *testing.T) {
	x, _ := tensors.New([]int{1, 1, 2, 2}, []float32{1, 2, 3, 4})
	cases := []struct {
		name       string
		roi        *tensors.Tensor
		scales     *tensors.Tensor
		sizes      *tensors.Tensor
		want       string
		memoryHint bool
	}{
		{"negative scale", nil, tensors.Vector[float32](1, 1, -2, 2), nil, "scales[2]", false},
		{"zero scale", nil, tensors.Vector[float32](1, 1, 0, 2), nil, "scales[2]", false},
		{"NaN scale", nil, tensors.Vector(float32(1), 1, float32(math.NaN()), 2), nil, "scales[2]", false},
		{"scales of wrong rank", nil, tensors.Vector[float32](2, 2), nil, "scales has 2 values", false},
		{"zero size", nil, nil, tensors.Vector[int64](1, 1, 0, 2), "sizes[2]", false},
		{"sizes of wrong rank", nil, nil, tensors.Vector[int64](4, 4), "sizes has 2 values", false},
		{"roi of wrong length", tensors.Vector[float32](0, 1), tensors.Vector[float32](1, 1, 2, 2), nil, "roi has 2 values", false},
		{"huge output", nil, tensors.Vector[float32](1, 1, 1e6, 1e6), nil, "limit", true},
		{"both", nil, tensors.Vector[float32](1, 1, 2, 2), tensors.Vector[int64](1, 1, 4, 4), "both", false},
	}
	for _, c := range cases {
		_, err := runNode(t, resizeNode(), 13, x, c.roi, c.scales, c.sizes)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: got %v, want an error containing %q", c.name, err, c.want)
		}
		if c.memoryHint && !errors.Is(err, tensors.ErrMemoryLimit) {
			t.Errorf("%s: %v does not wrap ErrMemoryLimit", c.name, err)
		}
	}
}

func TestUpsampleVersions(t *testing.T) {
	x, _ := tensors.New([]int{1, 1, 1, 2}, []float32{1, 2})
	out, err := runNode(t, node("Upsample", []string{"x"}, []string{"y"}, nnFloat("height_scale", 2), nnFloat("width_scale", 2)), 1, x)
	if err != nil {
		t.Fatal(err)
	}
	nnClose(t, "upsample-1", out[0], []int{1, 1, 2, 4}, []float64{1, 1, 2, 2, 1, 1, 2, 2}, 0)
	out, err = runNode(t, node("Upsample", []string{"x", "s"}, []string{"y"}, nnStr("mode", "linear")), 9, x, tensors.Vector[float32](1, 1, 1, 2))
	if err != nil {
		t.Fatal(err)
	}
	nnClose(t, "upsample-9 linear", out[0], []int{1, 1, 1, 4}, []float64{1, 1.5, 2, 2}, 1e-7)
	if _, err := runNode(t, node("Upsample", []string{"x", "s"}, []string{"y"}), 9, x, tensors.Vector[float32](1, 1, 1, 0.5)); err == nil {
		t.Error("Upsample with a scale below 1 succeeded")
	}
}

func TestResizeHostileRoi(t *testing.T) {
	x, _ := tensors.New([]int{1, 4}, []float32{1, 2, 3, 4})
	nan := float32(math.NaN())
	roi := tensors.Vector(0, nan, 1, 1)
	for _, mode := range []string{"nearest", "linear", "cubic"} {
		out, err := runNode(t, resizeNode(nnStr("mode", mode), nnStr("coordinate_transformation_mode", "tf_crop_and_resize"), nnFloat("extrapolation_value", 7)), 13,
			x, roi, nil, tensors.Vector[int64](1, 3))
		if err != nil {
			t.Fatalf("%s: %v", mode, err)
		}
		nnClose(t, mode+" NaN roi", out[0], []int{1, 3}, []float64{7, 7, 7}, 0)
	}
	// Antialiasing with a scale far below 1/length is refused.
	_, err := runNode(t, resizeNode(nnStr("mode", "linear"), nnInt("antialias", 1), nnStr("coordinate_transformation_mode", "tf_crop_and_resize")), 18,
		x, tensors.Vector[float32](0, 0, 1, 1e30), tensors.Vector[float32](1, 1e-29), nil)
	if err == nil || !strings.Contains(err.Error(), "too small") {
		t.Errorf("tiny antialias scale: %v", err)
	}
}

// TestResize2DFloat32 checks the float32 image path (interpResize2D)
// against the general float64 path on the same values, for linear and
// cubic modes, several coordinate transformations, up- and downsampling
// with and without antialiasing, and odd sizes; and that extrapolating
// and non-image cases still take the general path.
func TestResize2DFloat32(t *testing.T) {
	shape := []int{2, 3, 5, 7}
	n := 2 * 3 * 5 * 7
	v32, v64 := make([]float32, n), make([]float64, n)
	for i := range v32 {
		v32[i] = float32(math.Sin(float64(i)*0.7) * 3)
		v64[i] = float64(v32[i])
	}
	modes := [][]*onnxpb.AttributeProto{
		{nnStr("mode", "linear")},
		{nnStr("mode", "linear"), nnStr("coordinate_transformation_mode", "align_corners")},
		{nnStr("mode", "linear"), nnStr("coordinate_transformation_mode", "asymmetric")},
		{nnStr("mode", "linear"), nnStr("coordinate_transformation_mode", "pytorch_half_pixel")},
		{nnStr("mode", "linear"), nnInt("antialias", 1)},
		{nnStr("mode", "cubic")},
		{nnStr("mode", "cubic"), nnInt("exclude_outside", 1)},
		{nnStr("mode", "cubic"), nnInt("antialias", 1)},
		{nnStr("mode", "linear"), nnStr("coordinate_transformation_mode", "tf_crop_and_resize"), nnFloat("extrapolation_value", -7)},
	}
	checkResize2D(t, shape, v32, v64, modes, [][]int64{{2, 3, 10, 14}, {2, 3, 3, 4}, {2, 3, 11, 5}, {2, 3, 5, 9}, {1, 3, 5, 7}})
	// Large enough for the planes to be split across workers.
	shape = []int{1, 9, 30, 41}
	n = 9 * 30 * 41
	v32, v64 = make([]float32, n), make([]float64, n)
	for i := range v32 {
		v32[i] = float32(math.Cos(float64(i)*0.3) * 2)
		v64[i] = float64(v32[i])
	}
	checkResize2D(t, shape, v32, v64, modes[:1], [][]int64{{1, 9, 60, 82}, {1, 9, 61, 40}})
}

// checkResize2D compares Resize of float32 values v32 with the float64
// path on the same values v64 (shape shape) for each mode and size.
func checkResize2D(t *testing.T, shape []int, v32 []float32, v64 []float64, modes [][]*onnxpb.AttributeProto, allSizes [][]int64) {
	t.Helper()
	x32, _ := tensors.New(shape, v32)
	x64, _ := tensors.New(shape, v64)
	for mi, attrs := range modes {
		for _, sizes := range allSizes {
			roi := tensors.Vector[float32](0, 0, 0.1, 0.2, 1, 1, 0.9, 1.1)
			got, err := runNode(t, resizeNode(attrs...), 18, x32, roi, nil, tensors.Vector(sizes...))
			if err != nil {
				if sizes[0] == 1 {
					continue // a batch axis the modes cannot shrink
				}
				t.Fatalf("mode %d sizes %v: %v", mi, sizes, err)
			}
			want, err := runNode(t, resizeNode(attrs...), 18, x64, roi, nil, tensors.Vector(sizes...))
			if err != nil {
				t.Fatalf("mode %d sizes %v float64: %v", mi, sizes, err)
			}
			g, w := tensors.Data[float32](got[0]), tensors.Data[float64](want[0])
			if len(g) != len(w) {
				t.Fatalf("mode %d sizes %v: %d outputs, want %d", mi, sizes, len(g), len(w))
			}
			for i := range w {
				if math.Abs(float64(g[i])-w[i]) > 1e-5*max(1, math.Abs(w[i])) {
					t.Fatalf("mode %d sizes %v: output %d = %v, want %v", mi, sizes, i, g[i], w[i])
				}
			}
		}
	}
}
