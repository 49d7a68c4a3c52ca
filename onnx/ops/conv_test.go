package ops

import (
	"errors"
	"strings"
	"testing"

	"github.com/onnxkit/onnxkit/onnx/onnxpb"
	"github.com/onnxkit/onnxkit/onnx/tensors"
)

func TestConvMatchesDefinition(t *testing.T) {
	type win = nnRefWindow
	cases := []struct {
		name  string
		x, w  []int
		bias  bool
		group int
		attrs []*onnxpb.AttributeProto
		ref   win // pads and output sizes worked out by hand
	}{
		{"2d pads", []int{1, 2, 5, 5}, []int{3, 2, 3, 3}, true, 1,
			[]*onnxpb.AttributeProto{nnInts("pads", 1, 1, 1, 1)},
			win{[]int{1, 1}, []int{1, 1}, []int{1, 1}, []int{1, 1}, []int{5, 5}}},
		{"asymmetric pads, stride 2", []int{2, 3, 7, 6}, []int{4, 3, 3, 2}, true, 1,
			[]*onnxpb.AttributeProto{nnInts("pads", 0, 1, 2, 0), nnInts("strides", 2, 2)},
			win{[]int{2, 2}, []int{1, 1}, []int{0, 1}, []int{2, 0}, []int{4, 3}}},
		{"SAME_UPPER, odd padding at the end", []int{1, 1, 6, 6}, []int{1, 1, 3, 3}, false, 1,
			[]*onnxpb.AttributeProto{nnStr("auto_pad", "SAME_UPPER"), nnInts("strides", 2, 2)},
			win{[]int{2, 2}, []int{1, 1}, []int{0, 0}, []int{1, 1}, []int{3, 3}}},
		{"SAME_LOWER, odd padding at the beginning", []int{1, 1, 6, 6}, []int{1, 1, 3, 3}, false, 1,
			[]*onnxpb.AttributeProto{nnStr("auto_pad", "SAME_LOWER"), nnInts("strides", 2, 2)},
			win{[]int{2, 2}, []int{1, 1}, []int{1, 1}, []int{0, 0}, []int{3, 3}}},
		{"SAME_UPPER with dilation", []int{1, 2, 7, 5}, []int{2, 2, 3, 2}, true, 1,
			[]*onnxpb.AttributeProto{nnStr("auto_pad", "SAME_UPPER"), nnInts("dilations", 2, 1)},
			win{[]int{1, 1}, []int{2, 1}, []int{2, 0}, []int{2, 1}, []int{7, 5}}},
		{"VALID with strides", []int{1, 1, 7, 7}, []int{1, 1, 3, 3}, true, 1,
			[]*onnxpb.AttributeProto{nnStr("auto_pad", "VALID"), nnInts("strides", 3, 2), nnInts("pads", 5, 5, 5, 5)},
			win{[]int{3, 2}, []int{1, 1}, []int{0, 0}, []int{0, 0}, []int{2, 3}}},
		{"dilations and pads", []int{1, 2, 9, 8}, []int{3, 2, 3, 3}, true, 1,
			[]*onnxpb.AttributeProto{nnInts("dilations", 2, 3), nnInts("pads", 1, 0, 1, 2)},
			win{[]int{1, 1}, []int{2, 3}, []int{1, 0}, []int{1, 2}, []int{7, 4}}},
		{"depthwise", []int{2, 4, 5, 5}, []int{4, 1, 3, 3}, true, 4,
			[]*onnxpb.AttributeProto{nnInts("pads", 1, 1, 1, 1)},
			win{[]int{1, 1}, []int{1, 1}, []int{1, 1}, []int{1, 1}, []int{5, 5}}},
		{"depthwise with multiplier", []int{1, 3, 4, 4}, []int{6, 1, 2, 2}, false, 3,
			[]*onnxpb.AttributeProto{nnInts("strides", 2, 2)},
			win{[]int{2, 2}, []int{1, 1}, []int{0, 0}, []int{0, 0}, []int{2, 2}}},
		{"two groups", []int{1, 4, 5, 4}, []int{6, 2, 3, 1}, true, 2, nil,
			win{[]int{1, 1}, []int{1, 1}, []int{0, 0}, []int{0, 0}, []int{3, 4}}},
		{"kernel_shape given", []int{1, 1, 4, 4}, []int{2, 1, 2, 2}, false, 1,
			[]*onnxpb.AttributeProto{nnInts("kernel_shape", 2, 2)},
			win{[]int{1, 1}, []int{1, 1}, []int{0, 0}, []int{0, 0}, []int{3, 3}}},
		{"1d", []int{2, 3, 10}, []int{4, 3, 3}, true, 1,
			[]*onnxpb.AttributeProto{nnInts("pads", 2, 1), nnInts("strides", 2), nnInts("dilations", 2)},
			win{[]int{2}, []int{2}, []int{2}, []int{1}, []int{5}}},
		{"1d SAME_LOWER", []int{1, 2, 7}, []int{2, 2, 4}, false, 1,
			[]*onnxpb.AttributeProto{nnStr("auto_pad", "SAME_LOWER"), nnInts("strides", 2)},
			win{[]int{2}, []int{1}, []int{2}, []int{1}, []int{4}}},
		{"3d grouped", []int{1, 2, 4, 5, 3}, []int{2, 1, 2, 3, 2}, true, 2,
			[]*onnxpb.AttributeProto{nnInts("pads", 1, 0, 0, 0, 1, 1), nnInts("strides", 1, 2, 1)},
			win{[]int{1, 2, 1}, []int{1, 1, 1}, []int{1, 0, 0}, []int{0, 1, 1}, []int{4, 2, 3}}},
		{"3d SAME_UPPER dilated", []int{2, 2, 5, 4, 4}, []int{3, 2, 2, 2, 3}, true, 1,
			[]*onnxpb.AttributeProto{nnStr("auto_pad", "SAME_UPPER"), nnInts("dilations", 2, 1, 1), nnInts("strides", 2, 1, 2)},
			win{[]int{2, 1, 2}, []int{2, 1, 1}, []int{1, 0, 0}, []int{1, 1, 1}, []int{3, 4, 2}}},
	}
	for ci, c := range cases {
		x, w := nnRand(int64(ci), c.x...), nnRand(int64(100+ci), c.w...)
		var b *tensors.Tensor
		in := []string{"x", "w"}
		if c.bias {
			b = nnRand(int64(200+ci), c.w[0])
			in = append(in, "b")
		}
		attrs := append([]*onnxpb.AttributeProto{}, c.attrs...)
		if c.group != 1 {
			attrs = append(attrs, nnInt("group", int64(c.group)))
		}
		wantShape, want := nnRefConv(x, w, b, c.group, c.ref)
		np := node("Conv", in, []string{"y"}, attrs...)
		for _, opset := range []int{1, 11, 18} {
			args := []*tensors.Tensor{x, w}
			if b != nil {
				args = append(args, b)
			}
			out, err := runNode(t, np, opset, args...)
			if err != nil {
				t.Errorf("%s (opset %d): %v", c.name, opset, err)
				continue
			}
			nnClose(t, c.name+" float64", out[0], wantShape, want, 1e-12)
		}
		args := []*tensors.Tensor{nnTo32(x), nnTo32(w)}
		if b != nil {
			args = append(args, nnTo32(b))
		}
		out, err := runNode(t, np, 11, args...)
		if err != nil {
			t.Errorf("%s float32: %v", c.name, err)
			continue
		}
		if out[0].DType() != tensors.Float32 {
			t.Errorf("%s: float32 input gave %v", c.name, out[0])
		}
		nnClose(t, c.name+" float32", out[0], wantShape, want, 1e-5)
	}
}

