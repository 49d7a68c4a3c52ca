package onnx

import (
	"fmt"
	"math"
	"math/rand"
	"os"
	"path/filepath"
	"testing"

	"google.golang.org/protobuf/proto"
	"gorgonia.org/tensor"

	"github.com/onnxkit/onnxkit/internal/ort"
	"github.com/onnxkit/onnxkit/internal/peer"
	"github.com/onnxkit/onnxkit/onnx/onnxpb"
	"github.com/onnxkit/onnxkit/onnx/tensors"
)

// TestShapeOpsMatchORT runs one-node models of the shape, data-movement
// and reduction operators on random data in onnxkit and in onnxruntime and
// requires equal results (exactly, except for float rounding in means).
func TestShapeOpsMatchORT(t *testing.T) {
	_, err := ort.Version()
	peer.Require(t, err)
	r := rand.New(rand.NewSource(7))
	rnd := func(shape ...int) *tensors.Tensor {
		n, _ := tensors.NumElements(shape)
		v := make([]float32, n)
		for i := range v {
			v[i] = float32(r.NormFloat64())
		}
		return mustTensor(t, shape, v)
	}
	i64 := func(v ...int64) *tensors.Tensor { return tensors.Vector(v...) }
	type init struct {
		name string
		t    *tensors.Tensor
	}
	cases := []struct {
		name  string
		opset int64
		node  *onnxpb.NodeProto
		x     *tensors.Tensor
		inits []init
	}{
		{"transpose NHWC", 13, nodeProto("Transpose", "n", []string{"x"}, []string{"y"}, shpInts("perm", 0, 2, 3, 1)), rnd(2, 3, 4, 5), nil},
		{"transpose mixed", 13, nodeProto("Transpose", "n", []string{"x"}, []string{"y"}, shpInts("perm", 3, 1, 0, 2)), rnd(2, 3, 4, 5), nil},
		{"slice steps", 13, nodeProto("Slice", "n", []string{"x", "s", "e", "a", "st"}, []string{"y"}), rnd(2, 3, 4, 5),
			[]init{{"s", i64(-1, 1)}, {"e", i64(math.MinInt64, 100)}, {"a", i64(1, 3)}, {"st", i64(-2, 2)}}},
		{"slice clamp", 13, nodeProto("Slice", "n", []string{"x", "s", "e", "a"}, []string{"y"}), rnd(4, 6),
			[]init{{"s", i64(-100, 2)}, {"e", i64(math.MaxInt64, -1)}, {"a", i64(0, -1)}}},
		{"gather", 13, nodeProto("Gather", "n", []string{"x", "i"}, []string{"y"}, shpInt("axis", 1)), rnd(2, 3, 4),
			[]init{{"i", mustTensor(t, []int{2, 2}, []int64{2, -1, 0, 1})}}},
		{"pad reflect", 13, nodeProto("Pad", "n", []string{"x", "p"}, []string{"y"}, shpStr("mode", "reflect")), rnd(1, 2, 4, 5),
			[]init{{"p", i64(0, 0, 1, 2, 0, 0, 2, 1)}}},
		{"pad edge", 13, nodeProto("Pad", "n", []string{"x", "p"}, []string{"y"}, shpStr("mode", "edge")), rnd(2, 3, 4),
			[]init{{"p", i64(1, 0, 3, 0, 2, 1)}}},
		{"pad constant crop", 11, nodeProto("Pad", "n", []string{"x", "p", "v"}, []string{"y"}), rnd(3, 4),
			[]init{{"p", i64(1, -1, -1, 2)}, {"v", tensors.Scalar[float32](1.5)}}},
		{"pad axes", 18, nodeProto("Pad", "n", []string{"x", "p", "", "a"}, []string{"y"}, shpStr("mode", "reflect")), rnd(2, 3, 4, 5),
			[]init{{"p", i64(1, 2, 2, 1)}, {"a", i64(1, -1)}}},
		{"reduce mean", 13, nodeProto("ReduceMean", "n", []string{"x"}, []string{"y"}, shpInts("axes", 2, 3)), rnd(2, 3, 4, 5), nil},
		{"reduce mean 18", 18, nodeProto("ReduceMean", "n", []string{"x", "a"}, []string{"y"}, shpInt("keepdims", 0)), rnd(2, 3, 4), []init{{"a", i64(0, 2)}}},
		{"reduce sum", 13, nodeProto("ReduceSum", "n", []string{"x", "a"}, []string{"y"}, shpInt("keepdims", 0)), rnd(2, 3, 4, 5), []init{{"a", i64(0, 2)}}},
		{"reduce sum all", 13, nodeProto("ReduceSum", "n", []string{"x"}, []string{"y"}), rnd(3, 7), nil},
		{"reduce max", 13, nodeProto("ReduceMax", "n", []string{"x"}, []string{"y"}, shpInts("axes", 1)), rnd(2, 3, 4), nil},
		{"reduce max 18", 18, nodeProto("ReduceMax", "n", []string{"x", "a"}, []string{"y"}, shpInt("keepdims", 0)), rnd(2, 3, 4), []init{{"a", i64(-1)}}},
		{"argmax", 13, nodeProto("ArgMax", "n", []string{"x"}, []string{"y"}, shpInt("axis", -1), shpInt("keepdims", 0)), rnd(3, 4, 5), nil},
		{"argmax keep", 12, nodeProto("ArgMax", "n", []string{"x"}, []string{"y"}, shpInt("axis", 1), shpInt("select_last_index", 1)), rnd(3, 4, 5), nil},
		{"expand", 13, nodeProto("Expand", "n", []string{"x", "s"}, []string{"y"}), rnd(3, 1), []init{{"s", i64(2, 1, 4)}}},
		{"tile", 13, nodeProto("Tile", "n", []string{"x", "r"}, []string{"y"}), rnd(2, 3), []init{{"r", i64(2, 3)}}},
		{"concat", 13, nodeProto("Concat", "n", []string{"x", "b", "c"}, []string{"y"}, shpInt("axis", -2)), rnd(2, 3, 2),
			[]init{{"b", rnd(2, 1, 2)}, {"c", rnd(2, 4, 2)}}},
		{"split input", 13, nodeProto("Split", "n", []string{"x", "s"}, []string{"y", "y1", "y2"}, shpInt("axis", 1)), rnd(2, 4, 3), []init{{"s", i64(1, 2, 1)}}},
		{"split num_outputs", 18, nodeProto("Split", "n", []string{"x"}, []string{"y", "y1", "y2"}, shpInt("axis", 0), shpInt("num_outputs", 3)), rnd(7, 2), nil},
		{"flatten", 13, nodeProto("Flatten", "n", []string{"x"}, []string{"y"}, shpInt("axis", -2)), rnd(2, 3, 4, 5), nil},
		{"squeeze", 13, nodeProto("Squeeze", "n", []string{"x", "a"}, []string{"y"}), rnd(1, 3, 1, 2), []init{{"a", i64(-2)}}},
		{"unsqueeze", 13, nodeProto("Unsqueeze", "n", []string{"x", "a"}, []string{"y"}), rnd(3, 2), []init{{"a", i64(3, 0)}}},
	}
	dir := t.TempDir()
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			g := &onnxpb.GraphProto{
				Name:  "shape_ops",
				Node:  []*onnxpb.NodeProto{c.node},
				Input: []*onnxpb.ValueInfoProto{valueInfo("x", tensorType(tensors.Float32, anyDims(c.x.Shape())...))},
			}
			for _, in := range c.inits {
				g.Initializer = append(g.Initializer, tensors.ToProto(in.name, in.t))
			}
			for _, o := range c.node.Output {
				dt := tensors.Float32
				if c.node.OpType == "ArgMax" {
					dt = tensors.Int64
				}
				g.Output = append(g.Output, valueInfo(o, &onnxpb.TypeProto{Value: &onnxpb.TypeProto_TensorType{TensorType: &onnxpb.TypeProto_Tensor{ElemType: int32(dt)}}}))
			}
			mp := modelProto(c.opset, g)
			b, err := proto.Marshal(mp)
			if err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(dir, fmt.Sprintf("case%d.onnx", i))
			if err := os.WriteFile(path, b, 0o644); err != nil {
				t.Fatal(err)
			}
			xd, err := ToDense(c.x)
			if err != nil {
				t.Fatal(err)
			}
			want, err := ort.Run(path, map[string]*tensor.Dense{"x": xd}, nil)
			if err != nil {
				t.Fatal(err)
			}
			m, err := Load(path)
			if err != nil {
				t.Fatal(err)
			}
			got, err := m.RunTensors(map[string]*tensors.Tensor{"x": c.x})
			if err != nil {
				t.Fatal(err)
			}
			for _, o := range c.node.Output {
				w, err := FromDense(want[o])
				if err != nil {
					t.Fatal(err)
				}
				tol := tolerance{rtol: 0, atol: 0}
				if c.node.OpType == "ReduceMean" || c.node.OpType == "ReduceSum" {
					tol = tolerance{rtol: 1e-6, atol: 1e-6}
				}
				if _, err := compareTensors(got[o], w, tol); err != nil {
					t.Errorf("output %s: onnxkit %v vs onnxruntime %v: %v", o, got[o], w, err)
				}
			}
		})
	}
}

func shpStr(name, v string) *onnxpb.AttributeProto {
	return &onnxpb.AttributeProto{Name: name, Type: onnxpb.AttributeProto_STRING, S: []byte(v)}
}

// anyDims converts a shape to tensorType's dimension arguments.
func anyDims(shape []int) []any {
	out := make([]any, len(shape))
	for i, d := range shape {
		out[i] = d
	}
	return out
}
