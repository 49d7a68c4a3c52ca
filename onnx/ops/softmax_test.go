package ops

import (
	"errors"
	"math"
	"testing"

	"github.com/onnxkit/onnxkit/onnx/tensors"
)

// nnRefSoftmax normalizes x (float64) in groups: before version 13 the
// elements sharing their index over the axes before axis, from 13 those
// sharing every index but axis.
func nnRefSoftmax(x *tensors.Tensor, axis int, legacy bool, op string) []float64 {
	shape := x.Shape()
	xd := tensors.Data[float64](x)
	if axis < 0 {
		axis += len(shape)
	}
	tail := 1
	for _, d := range shape[axis:] {
		tail *= d
	}
	inner := tail / max(shape[axis], 1)
	group := func(i int) int {
		if legacy {
			return i / tail
		}
		return i/tail*inner + i%inner
	}
	members := map[int][]int{}
	for i := range xd {
		members[group(i)] = append(members[group(i)], i)
	}
	y := make([]float64, len(xd))
	for _, idx := range members {
		m := math.Inf(-1)
		first := -1
		for _, i := range idx {
			if xd[i] > m {
				m, first = xd[i], i
			}
		}
		var sum float64
		for _, i := range idx {
			sum += math.Exp(xd[i] - m)
		}
		for _, i := range idx {
			switch op {
			case "Softmax":
				y[i] = math.Exp(xd[i]-m) / sum
			case "LogSoftmax":
				y[i] = xd[i] - m - math.Log(sum)
			case "Hardmax":
				if i == first {
					y[i] = 1
				}
			}
		}
	}
	return y
}

func TestSoftmaxFamilyMatchesDefinition(t *testing.T) {
	x := nnRand(3, 2, 3, 4)
	for _, op := range []string{"Softmax", "LogSoftmax", "Hardmax"} {
		for _, opset := range []int{1, 11, 13} {
			legacy := opset < 13
			axes := []int{0, 1, 2, -1, -2}
			if opset == 1 {
				axes = []int{0, 1, 2}
			}
			for _, axis := range axes {
				want := nnRefSoftmax(x, axis, legacy, op)
				np := node(op, []string{"x"}, []string{"y"}, nnInt("axis", int64(axis)))
				out, err := runNode(t, np, opset, x)
				if err != nil {
					t.Errorf("%s-%d axis %d: %v", op, opset, axis, err)
					continue
				}
				nnClose(t, op, out[0], x.Shape(), want, 1e-12)
				out, err = runNode(t, np, opset, nnTo32(x))
				if err != nil || out[0].DType() != tensors.Float32 {
					t.Errorf("%s-%d axis %d float32: %v %v", op, opset, axis, out, err)
					continue
				}
				nnClose(t, op+" float32", out[0], x.Shape(), want, 1e-6)
			}
			// Default axis: 1 (coerced to 2-D) before 13, -1 from 13.
			def := 1
			if !legacy {
				def = -1
			}
			out, err := runNode(t, node(op, []string{"x"}, []string{"y"}), opset, x)
			if err != nil {
				t.Errorf("%s-%d default axis: %v", op, opset, err)
				continue
			}
			nnClose(t, op+" default axis", out[0], x.Shape(), nnRefSoftmax(x, def, legacy, op), 1e-12)
		}
	}
}

func TestSoftmaxLegacyDiffersFromAxis(t *testing.T) {
	// With axis 1 of a 2×3×4 input, version 11 normalizes 12 values per
	// batch and version 13 the 3 values along axis 1.
	x := nnRand(5, 2, 3, 4)
	np := node("Softmax", []string{"x"}, []string{"y"}, nnInt("axis", 1))
	for _, opset := range []int{11, 13} {
		out, err := runNode(t, np, opset, x)
		if err != nil {
			t.Fatal(err)
		}
		y := tensors.Data[float64](out[0])
		column := y[0] + y[4] + y[8] // elements [0, 0:3, 0]
		var row float64              // elements [0, :, :]
		for _, v := range y[:12] {
			row += v
		}
		if opset == 13 && math.Abs(column-1) > 1e-12 {
			t.Errorf("Softmax-13 axis 1: column sums to %g", column)
		}
		if opset == 11 && (math.Abs(row-1) > 1e-12 || math.Abs(column-1) < 1e-3) {
			t.Errorf("Softmax-11 axis 1: row of 12 sums to %g, column to %g", row, column)
		}
	}
}

func TestSoftmaxStability(t *testing.T) {
	x := tensors.Vector[float32](1000, 1001, 1002, -math.MaxFloat32)
	out, err := runNode(t, node("Softmax", []string{"x"}, []string{"y"}), 13, x)
	if err != nil {
		t.Fatal(err)
	}
	nnClose(t, "Softmax large", out[0], []int{4}, []float64{0.09003057, 0.24472847, 0.66524096, 0}, 1e-6)
	out, err = runNode(t, node("LogSoftmax", []string{"x"}, []string{"y"}), 13, x)
	if err != nil {
		t.Fatal(err)
	}
	got := tensors.Data[float32](out[0])
	for i, w := range []float64{-2.40760596, -1.40760596, -0.40760596} {
		if math.Abs(float64(got[i])-w) > 1e-5 {
			t.Errorf("LogSoftmax large: element %d is %g, want %g", i, got[i], w)
		}
	}
	if !(got[3] < -1e38) || math.IsInf(float64(got[3]), 0) {
		t.Errorf("LogSoftmax of a very negative value: %g", got[3])
	}
	// Hardmax picks the first of tied maxima.
	out, err = runNode(t, node("Hardmax", []string{"x"}, []string{"y"}), 13, tensors.Vector[float64](1, 3, 3, 2))
	if err != nil {
		t.Fatal(err)
	}
	nnClose(t, "Hardmax ties", out[0], []int{4}, []float64{0, 1, 0, 0}, 0)
}

func TestSoftmaxErrors(t *testing.T) {
	if _, err := runNode(t, node("Softmax", []string{"x"}, []string{"y"}, nnInt("axis", 3)), 13, nnRand(1, 2, 3, 4)); err == nil {
		t.Error("axis 3 of a rank-3 input accepted")
	}
	if _, err := runNode(t, node("LogSoftmax", []string{"x"}, []string{"y"}), 13, tensors.Vector[int32](1, 2)); !errors.Is(err, tensors.ErrUnsupported) {
		t.Errorf("int32 LogSoftmax: %v, want unsupported", err)
	}
	if _, err := runNode(t, node("Softmax", []string{"x"}, []string{"y"}), 13, tensors.Scalar[float32](1)); err == nil {
		t.Error("Softmax of a scalar accepted")
	}
}