func TestConvRejectsBadInput(t *testing.T) {
	x := nnRand(1, 1, 4, 5, 5)
	cases := []struct {
		name    string
		attrs   []*onnxpb.AttributeProto
		x, w, b *tensors.Tensor
		want    string
		uns     bool
	}{
		{"channel mismatch", nil, x, nnRand(2, 2, 3, 3, 3), nil, "input channels", false},
		{"group does not divide M", []*onnxpb.AttributeProto{nnInt("group", 2)}, x, nnRand(2, 3, 2, 3, 3), nil, "multiple of group", false},
		{"group does not divide C", []*onnxpb.AttributeProto{nnInt("group", 3)}, x, nnRand(2, 3, 1, 3, 3), nil, "input channels", false},
		{"kernel larger than input", nil, x, nnRand(2, 1, 4, 6, 6), nil, "smaller than the kernel", false},
		{"kernel_shape differs from W", []*onnxpb.AttributeProto{nnInts("kernel_shape", 3, 2)}, x, nnRand(2, 1, 4, 3, 3), nil, "kernel_shape", false},
		{"bias of the wrong size", nil, x, nnRand(2, 2, 4, 3, 3), nnRand(3, 3), "output channels", false},
		{"rank-2 input", nil, nnRand(1, 4, 5), nnRand(2, 2, 4), nil, "rank 2", false},
		{"W of another rank", nil, x, nnRand(2, 2, 4, 3), nil, "rank", false},
		{"mixed element types", nil, x, nnTo32(nnRand(2, 2, 4, 3, 3)), nil, "element types", false},
		{"integer input", nil, must(tensors.New([]int{1, 1, 2, 2}, []int32{1, 2, 3, 4})), must(tensors.New([]int{1, 1, 1, 1}, []int32{1})), nil, "int32", true},
		{"pads for another rank", []*onnxpb.AttributeProto{nnInts("pads", 1, 1)}, x, nnRand(2, 2, 4, 3, 3), nil, "spatial axes", false},
	}
	for _, c := range cases {
		in, args := []string{"x", "w"}, []*tensors.Tensor{c.x, c.w}
		if c.b != nil {
			in, args = append(in, "b"), append(args, c.b)
		}
		_, err := runNode(t, node("Conv", in, []string{"y"}, c.attrs...), 11, args...)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one mentioning %q", c.name, err, c.want)
			continue
		}
		if errors.Is(err, tensors.ErrUnsupported) != c.uns {
			t.Errorf("%s: ErrUnsupported = %v, want %v (%v)", c.name, !c.uns, c.uns, err)
		}
	}
	// Attribute problems fail at load time.
	bad := []struct {
		name  string
		attrs []*onnxpb.AttributeProto
		uns   bool
	}{
		{"odd pads", []*onnxpb.AttributeProto{nnInts("pads", 1, 1, 1)}, false},
		{"negative pads", []*onnxpb.AttributeProto{nnInts("pads", -1, 0, 0, 0)}, false},
		{"zero stride", []*onnxpb.AttributeProto{nnInts("strides", 0, 1)}, false},
		{"zero dilation", []*onnxpb.AttributeProto{nnInts("dilations", 1, 0)}, false},
		{"huge pads", []*onnxpb.AttributeProto{nnInts("pads", 1<<40, 0, 0, 0)}, false},
		{"strides and dilations disagree", []*onnxpb.AttributeProto{nnInts("strides", 1, 1), nnInts("dilations", 1, 1, 1)}, false},
		{"group 0", []*onnxpb.AttributeProto{nnInt("group", 0)}, false},
		{"unknown auto_pad", []*onnxpb.AttributeProto{nnStr("auto_pad", "SAME")}, true},
	}
	for _, c := range bad {
		_, err := Compile(node("Conv", []string{"x", "w"}, []string{"y"}, c.attrs...), Env{Opset: 11})
		if err == nil {
			t.Errorf("%s: accepted", c.name)
		} else if errors.Is(err, tensors.ErrUnsupported) != c.uns {
			t.Errorf("%s: ErrUnsupported = %v, want %v (%v)", c.name, !c.uns, c.uns, err)
		}
	}
}

