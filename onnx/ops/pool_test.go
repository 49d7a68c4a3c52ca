package ops

import (
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/onnxkit/onnxkit/onnx/onnxpb"
	"github.com/onnxkit/onnxkit/onnx/tensors"
)

func TestPoolsMatchDefinition(t *testing.T) {
	type win = nnRefWindow
	cases := []struct {
		name   string
		x      []int
		kernel []int
		attrs  []*onnxpb.AttributeProto
		ref    win // pads and output sizes worked out by hand
		since  int // first MaxPool version with these attributes
	}{
		{"asymmetric pads, strides", []int{1, 2, 6, 7}, []int{3, 2},
			[]*onnxpb.AttributeProto{nnInts("pads", 1, 0, 2, 1), nnInts("strides", 2, 2)},
			win{[]int{2, 2}, []int{1, 1}, []int{1, 0}, []int{2, 1}, []int{4, 4}}, 1},
		{"ceil_mode", []int{2, 1, 6, 6}, []int{3, 3},
			[]*onnxpb.AttributeProto{nnInts("strides", 2, 2), nnInt("ceil_mode", 1)},
			win{[]int{2, 2}, []int{1, 1}, []int{0, 0}, []int{0, 0}, []int{3, 3}}, 10},
		{"ceil_mode drops a window starting in the end pad", []int{1, 1, 5, 5}, []int{3, 3},
			[]*onnxpb.AttributeProto{nnInts("strides", 3, 3), nnInts("pads", 0, 0, 2, 2), nnInt("ceil_mode", 1)},
			win{[]int{3, 3}, []int{1, 1}, []int{0, 0}, []int{2, 2}, []int{2, 2}}, 10},
		{"floor rounding", []int{1, 1, 6, 6}, []int{3, 3},
			[]*onnxpb.AttributeProto{nnInts("strides", 2, 2)},
			win{[]int{2, 2}, []int{1, 1}, []int{0, 0}, []int{0, 0}, []int{2, 2}}, 1},
		{"dilations", []int{1, 2, 7, 7}, []int{2, 3},
			[]*onnxpb.AttributeProto{nnInts("dilations", 3, 2), nnInts("pads", 1, 1, 1, 1)},
			win{[]int{1, 1}, []int{3, 2}, []int{1, 1}, []int{1, 1}, []int{6, 5}}, 10},
		{"SAME_UPPER", []int{1, 1, 5, 5}, []int{2, 2},
			[]*onnxpb.AttributeProto{nnStr("auto_pad", "SAME_UPPER"), nnInts("strides", 2, 2)},
			win{[]int{2, 2}, []int{1, 1}, []int{0, 0}, []int{1, 1}, []int{3, 3}}, 1},
		{"SAME_LOWER", []int{1, 1, 5, 5}, []int{2, 2},
			[]*onnxpb.AttributeProto{nnStr("auto_pad", "SAME_LOWER"), nnInts("strides", 2, 2)},
			win{[]int{2, 2}, []int{1, 1}, []int{1, 1}, []int{0, 0}, []int{3, 3}}, 1},
		{"VALID", []int{1, 1, 5, 6}, []int{2, 3},
			[]*onnxpb.AttributeProto{nnStr("auto_pad", "VALID"), nnInts("strides", 2, 2)},
			win{[]int{2, 2}, []int{1, 1}, []int{0, 0}, []int{0, 0}, []int{2, 2}}, 1},
		{"VALID with ceil_mode (as onnxruntime)", []int{1, 2, 5, 7}, []int{2, 2},
			[]*onnxpb.AttributeProto{nnStr("auto_pad", "VALID"), nnInts("strides", 2, 2), nnInt("ceil_mode", 1)},
			win{[]int{2, 2}, []int{1, 1}, []int{0, 0}, []int{0, 0}, []int{3, 4}}, 10},
		{"1d", []int{2, 3, 9}, []int{3},
			[]*onnxpb.AttributeProto{nnInts("strides", 2), nnInts("pads", 1, 1)},
			win{[]int{2}, []int{1}, []int{1}, []int{1}, []int{5}}, 1},
		{"3d", []int{1, 2, 4, 5, 6}, []int{2, 2, 3},
			[]*onnxpb.AttributeProto{nnInts("strides", 2, 1, 2), nnInts("pads", 0, 1, 1, 1, 0, 1)},
			win{[]int{2, 1, 2}, []int{1, 1, 1}, []int{0, 1, 1}, []int{1, 0, 1}, []int{2, 5, 3}}, 1},
		{"3d ceil_mode", []int{1, 1, 5, 5, 5}, []int{2, 2, 2},
			[]*onnxpb.AttributeProto{nnInts("strides", 2, 2, 2), nnInt("ceil_mode", 1)},
			win{[]int{2, 2, 2}, []int{1, 1, 1}, []int{0, 0, 0}, []int{0, 0, 0}, []int{3, 3, 3}}, 10},
		{"3d dilated", []int{1, 1, 6, 5, 5}, []int{2, 2, 2},
			[]*onnxpb.AttributeProto{nnInts("dilations", 2, 1, 3)},
			win{[]int{1, 1, 1}, []int{2, 1, 3}, []int{0, 0, 0}, []int{0, 0, 0}, []int{4, 4, 2}}, 10},
	}
	for ci, c := range cases {
		x := nnRand(int64(ci), c.x...)
		k := make([]int64, len(c.kernel))
		for i, v := range c.kernel {
			k[i] = int64(v)
		}
		attrs := append([]*onnxpb.AttributeProto{nnInts("kernel_shape", k...)}, c.attrs...)
		// MaxPool with Indices.
		shape, want, wantIdx := nnRefPool(x, c.kernel, c.ref, false, false)
		wantIdxF := make([]float64, len(wantIdx))
		for i, v := range wantIdx {
			wantIdxF[i] = float64(v)
		}
		for _, opset := range []int{c.since, 12} {
			outputs := []string{"y", "i"}
			if opset < 8 {
				outputs = outputs[:1]
			}
			out, err := runNode(t, node("MaxPool", []string{"x"}, outputs, attrs...), opset, x)
			if err != nil {
				t.Errorf("MaxPool %s (opset %d): %v", c.name, opset, err)
				continue
			}
			nnClose(t, "MaxPool "+c.name, out[0], shape, want, 0)
			if len(outputs) == 2 {
				if out[1].DType() != tensors.Int64 {
					t.Errorf("MaxPool %s: Indices are %v", c.name, out[1])
				}
				nnClose(t, "MaxPool Indices "+c.name, out[1], shape, wantIdxF, 0)
			}
		}
		out, err := runNode(t, node("MaxPool", []string{"x"}, []string{"y"}, attrs...), 12, nnTo32(x))
		if err != nil {
			t.Errorf("MaxPool %s float32: %v", c.name, err)
		} else {
			nnClose(t, "MaxPool float32 "+c.name, out[0], shape, want, 1e-7)
		}
		// AveragePool (no dilations).
		if c.ref.dilations[0] != 1 || c.ref.dilations[len(c.ref.dilations)-1] != 1 {
			continue
		}
		for _, include := range []bool{false, true} {
			shape, want, _ := nnRefPool(x, c.kernel, c.ref, true, include)
			a := attrs
			if include {
				a = append(append([]*onnxpb.AttributeProto{}, attrs...), nnInt("count_include_pad", 1))
			}
			for _, opset := range []int{max(c.since, 7), 11} {
				out, err := runNode(t, node("AveragePool", []string{"x"}, []string{"y"}, a...), opset, x)
				if err != nil {
					t.Errorf("AveragePool %s (include pad %v, opset %d): %v", c.name, include, opset, err)
					continue
				}
				nnClose(t, "AveragePool "+c.name, out[0], shape, want, 1e-12)
			}
		}
	}
}

