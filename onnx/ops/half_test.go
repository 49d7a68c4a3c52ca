package ops

import (
	"slices"
	"testing"

	"github.com/onnxkit/onnxkit/onnx/onnxpb"
	"github.com/onnxkit/onnxkit/onnx/tensors"
)

// TestHalfAsFloat32 runs float operators on float16 and bfloat16 inputs:
// each result must be the float32 result on the widened inputs, rounded,
// bit for bit, through the plain and the recycling kernels, and Infer
// must report the half type.
func TestHalfAsFloat32(t *testing.T) {
	vals := func(n int) []float32 {
		v := make([]float32, n)
		for i := range v {
			v[i] = float32(i%11)/3 - 1.7
		}
		return v
	}
	mk := func(dt tensors.DType, shape ...int) *tensors.Tensor {
		n := 1
		for _, d := range shape {
			n *= d
		}
		x, err := tensors.New(shape, vals(n))
		if err != nil {
			t.Fatal(err)
		}
		h, err := tensors.Float32ToHalf(x, dt)
		if err != nil {
			t.Fatal(err)
		}
		return h
	}
	cases := []struct {
		op    string
		attrs []*onnxpb.AttributeProto
		in    func(dt tensors.DType) []*tensors.Tensor
	}{
		{"Add", nil, func(dt tensors.DType) []*tensors.Tensor { return []*tensors.Tensor{mk(dt, 2, 3), mk(dt, 3)} }},
		{"Sigmoid", nil, func(dt tensors.DType) []*tensors.Tensor { return []*tensors.Tensor{mk(dt, 2, 5)} }},
		{"Softmax", nil, func(dt tensors.DType) []*tensors.Tensor { return []*tensors.Tensor{mk(dt, 2, 5)} }},
		{"Conv", []*onnxpb.AttributeProto{ewIntsAttr("pads", 1, 1, 1, 1)}, func(dt tensors.DType) []*tensors.Tensor {
			return []*tensors.Tensor{mk(dt, 1, 2, 4, 4), mk(dt, 3, 2, 3, 3), mk(dt, 3)}
		}},
		{"MatMul", nil, func(dt tensors.DType) []*tensors.Tensor { return []*tensors.Tensor{mk(dt, 3, 4), mk(dt, 4, 2)} }},
		{"MaxPool", []*onnxpb.AttributeProto{ewIntsAttr("kernel_shape", 2, 2)}, func(dt tensors.DType) []*tensors.Tensor {
			return []*tensors.Tensor{mk(dt, 1, 1, 4, 4)}
		}},
		{"ReduceMean", nil, func(dt tensors.DType) []*tensors.Tensor { return []*tensors.Tensor{mk(dt, 3, 4)} }},
	}
	for _, dt := range []tensors.DType{tensors.Float16, tensors.BFloat16} {
		for _, c := range cases {
			in := c.in(dt)
			names := make([]string, len(in))
			wide := make([]*tensors.Tensor, len(in))
			types := make([]tensors.Type, len(in))
			for i, x := range in {
				names[i] = string(rune('a' + i))
				wide[i] = tensors.HalfToFloat32(x)
				types[i] = tensors.TypeOf(x)
			}
			comp, err := Compile(node(c.op, names, []string{"y"}, c.attrs...), Env{Opset: 13})
			if err != nil {
				t.Fatalf("%s: %v", c.op, err)
			}
			want, err := comp.Kernel(wide)
			if err != nil {
				t.Fatalf("%s float32: %v", c.op, err)
			}
			w, err := tensors.Float32ToHalf(want[0], dt)
			if err != nil {
				t.Fatal(err)
			}
			got, err := comp.Kernel(in)
			if err != nil {
				t.Fatalf("%s %v: %v", c.op, dt, err)
			}
			if got[0].DType() != dt || !slices.Equal(got[0].Shape(), w.Shape()) || got[0].Len() != w.Len() {
				t.Fatalf("%s %v: got %v, want %v", c.op, dt, got[0], w)
			}
			gb, _ := tensors.AsFloat64s(got[0])
			wb, _ := tensors.AsFloat64s(w)
			if !slices.Equal(gb, wb) {
				t.Errorf("%s %v: %v, want %v", c.op, dt, gb, wb)
			}
			if comp.Recycling != nil {
				for run := 0; run < 2; run++ {
					r, err := comp.Recycling(in, got)
					if err != nil || r[0].DType() != dt {
						t.Fatalf("%s %v recycling: %v %v", c.op, dt, r, err)
					}
				}
			}
			typ, err := comp.Infer(types)
			if err != nil || typ[0].DType != dt && typ[0].DType != tensors.Undefined {
				t.Errorf("%s %v: Infer %v, %v", c.op, dt, typ, err)
			}
		}
	}
}

func ewIntsAttr(name string, v ...int64) *onnxpb.AttributeProto {
	return &onnxpb.AttributeProto{Name: name, Type: onnxpb.AttributeProto_INTS, Ints: v}
}
