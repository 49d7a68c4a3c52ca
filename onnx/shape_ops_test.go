package onnx

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/onnxkit/onnxkit/onnx/onnxpb"
	"github.com/onnxkit/onnxkit/onnx/ops"
	"github.com/onnxkit/onnxkit/onnx/tensors"
)

// Model-level tests of the shape operators and of opset 18.

func shpInts(name string, v ...int64) *onnxpb.AttributeProto {
	return &onnxpb.AttributeProto{Name: name, Type: onnxpb.AttributeProto_INTS, Ints: v}
}

func shpInt(name string, v int64) *onnxpb.AttributeProto {
	return &onnxpb.AttributeProto{Name: name, Type: onnxpb.AttributeProto_INT, I: proto.Int64(v)}
}

func shpRun(t *testing.T, m *Model, in map[string]*tensors.Tensor) map[string]*tensors.Tensor {
	t.Helper()
	out, err := m.RunTensors(in)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func shpWant(t *testing.T, what string, got *tensors.Tensor, shape []int, data any) {
	t.Helper()
	if !tensors.SameShape(got.Shape(), shape) || fmt.Sprint(got.Data()) != fmt.Sprint(data) {
		t.Errorf("%s = %v %v, want %v %v", what, got, got.Data(), tensors.FormatShape(shape), data)
	}
}

// TestOpset18Models loads opset-18 models: version-18 operators that onnxkit
// implements run, those it does not are refused at load, and opset 19 is
// refused.
func TestOpset18Models(t *testing.T) {
	f32 := func(dims ...any) *onnxpb.TypeProto { return tensorType(tensors.Float32, dims...) }
	x := mustTensor(t, []int{2, 3}, []float32{1, 2, 3, 4, 5, 6})

	t.Run("ReduceMean axes input", func(t *testing.T) {
		mp := modelProto(18, &onnxpb.GraphProto{
			Node: []*onnxpb.NodeProto{
				nodeProto("ReduceMean", "mean", []string{"x", "axes"}, []string{"y"}, shpInt("keepdims", 0)),
				nodeProto("ReduceMax", "max", []string{"x"}, []string{"m"}, shpInt("keepdims", 0)),
			},
			Initializer: []*onnxpb.TensorProto{tensors.ToProto("axes", tensors.Vector[int64](-1))},
			Input:       []*onnxpb.ValueInfoProto{valueInfo("x", f32("N", 3))},
			Output:      []*onnxpb.ValueInfoProto{valueInfo("y", f32("N")), valueInfo("m", f32())},
		})
		m, err := FromProto("reducemean18", mp)
		if err != nil {
			t.Fatal(err)
		}
		if ty, _ := m.ValueType("y"); ty.String() != "float32[N]" {
			t.Errorf("static type of y: %v", ty)
		}
		out := shpRun(t, m, map[string]*tensors.Tensor{"x": x})
		shpWant(t, "ReduceMean-18", out["y"], []int{2}, []float32{2, 5})
		shpWant(t, "ReduceMax-18", out["m"], []int{}, []float32{6})
	})

	t.Run("Split and Pad", func(t *testing.T) {
		mp := modelProto(18, &onnxpb.GraphProto{
			Node: []*onnxpb.NodeProto{
				nodeProto("Split", "split", []string{"x"}, []string{"a", "b"}, shpInt("axis", 1), shpInt("num_outputs", 2)),
				nodeProto("Pad", "pad", []string{"b", "pads", "", "axes"}, []string{"p"}),
			},
			Initializer: []*onnxpb.TensorProto{tensors.ToProto("pads", tensors.Vector[int64](1, 0)), tensors.ToProto("axes", tensors.Vector[int64](0))},
			Input:       []*onnxpb.ValueInfoProto{valueInfo("x", f32(2, 3))},
			Output:      []*onnxpb.ValueInfoProto{valueInfo("a", f32(2, 2)), valueInfo("p", f32(3, 1))},
		})
		m, err := FromProto("splitpad18", mp)
		if err != nil {
			t.Fatal(err)
		}
		out := shpRun(t, m, map[string]*tensors.Tensor{"x": x})
		shpWant(t, "Split-18", out["a"], []int{2, 2}, []float32{1, 2, 4, 5})
		shpWant(t, "Pad-18", out["p"], []int{3, 1}, []float32{0, 3, 6})
	})

	t.Run("operator without a version-18 implementation", func(t *testing.T) {
		// A reduction whose version 18 onnxkit does not implement: the model
		// must be refused, not run with the opset-13 semantics.
		var op string
		for _, cand := range []string{"ReduceMin", "ReduceProd", "ReduceL1", "ReduceL2", "ReduceLogSum", "ReduceLogSumExp", "ReduceSumSquare"} {
			if _, _, err := ops.Lookup("", cand, 18); err != nil {
				op = cand
				break
			}
		}
		if op == "" {
			t.Skip("every opset-18 reduction is implemented")
		}
		mp := modelProto(18, &onnxpb.GraphProto{
			Node:   []*onnxpb.NodeProto{nodeProto(op, "red", []string{"x"}, []string{"y"}, shpInt("keepdims", 0))},
			Input:  []*onnxpb.ValueInfoProto{valueInfo("x", f32(2, 3))},
			Output: []*onnxpb.ValueInfoProto{valueInfo("y", f32())},
		})
		_, err := FromProto("unimplemented18", mp)
		if err == nil || !errors.Is(err, ErrUnsupported) {
			t.Fatalf("load: %v, want an unsupported error", err)
		}
		for _, want := range []string{`node "red" (` + op + `)`, "version 18", "opset 18"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("error %q lacks %q", err, want)
			}
		}
		// The same node at opset 17 is a different (older) operator version
		// and is only refused if that is unimplemented too.
		mp.OpsetImport[0].Version = 17
		if _, err := FromProto("opset17", mp); err != nil && strings.Contains(err.Error(), "version 18") {
			t.Errorf("opset 17 model: %v", err)
		}
	})

	t.Run("opset 19 refused", func(t *testing.T) {
		mp := modelProto(19, &onnxpb.GraphProto{
			Node:   []*onnxpb.NodeProto{nodeProto("Flatten", "flat", []string{"x"}, []string{"y"})},
			Input:  []*onnxpb.ValueInfoProto{valueInfo("x", f32(2, 3))},
			Output: []*onnxpb.ValueInfoProto{valueInfo("y", f32(2, 3))},
		})
		_, err := FromProto("opset19", mp)
		if err == nil || !errors.Is(err, ErrUnsupported) || !strings.Contains(err.Error(), "opset 19") || !strings.Contains(err.Error(), "up to 18") {
			t.Fatalf("opset 19: %v", err)
		}
		mp.OpsetImport[0].Version = 18
		if _, err := FromProto("opset18", mp); err != nil {
			t.Errorf("the same model at opset 18: %v", err)
		}
	})
}

