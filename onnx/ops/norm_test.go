package ops

import (
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/onnxkit/onnxkit/onnx/onnxpb"
	"github.com/onnxkit/onnxkit/onnx/tensors"
)

// nnBNParams returns scale, B, mean and a positive var of the given shape.
func nnBNParams(seed int64, shape ...int) []*tensors.Tensor {
	v := nnRand(seed+3, shape...)
	vd := tensors.Data[float64](v)
	pos := make([]float64, len(vd))
	for i, x := range vd {
		pos[i] = x*x + 0.1
	}
	return []*tensors.Tensor{nnRand(seed, shape...), nnRand(seed+1, shape...), nnRand(seed+2, shape...), must(tensors.New(shape, pos))}
}

// nnRefBN normalizes x with parameters indexed by param(i) for element i.
func nnRefBN(x *tensors.Tensor, p []*tensors.Tensor, eps float64, param func(i int) int) []float64 {
	xd := tensors.Data[float64](x)
	s, b, m, v := tensors.Data[float64](p[0]), tensors.Data[float64](p[1]), tensors.Data[float64](p[2]), tensors.Data[float64](p[3])
	y := make([]float64, len(xd))
	for i, xv := range xd {
		j := param(i)
		y[i] = (xv-m[j])/math.Sqrt(v[j]+eps)*s[j] + b[j]
	}
	return y
}

func TestBatchNormInference(t *testing.T) {
	in := []string{"x", "s", "b", "m", "v"}
	for _, shape := range [][]int{{2, 3, 4, 5}, {4, 3}, {2, 3, 5}, {1, 3, 2, 2, 2}} {
		x := nnRand(1, shape...)
		p := nnBNParams(10, 3)
		inner := x.Len() / shape[0] / 3
		want := nnRefBN(x, p, float64(float32(1e-3)), func(i int) int { return i / inner % 3 })
		args := append([]*tensors.Tensor{x}, p...)
		for _, c := range []struct {
			opset int
			attrs []*onnxpb.AttributeProto
		}{
			{6, []*onnxpb.AttributeProto{nnInt("is_test", 1), nnFloat("momentum", 0.7)}},
			{7, []*onnxpb.AttributeProto{nnInt("spatial", 1)}},
			{9, nil},
			{14, []*onnxpb.AttributeProto{nnInt("training_mode", 0)}},
			{15, []*onnxpb.AttributeProto{nnFloat("momentum", 0.5)}},
		} {
			attrs := append([]*onnxpb.AttributeProto{nnFloat("epsilon", 1e-3)}, c.attrs...)
			np := node("BatchNormalization", in, []string{"y"}, attrs...)
			out, err := runNode(t, np, c.opset, args...)
			if err != nil {
				t.Errorf("BatchNormalization-%d %v: %v", c.opset, shape, err)
				continue
			}
			nnClose(t, "BatchNormalization", out[0], shape, want, 1e-12)
			// With constant parameters the coefficients are folded at load.
			consts := map[string]*tensors.Tensor{"s": p[0], "b": p[1], "m": p[2], "v": p[3]}
			comp, err := Compile(np, Env{Opset: c.opset, Const: func(name string) *tensors.Tensor { return consts[name] }})
			if err != nil {
				t.Fatal(err)
			}
			out, err = comp.Kernel(append([]*tensors.Tensor{nnTo32(x)}, p...))
			if err != nil && c.opset >= 15 {
				t.Errorf("BatchNormalization-%d float32 X, float64 parameters: %v", c.opset, err)
				continue
			}
			if err == nil {
				nnClose(t, "BatchNormalization folded", out[0], shape, want, 1e-5)
			}
		}
	}
}

func TestBatchNormPerActivation(t *testing.T) {
	// spatial=0 (versions 1-7): one parameter per activation of C×H×W.
	x := nnRand(2, 2, 3, 2, 2)
	p := nnBNParams(20, 3, 2, 2)
	want := nnRefBN(x, p, float64(float32(1e-5)), func(i int) int { return i % 12 })
	np := node("BatchNormalization", []string{"x", "s", "b", "m", "v"}, []string{"y"}, nnInt("spatial", 0))
	out, err := runNode(t, np, 7, append([]*tensors.Tensor{x}, p...)...)
	if err != nil {
		t.Fatal(err)
	}
	nnClose(t, "BatchNormalization spatial=0", out[0], x.Shape(), want, 1e-12)
	// The per-channel shape does not fit spatial=0, nor the reverse.
	if _, err := runNode(t, np, 7, append([]*tensors.Tensor{x}, nnBNParams(1, 3)...)...); err == nil {
		t.Error("spatial=0 accepted per-channel parameters")
	}
	np = node("BatchNormalization", []string{"x", "s", "b", "m", "v"}, []string{"y"})
	if _, err := runNode(t, np, 9, append([]*tensors.Tensor{x}, p...)...); err == nil {
		t.Error("version 9 accepted per-activation parameters")
	}
}

