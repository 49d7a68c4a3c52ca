package ops

import (
	"math"
	"testing"

	"github.com/onnxkit/onnxkit/onnx/onnxpb"
	"github.com/onnxkit/onnxkit/onnx/tensors"
)

func TestLayerNormStatsOutputs(t *testing.T) {
	x, _ := tensors.New([]int{2, 2}, []float32{1, 3, -2, 2})
	scale := tensors.Vector[float32](2, 1)
	b := tensors.Vector[float32](0, 10)
	out, err := runNode(t, node("LayerNormalization", []string{"x", "s", "b"}, []string{"y", "mean", "inv"}, nnFloat("epsilon", 0)), 17, x, scale, b)
	if err != nil {
		t.Fatal(err)
	}
	// Row 0: mean 2, std 1; row 1: mean 0, std 2.
	nnClose(t, "y", out[0], []int{2, 2}, []float64{-2, 11, -2, 11}, 1e-6)
	nnClose(t, "mean", out[1], []int{2, 1}, []float64{2, 0}, 1e-6)
	nnClose(t, "invstd", out[2], []int{2, 1}, []float64{1, 0.5}, 1e-6)
	// Only Y requested.
	out, err = runNode(t, node("LayerNormalization", []string{"x", "s"}, []string{"y"}, nnInt("axis", 0)), 17, x, tensors.Vector[float32](1))
	if err != nil || len(out) != 1 {
		t.Fatalf("got %v, %v", out, err)
	}
	if _, err := runNode(t, node("LayerNormalization", []string{"x", "s"}, []string{"y"}), 17, x, tensors.Vector[float32](1, 2, 3)); err == nil {
		t.Error("a Scale that does not broadcast was accepted")
	}
}

func TestGroupNormAndLRN(t *testing.T) {
	// 4 channels in 2 groups, one value each: groups (1,3) and (5,9).
	x, _ := tensors.New([]int{1, 4, 1}, []float64{1, 3, 5, 9})
	out, err := runNode(t, node("GroupNormalization", []string{"x", "s", "b"}, []string{"y"}, nnInt("num_groups", 2), nnFloat("epsilon", 0)), 18,
		x, tensors.Vector(1.0, 2), tensors.Vector(0.0, 1))
	if err != nil {
		t.Fatal(err)
	}
	nnClose(t, "groupnorm", out[0], []int{1, 4, 1}, []float64{-1, 1, -1, 3}, 1e-9)
	out, err = runNode(t, node("LRN", []string{"x"}, []string{"y"}, nnInt("size", 3), nnFloat("alpha", 3), nnFloat("beta", 1), nnFloat("bias", 1)), 13, x)
	if err != nil {
		t.Fatal(err)
	}
	// Channel 1 sums squares of channels 0..2: 1+9+25 = 35.
	want := []float64{1 / (1 + 10.0), 3 / (1 + 35.0), 5 / (1 + 115.0), 9 / (1 + 106.0)}
	nnClose(t, "lrn", out[0], []int{1, 4, 1}, want, 1e-9)
}

func TestMVNAndLpNorm(t *testing.T) {
	x, _ := tensors.New([]int{1, 1, 1, 4}, []float64{1, 2, 3, 4})
	out, err := runNode(t, node("MeanVarianceNormalization", []string{"x"}, []string{"y"}), 13, x)
	if err != nil {
		t.Fatal(err)
	}
	sd := math.Sqrt(1.25) + 1e-9
	nnClose(t, "mvn", out[0], []int{1, 1, 1, 4}, []float64{-1.5 / sd, -0.5 / sd, 0.5 / sd, 1.5 / sd}, 1e-9)
	y, _ := tensors.New([]int{2, 2}, []float64{3, 4, 0, 0})
	out, err = runNode(t, node("LpNormalization", []string{"x"}, []string{"y"}), 1, y)
	if err != nil {
		t.Fatal(err)
	}
	nnClose(t, "lp2", out[0], []int{2, 2}, []float64{0.6, 0.8, 0, 0}, 1e-12)
	out, err = runNode(t, node("LpNormalization", []string{"x"}, []string{"y"}, nnInt("p", 1), nnInt("axis", 0)), 1, y)
	if err != nil {
		t.Fatal(err)
	}
	nnClose(t, "lp1", out[0], []int{2, 2}, []float64{1, 1, 0, 0}, 1e-12)
}

// TestLayerNormFloat32Path checks the float32 path (no statistics
// outputs) against the general float64 path (taken when the statistics
// are requested) on several shapes and axes, with and without bias.
func TestLayerNormFloat32Path(t *testing.T) {
	for _, c := range []struct {
		shape []int
		axis  int
		bias  bool
	}{{[]int{2, 3, 8}, -1, true}, {[]int{4, 5, 6}, 1, false}, {[]int{1, 7, 768}, -1, true}, {[]int{3, 1}, -1, true}} {
		x := nnTo32(nnRand(7, c.shape...))
		a := c.axis
		if a < 0 {
			a += len(c.shape)
		}
		ns := c.shape[a:]
		scale := nnTo32(nnRand(8, ns...))
		ins, names := []*tensors.Tensor{x, scale}, []string{"x", "s"}
		if c.bias {
			ins, names = append(ins, nnTo32(nnRand(9, ns...))), append(names, "b")
		}
		attrs := []*onnxpb.AttributeProto{nnInt("axis", int64(c.axis))}
		fast, err := runNode(t, node("LayerNormalization", names, []string{"y"}, attrs...), 17, ins...)
		if err != nil {
			t.Fatal(err)
		}
		general, err := runNode(t, node("LayerNormalization", names, []string{"y", "mean"}, attrs...), 17, ins...)
		if err != nil {
			t.Fatal(err)
		}
		f, g := tensors.Data[float32](fast[0]), tensors.Data[float32](general[0])
		for i := range g {
			if d := float64(f[i] - g[i]); d > 1e-6 || d < -1e-6 {
				t.Fatalf("%v axis %d: y[%d] = %g, general path %g", c.shape, c.axis, i, f[i], g[i])
			}
		}
	}
}