func TestConvEmptyBatch(t *testing.T) {
	out, err := runNode(t, node("Conv", []string{"x", "w"}, []string{"y"}, nnInts("pads", 1, 1, 1, 1)), 11,
		must(tensors.New([]int{0, 2, 4, 4}, []float32{})), nnTo32(nnRand(1, 3, 2, 3, 3)))
	if err != nil || !tensors.SameShape(out[0].Shape(), []int{0, 3, 4, 4}) {
		t.Errorf("empty batch: %v %v", out, err)
	}
}

func TestConvInfer(t *testing.T) {
	batch := tensors.Dim{Size: -1, Param: "N"}
	x := tensors.Type{DType: tensors.Float32, RankKnown: true, Dims: []tensors.Dim{batch, {Size: 3}, {Size: 32}, {Size: 31}}}
	cases := []struct {
		attrs []*onnxpb.AttributeProto
		w     tensors.Type
		want  string
	}{
		{[]*onnxpb.AttributeProto{nnInts("pads", 2, 2, 2, 2), nnInts("strides", 2, 2)}, tensors.KnownType(tensors.Float32, []int{8, 3, 5, 5}), "float32[N 8 16 16]"},
		{[]*onnxpb.AttributeProto{nnStr("auto_pad", "SAME_LOWER"), nnInts("strides", 3, 3)}, tensors.KnownType(tensors.Float32, []int{4, 3, 2, 2}), "float32[N 4 11 11]"},
		{[]*onnxpb.AttributeProto{nnInts("kernel_shape", 3, 3)}, tensors.Type{DType: tensors.Float32}, "float32[N ? 30 29]"},
		{nil, tensors.Type{DType: tensors.Float32}, "float32[N ? ? ?]"},
	}
	for _, c := range cases {
		comp, err := Compile(node("Conv", []string{"x", "w"}, []string{"y"}, c.attrs...), Env{Opset: 11})
		if err != nil {
			t.Fatal(err)
		}
		got, err := comp.Infer([]tensors.Type{x, c.w})
		if err != nil || got[0].String() != c.want {
			t.Errorf("Conv infer %v: %v %v, want %s", c.attrs, got, err, c.want)
		}
	}
}