func TestBatchNormTraining(t *testing.T) {
	x := nnRand(3, 4, 2, 3, 3)
	p := nnBNParams(30, 2)
	xd := tensors.Data[float64](x)
	mean, variance := make([]float64, 2), make([]float64, 2)
	for i, v := range xd {
		mean[i/9%2] += v / 36
	}
	for i, v := range xd {
		variance[i/9%2] += (v - mean[i/9%2]) * (v - mean[i/9%2]) / 36
	}
	batch := []*tensors.Tensor{p[0], p[1], must(tensors.New([]int{2}, mean)), must(tensors.New([]int{2}, variance))}
	want := nnRefBN(x, batch, float64(float32(1e-5)), func(i int) int { return i / 9 % 2 })
	runMean, runVar := make([]float64, 2), make([]float64, 2)
	for c := 0; c < 2; c++ {
		runMean[c] = tensors.Data[float64](p[2])[c]*0.8 + mean[c]*0.2
		runVar[c] = tensors.Data[float64](p[3])[c]*0.8 + variance[c]*0.2
	}
	np := node("BatchNormalization", []string{"x", "s", "b", "m", "v"}, []string{"y", "rm", "rv"},
		nnInt("training_mode", 1), nnFloat("momentum", 0.8))
	for _, opset := range []int{14, 15} {
		out, err := runNode(t, np, opset, append([]*tensors.Tensor{x}, p...)...)
		if err != nil {
			t.Fatal(err)
		}
		nnClose(t, "training Y", out[0], x.Shape(), want, 1e-12)
		nnClose(t, "running mean", out[1], []int{2}, runMean, 1e-6)
		nnClose(t, "running var", out[2], []int{2}, runVar, 1e-6)
	}
	// Only Y requested.
	out, err := runNode(t, node("BatchNormalization", []string{"x", "s", "b", "m", "v"}, []string{"y"}, nnInt("training_mode", 1)), 15,
		append([]*tensors.Tensor{x}, p...)...)
	if err != nil || len(out) != 1 {
		t.Fatalf("training, Y only: %v %v", out, err)
	}
	nnClose(t, "training Y only", out[0], x.Shape(), want, 1e-12)
}

func TestBatchNormRejects(t *testing.T) {
	in := []string{"x", "s", "b", "m", "v"}
	cases := []struct {
		name  string
		opset int
		out   []string
		attrs []*onnxpb.AttributeProto
		uns   bool
	}{
		{"is_test=0", 6, []string{"y"}, nil, true},
		{"training outputs of version 9", 9, []string{"y", "m2"}, nil, true},
		{"running statistics in inference", 15, []string{"y", "rm", "rv"}, nil, false},
		{"negative epsilon", 15, []string{"y"}, []*onnxpb.AttributeProto{nnFloat("epsilon", -1)}, false},
	}
	for _, c := range cases {
		_, err := Compile(node("BatchNormalization", in, c.out, c.attrs...), Env{Opset: c.opset})
		if err == nil {
			t.Errorf("%s: accepted", c.name)
		} else if errors.Is(err, tensors.ErrUnsupported) != c.uns {
			t.Errorf("%s: ErrUnsupported = %v, want %v (%v)", c.name, !c.uns, c.uns, err)
		}
	}
	np := node("BatchNormalization", in, []string{"y"})
	x := nnRand(1, 2, 3, 2)
	for _, c := range []struct {
		name string
		args []*tensors.Tensor
		want string
	}{
		{"scale of the wrong size", append([]*tensors.Tensor{x}, nnBNParams(1, 4)...), "scale"},
		{"var of another shape", []*tensors.Tensor{x, nnRand(1, 3), nnRand(1, 3), nnRand(1, 3), nnRand(1, 1, 3)}, "shape"},
		{"rank-1 X", append([]*tensors.Tensor{nnRand(1, 3)}, nnBNParams(1, 3)...), "rank"},
		{"integer X", append([]*tensors.Tensor{must(tensors.New([]int{1, 3}, []int32{1, 2, 3}))}, nnBNParams(1, 3)...), "int32"},
		{"integer mean", []*tensors.Tensor{x, nnRand(1, 3), nnRand(1, 3), tensors.Vector[int64](1, 2, 3), nnRand(1, 3)}, "int64"},
	} {
		if _, err := runNode(t, np, 15, c.args...); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want an error mentioning %q", c.name, err, c.want)
		}
	}
}