func TestMaxPoolIndicesStorageOrder(t *testing.T) {
	x := must(tensors.New([]int{1, 2, 2, 3}, []float64{1, 2, 3, 4, 5, 6, 12, 11, 10, 9, 8, 7}))
	for _, c := range []struct {
		order int64
		want  []float64
	}{
		{0, []float64{4, 5, 6, 7}},
		{1, []float64{3, 5, 6, 8}}, // in-plane index h + w·H
	} {
		out, err := runNode(t, node("MaxPool", []string{"x"}, []string{"y", "i"},
			nnInts("kernel_shape", 2, 2), nnInt("storage_order", c.order)), 12, x)
		if err != nil {
			t.Fatal(err)
		}
		nnClose(t, "MaxPool values", out[0], []int{1, 2, 1, 2}, []float64{5, 6, 12, 11}, 0)
		nnClose(t, "MaxPool storage_order indices", out[1], []int{1, 2, 1, 2}, c.want, 0)
	}
}

func TestMaxPoolIntegers(t *testing.T) {
	// Pads as large as the kernel leave windows entirely in padding, which
	// give the type's least value and index -1.
	attrs := []*onnxpb.AttributeProto{nnInts("kernel_shape", 1, 2), nnInts("pads", 1, 2, 0, 0), nnInts("strides", 1, 2)}
	i8 := must(tensors.New([]int{1, 1, 2, 2}, []int8{-5, -100, 7, -128}))
	out, err := runNode(t, node("MaxPool", []string{"x"}, []string{"y", "i"}, attrs...), 12, i8)
	if err != nil {
		t.Fatal(err)
	}
	if out[0].DType() != tensors.Int8 {
		t.Fatalf("int8 MaxPool gave %v", out[0])
	}
	nnClose(t, "int8 MaxPool", out[0], []int{1, 1, 3, 2}, []float64{-128, -128, -128, -5, -128, 7}, 0)
	nnClose(t, "int8 MaxPool indices", out[1], []int{1, 1, 3, 2}, []float64{-1, -1, -1, 0, -1, 2}, 0)
	u8 := must(tensors.New([]int{1, 1, 2, 2}, []uint8{5, 200, 255, 0}))
	out, err = runNode(t, node("MaxPool", []string{"x"}, []string{"y"}, attrs...), 12, u8)
	if err != nil {
		t.Fatal(err)
	}
	nnClose(t, "uint8 MaxPool", out[0], []int{1, 1, 3, 2}, []float64{0, 0, 0, 200, 0, 255}, 0)
	// Before version 12, and for other integers, the types are refused.
	if _, err := runNode(t, node("MaxPool", []string{"x"}, []string{"y"}, attrs...), 11, u8); !errors.Is(err, tensors.ErrUnsupported) {
		t.Errorf("uint8 MaxPool-11: %v, want unsupported", err)
	}
	i32 := must(tensors.New([]int{1, 1, 1, 2}, []int32{1, 2}))
	if _, err := runNode(t, node("MaxPool", []string{"x"}, []string{"y"}, attrs...), 12, i32); !errors.Is(err, tensors.ErrUnsupported) {
		t.Errorf("int32 MaxPool: %v, want unsupported", err)
	}
	if _, err := runNode(t, node("AveragePool", []string{"x"}, []string{"y"}, nnInts("kernel_shape", 1, 1)), 11, u8); !errors.Is(err, tensors.ErrUnsupported) {
		t.Errorf("uint8 AveragePool: %v, want unsupported", err)
	}
}