// TestDynamicFlattenChain runs the subgraph tf2onnx and keras2onnx emit to
// flatten with a dynamic batch size: the batch dimension is read with
// Shape, picked with Gather or Slice, cast to int32 and back around a
// Concat with -1, and fed to Reshape.
func TestDynamicFlattenChain(t *testing.T) {
	if _, _, err := ops.Lookup("", "Cast", 13); err != nil {
		t.Skipf("Cast is not available: %v", err)
	}
	const int32Type, int64Type = 6, 7
	for _, pick := range []string{"Gather", "Slice"} {
		t.Run(pick, func(t *testing.T) {
			var nodes []*onnxpb.NodeProto
			nodes = append(nodes, nodeProto("Shape", "shape", []string{"x"}, []string{"s"}))
			if pick == "Gather" {
				nodes = append(nodes,
					nodeProto("Gather", "batch", []string{"s", "zero"}, []string{"b0"}, shpInt("axis", 0)),
					nodeProto("Unsqueeze", "batch1", []string{"b0", "axes0"}, []string{"b"}))
			} else {
				nodes = append(nodes, nodeProto("Slice", "batch", []string{"s", "start", "end", "axes0"}, []string{"b"}))
			}
			nodes = append(nodes,
				nodeProto("Cast", "to32", []string{"b"}, []string{"b32"}, shpInt("to", int32Type)),
				nodeProto("Concat", "target", []string{"b32", "minus1"}, []string{"t32"}, shpInt("axis", 0)),
				nodeProto("Cast", "to64", []string{"t32"}, []string{"t"}, shpInt("to", int64Type)),
				nodeProto("Reshape", "flatten", []string{"x", "t"}, []string{"y"}))
			mp := modelProto(13, &onnxpb.GraphProto{
				Node: nodes,
				Initializer: []*onnxpb.TensorProto{
					tensors.ToProto("zero", tensors.Scalar[int64](0)),
					tensors.ToProto("axes0", tensors.Vector[int64](0)),
					tensors.ToProto("start", tensors.Vector[int64](0)),
					tensors.ToProto("end", tensors.Vector[int64](1)),
					tensors.ToProto("minus1", tensors.Vector[int32](-1)),
				},
				Input:  []*onnxpb.ValueInfoProto{valueInfo("x", tensorType(tensors.Float32, "N", 2, 3))},
				Output: []*onnxpb.ValueInfoProto{valueInfo("y", tensorType(tensors.Float32, "N", 6))},
			})
			m, err := FromProto("flatten-"+pick, mp)
			if err != nil {
				t.Fatal(err)
			}
			if ty, _ := m.ValueType("t"); ty.String() != "int64[2]" {
				t.Errorf("static type of the target shape: %v", ty)
			}
			// Batches of several sizes, run concurrently (kernels keep no
			// state between runs).
			var wg sync.WaitGroup
			for _, n := range []int{1, 2, 5, 3, 8} {
				data := make([]float32, n*6)
				for i := range data {
					data[i] = float32(i) / 2
				}
				x := mustTensor(t, []int{n, 2, 3}, data)
				wg.Add(1)
				go func() {
					defer wg.Done()
					for range 20 {
						out, err := m.RunTensors(map[string]*tensors.Tensor{"x": x})
						if err != nil {
							t.Error(err)
							return
						}
						shpWant(t, fmt.Sprintf("batch %d", n), out["y"], []int{n, 6}, data)
					}
				}()
			}
			wg.Wait()
		})
	}
}