// Static types known at load time expose mismatches before the model runs.
func TestConvStaticChecks(t *testing.T) {
	N := tensors.Dim{Size: -1, Param: "N"}
	x := tensors.Type{DType: tensors.Float32, RankKnown: true, Dims: []tensors.Dim{N, {Size: 4}, {Size: 8}, {Size: 8}}}
	cases := []struct {
		name  string
		attrs []*onnxpb.AttributeProto
		w     tensors.Type
		ok    bool
	}{
		{"fits", nil, tensors.KnownType(tensors.Float32, []int{6, 4, 3, 3}), true},
		{"fits with groups", []*onnxpb.AttributeProto{nnInt("group", 2)}, tensors.KnownType(tensors.Float32, []int{6, 2, 3, 3}), true},
		{"channels", nil, tensors.KnownType(tensors.Float32, []int{6, 3, 3, 3}), false},
		{"group does not divide M", []*onnxpb.AttributeProto{nnInt("group", 4)}, tensors.KnownType(tensors.Float32, []int{6, 1, 3, 3}), false},
		{"kernel_shape", []*onnxpb.AttributeProto{nnInts("kernel_shape", 3, 2)}, tensors.KnownType(tensors.Float32, []int{6, 4, 3, 3}), false},
		{"rank", nil, tensors.KnownType(tensors.Float32, []int{6, 4, 3}), false},
		{"attributes for 1-D", []*onnxpb.AttributeProto{nnInts("strides", 2)}, tensors.Type{}, false},
	}
	for _, c := range cases {
		types := map[string]tensors.Type{"x": x, "w": c.w}
		_, err := Compile(node("Conv", []string{"x", "w"}, []string{"y"}, c.attrs...),
			Env{Opset: 11, Type: func(name string) tensors.Type { return types[name] }})
		if (err == nil) != c.ok {
			t.Errorf("%s: load error %v, want ok=%v", c.name, err, c.ok)
		}
	}
}
