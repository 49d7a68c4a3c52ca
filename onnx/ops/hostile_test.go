package ops

import (
	"fmt"
	"math/rand"
	"testing"

	"github.com/onnxkit/onnxkit/onnx/onnxpb"
	"github.com/onnxkit/onnxkit/onnx/tensors"
)

// Random shapes and attribute values, valid or not, must give results or
// errors, never panics (a panicking kernel would also be reported by the
// runtime as an internal error, which this test treats as a failure).
func TestNNHostileInputsDoNotPanic(t *testing.T) {
	r := rand.New(rand.NewSource(42))
	shape := func(maxRank int) []int {
		s := make([]int, r.Intn(maxRank+1))
		for i := range s {
			s[i] = r.Intn(4)
		}
		return s
	}
	ints := func(n int) []int64 {
		v := make([]int64, n)
		for i := range v {
			v[i] = int64(r.Intn(5) - 1)
		}
		return v
	}
	tensor := func(s []int) *tensors.Tensor {
		n, _ := tensors.NumElements(s)
		if r.Intn(4) == 0 {
			return must(tensors.New(s, make([]float32, n)))
		}
		d := make([]float64, n)
		for i := range d {
			d[i] = r.NormFloat64()
		}
		return must(tensors.New(s, d))
	}
	windowAttrs := func(pool bool) []*onnxpb.AttributeProto {
		var a []*onnxpb.AttributeProto
		k := r.Intn(4)
		if pool || r.Intn(2) == 0 {
			a = append(a, nnInts("kernel_shape", ints(k)...))
		}
		if r.Intn(2) == 0 {
			a = append(a, nnInts("strides", ints(k)...))
		}
		if r.Intn(2) == 0 {
			a = append(a, nnInts("pads", ints(2*k+r.Intn(2))...))
		}
		if r.Intn(3) == 0 {
			a = append(a, nnInts("dilations", ints(k)...))
		}
		if r.Intn(3) == 0 {
			a = append(a, nnStr("auto_pad", []string{"NOTSET", "SAME_UPPER", "SAME_LOWER", "VALID"}[r.Intn(4)]))
		}
		if pool && r.Intn(3) == 0 {
			a = append(a, nnInt("ceil_mode", int64(r.Intn(2))))
		}
		return a
	}
	type trial struct {
		op    string
		in    []string
		out   []string
		attrs []*onnxpb.AttributeProto
		args  []*tensors.Tensor
	}
	var calls, ok int
	for i := 0; i < 4000; i++ {
		var c trial
		switch r.Intn(8) {
		case 0:
			x := shape(5)
			w := append([]int{r.Intn(4)}, shape(4)...)
			c = trial{"Conv", []string{"x", "w"}, []string{"y"}, windowAttrs(false), []*tensors.Tensor{tensor(x), tensor(w)}}
			if r.Intn(2) == 0 {
				c.attrs = append(c.attrs, nnInt("group", int64(r.Intn(4))))
			}
			if r.Intn(2) == 0 {
				c.in = append(c.in, "b")
				c.args = append(c.args, tensor(shape(1)))
			}
		case 1:
			c = trial{"MaxPool", []string{"x"}, []string{"y", "i"}, windowAttrs(true), []*tensors.Tensor{tensor(shape(5))}}
			if r.Intn(2) == 0 {
				c.attrs = append(c.attrs, nnInt("storage_order", int64(r.Intn(2))))
			}
		case 2:
			c = trial{"AveragePool", []string{"x"}, []string{"y"}, windowAttrs(true), []*tensors.Tensor{tensor(shape(5))}}
			c.attrs = append(c.attrs, nnInt("count_include_pad", int64(r.Intn(2))))
			for j, a := range c.attrs {
				if a.GetName() == "dilations" {
					c.attrs = append(c.attrs[:j], c.attrs[j+1:]...)
					break
				}
			}
		case 3:
			c = trial{[]string{"GlobalAveragePool", "GlobalMaxPool"}[r.Intn(2)], []string{"x"}, []string{"y"}, nil, []*tensors.Tensor{tensor(shape(5))}}
		case 4:
			c = trial{"Gemm", []string{"a", "b", "c"}, []string{"y"},
				[]*onnxpb.AttributeProto{nnInt("transA", int64(r.Intn(2))), nnInt("transB", int64(r.Intn(2)))},
				[]*tensors.Tensor{tensor(shape(3)), tensor(shape(3)), tensor(shape(3))}}
		case 5:
			c = trial{"MatMul", []string{"a", "b"}, []string{"y"}, nil, []*tensors.Tensor{tensor(shape(4)), tensor(shape(4))}}
		case 6:
			c = trial{[]string{"Softmax", "LogSoftmax", "Hardmax"}[r.Intn(3)], []string{"x"}, []string{"y"},
				[]*onnxpb.AttributeProto{nnInt("axis", int64(r.Intn(9)-4))}, []*tensors.Tensor{tensor(shape(4))}}
		case 7:
			p := shape(2)
			c = trial{"BatchNormalization", []string{"x", "s", "b", "m", "v"}, []string{"y"},
				[]*onnxpb.AttributeProto{nnInt("training_mode", int64(r.Intn(2)))},
				[]*tensors.Tensor{tensor(shape(5)), tensor(p), tensor(p), tensor(p), tensor(p)}}
		}
		opset := []int{7, 11, 12, 13, 15}[r.Intn(5)]
		desc := fmt.Sprintf("%s-%d %v attrs %v", c.op, opset, c.args, c.attrs)
		func() {
			defer func() {
				if p := recover(); p != nil {
					t.Fatalf("%s: panic: %v", desc, p)
				}
			}()
			comp, err := Compile(node(c.op, c.in, c.out, c.attrs...), Env{Opset: opset})
			if err != nil {
				return
			}
			calls++
			out, err := comp.Kernel(c.args)
			if err != nil {
				return
			}
			ok++
			for _, o := range out {
				if err := o.Check(); err != nil {
					t.Fatalf("%s: inconsistent output: %v", desc, err)
				}
			}
		}()
	}
	t.Logf("%d kernels ran, %d successfully", calls, ok)
	if calls < 1000 || ok < 100 {
		t.Errorf("only %d kernels ran, %d successfully: the generator is too hostile to test much", calls, ok)
	}
}