func TestPoolRejectsBadInput(t *testing.T) {
	x := nnRand(1, 1, 1, 4, 4)
	cases := []struct {
		name  string
		op    string
		opset int
		attrs []*onnxpb.AttributeProto
		x     *tensors.Tensor
		want  string // "" when Compile itself must fail
	}{
		{"no kernel_shape", "MaxPool", 12, nil, x, ""},
		{"no kernel_shape", "AveragePool", 11, []*onnxpb.AttributeProto{nnInts("strides", 1, 1)}, x, ""},
		{"storage_order 2", "MaxPool", 12, []*onnxpb.AttributeProto{nnInts("kernel_shape", 2, 2), nnInt("storage_order", 2)}, x, ""},
		{"zero kernel", "MaxPool", 12, []*onnxpb.AttributeProto{nnInts("kernel_shape", 0, 2)}, x, ""},
		{"dilations before version 10", "MaxPool", 8, []*onnxpb.AttributeProto{nnInts("kernel_shape", 2, 2), nnInts("dilations", 1, 1)}, x, ""},
		{"count_include_pad before version 7", "AveragePool", 6, []*onnxpb.AttributeProto{nnInts("kernel_shape", 2, 2), nnInt("count_include_pad", 1)}, x, ""},
		{"kernel larger than input", "MaxPool", 12, []*onnxpb.AttributeProto{nnInts("kernel_shape", 5, 2)}, x, "smaller than the kernel"},
		{"kernel rank differs from input", "AveragePool", 11, []*onnxpb.AttributeProto{nnInts("kernel_shape", 2)}, x, "spatial axes"},
		{"rank-2 input", "MaxPool", 12, []*onnxpb.AttributeProto{nnInts("kernel_shape", 2)}, nnRand(1, 2, 4), "rank 2"},
	}
	for _, c := range cases {
		np := node(c.op, []string{"x"}, []string{"y"}, c.attrs...)
		comp, err := Compile(np, Env{Opset: c.opset})
		if c.want == "" {
			if err == nil {
				t.Errorf("%s %s: accepted at load", c.op, c.name)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s %s: load: %v", c.op, c.name, err)
			continue
		}
		if _, err := comp.Kernel([]*tensors.Tensor{c.x}); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s %s: %v, want an error mentioning %q", c.op, c.name, err, c.want)
		}
	}
}