// TestAbsurdSizes checks that shapes computed by operators are bounded: a
// model asking for 2^40 elements gets an error naming the node, at load
// time when the shape is constant and at run time otherwise, never a crash.
func TestAbsurdSizes(t *testing.T) {
	huge := tensors.Vector[int64](1<<20, 1<<20)
	cases := []struct {
		name    string
		node    *onnxpb.NodeProto
		isConst bool // all inputs are initializers (the node is evaluated at load)
	}{
		{"ConstantOfShape", nodeProto("ConstantOfShape", "fill", []string{"size"}, []string{"y"}), true},
		{"ConstantOfShape", nodeProto("ConstantOfShape", "fill", []string{"size"}, []string{"y"}), false},
		{"Expand", nodeProto("Expand", "expand", []string{"x", "size"}, []string{"y"}), true},
		{"Expand", nodeProto("Expand", "expand", []string{"x", "size"}, []string{"y"}), false},
		{"Tile", nodeProto("Tile", "tile", []string{"x", "size"}, []string{"y"}), false},
	}
	for _, c := range cases {
		t.Run(fmt.Sprintf("%s const=%v", c.name, c.isConst), func(t *testing.T) {
			g := &onnxpb.GraphProto{
				Node:   []*onnxpb.NodeProto{c.node},
				Output: []*onnxpb.ValueInfoProto{valueInfo("y", tensorType(tensors.Float32))},
			}
			feeds := map[string]*tensors.Tensor{}
			if c.node.Input[0] == "x" {
				x := mustTensor(t, []int{1, 1}, []float32{1})
				if c.isConst {
					g.Initializer = append(g.Initializer, tensors.ToProto("x", x))
				} else {
					g.Input = append(g.Input, valueInfo("x", tensorType(tensors.Float32, 1, 1)))
					feeds["x"] = x
				}
			}
			if c.isConst {
				g.Initializer = append(g.Initializer, tensors.ToProto("size", huge))
			} else {
				g.Input = append(g.Input, valueInfo("size", tensorType(tensors.Int64, 2)))
				feeds["size"] = huge
			}
			m, err := FromProto("absurd", modelProto(13, g))
			if err == nil {
				_, err = m.RunTensors(feeds)
			}
			if err == nil || errors.Is(err, ErrInternal) || !strings.Contains(err.Error(), "exceed the limit") ||
				!strings.Contains(err.Error(), c.node.Name) {
				t.Fatalf("got %v; want an error naming node %q and the size limit", err, c.node.Name)
			}
			if c.isConst && m != nil {
				t.Error("a constant node of 2^40 elements loaded")
			}
		})
	}
}