func TestGlobalPools(t *testing.T) {
	for _, shape := range [][]int{{2, 3, 4, 5}, {2, 3, 7}, {1, 2, 2, 3, 2}, {0, 3, 2, 2}} {
		x := nnRand(7, shape...)
		xd := tensors.Data[float64](x)
		planes := shape[0] * shape[1]
		plane := 1
		for _, d := range shape[2:] {
			plane *= d
		}
		mean, maxv := make([]float64, planes), make([]float64, planes)
		for p := range mean {
			maxv[p] = math.Inf(-1)
			for _, v := range xd[p*plane : (p+1)*plane] {
				mean[p] += v / float64(plane)
				maxv[p] = math.Max(maxv[p], v)
			}
		}
		want := []int{shape[0], shape[1]}
		for range shape[2:] {
			want = append(want, 1)
		}
		for _, c := range []struct {
			op   string
			want []float64
		}{{"GlobalAveragePool", mean}, {"GlobalMaxPool", maxv}} {
			out, err := runNode(t, node(c.op, []string{"x"}, []string{"y"}), 1, x)
			if err != nil {
				t.Errorf("%s %v: %v", c.op, shape, err)
				continue
			}
			nnClose(t, c.op, out[0], want, c.want, 1e-12)
			out, err = runNode(t, node(c.op, []string{"x"}, []string{"y"}), 1, nnTo32(x))
			if err != nil || out[0].DType() != tensors.Float32 {
				t.Errorf("%s float32 %v: %v %v", c.op, shape, out, err)
				continue
			}
			nnClose(t, c.op+" float32", out[0], want, c.want, 1e-6)
		}
	}
	if _, err := runNode(t, node("GlobalMaxPool", []string{"x"}, []string{"y"}), 1, nnRand(1, 2, 3)); err == nil {
		t.Error("GlobalMaxPool accepted a rank-2 input")
	}
	if _, err := runNode(t, node("GlobalAveragePool", []string{"x"}, []string{"y"}), 1, tensors.Vector[int64](1, 2, 3)); err == nil {
		t.Error("GlobalAveragePool accepted int64")
	}
}

func TestPoolInfer(t *testing.T) {
	x := tensors.Type{DType: tensors.Float32, RankKnown: true, Dims: []tensors.Dim{{Size: -1, Param: "N"}, {Size: 3}, {Size: 32}, {Size: 32}}}
	cases := []struct {
		op    string
		attrs []*onnxpb.AttributeProto
		want  []string
	}{
		{"MaxPool", []*onnxpb.AttributeProto{nnInts("kernel_shape", 3, 3), nnInts("strides", 2, 2)}, []string{"float32[N 3 15 15]", "int64[N 3 15 15]"}},
		{"MaxPool", []*onnxpb.AttributeProto{nnInts("kernel_shape", 3, 3), nnInts("strides", 2, 2), nnInt("ceil_mode", 1)}, []string{"float32[N 3 16 16]", "int64[N 3 16 16]"}},
		{"AveragePool", []*onnxpb.AttributeProto{nnInts("kernel_shape", 2, 4), nnStr("auto_pad", "SAME_UPPER"), nnInts("strides", 3, 3)}, []string{"float32[N 3 11 11]"}},
		{"GlobalAveragePool", nil, []string{"float32[N 3 1 1]"}},
		{"GlobalMaxPool", nil, []string{"float32[N 3 1 1]"}},
	}
	for _, c := range cases {
		outs := []string{"y", "i"}[:len(c.want)]
		comp, err := Compile(node(c.op, []string{"x"}, outs, c.attrs...), Env{Opset: 12})
		if err != nil {
			t.Fatal(err)
		}
		got, err := comp.Infer([]tensors.Type{x})
		if err != nil {
			t.Errorf("%s infer: %v", c.op, err)
			continue
		}
		for i, w := range c.want {
			if got[i].String() != w {
				t.Errorf("%s %v infer output %d: %v, want %s", c.op, c.attrs, i, got[i], w)
			}
		}
	}
}
