package onnx

import (
	"strings"
	"testing"

	"github.com/onnxkit/onnxkit/onnx/onnxpb"
	"github.com/onnxkit/onnxkit/onnx/tensors"
)

// TestFuseQDQ checks which QDQ patterns become integer operators: only
// those onnxruntime fuses, with the constants QLinearConv can take as is.
func TestFuseQDQ(t *testing.T) {
	nd := func(op string, in []string, out string, attrs ...*onnxpb.AttributeProto) *onnxpb.NodeProto {
		return &onnxpb.NodeProto{OpType: op, Input: in, Output: []string{out}, Attribute: attrs}
	}
	axis0 := &onnxpb.AttributeProto{Name: "axis", Type: onnxpb.AttributeProto_INT, I: new(int64(0))}
	w, _ := tensors.New([]int{2, 1, 1, 1}, []int8{3, -4})
	base := func() map[string]*tensors.Tensor {
		return map[string]*tensors.Tensor{
			"xs": tensors.Scalar[float32](0.5), "xz": tensors.Scalar[uint8](3),
			"ws": tensors.Vector[float32](0.25, 0.125), "wz": tensors.Vector[int8](0, 0), "wq": w,
			"bq": tensors.Vector[int32](7, -7), "bs": tensors.Vector[float32](0.125, 0.0625), "bz": tensors.Vector[int32](0, 0),
			"ys": tensors.Scalar[float32](2), "yz": tensors.Scalar[uint8](1),
		}
	}
	graph := func() []*onnxpb.NodeProto {
		return []*onnxpb.NodeProto{
			nd("DequantizeLinear", []string{"xq", "xs", "xz"}, "x"),
			nd("DequantizeLinear", []string{"wq", "ws", "wz"}, "w", axis0),
			nd("DequantizeLinear", []string{"bq", "bs", "bz"}, "b", axis0),
			nd("Conv", []string{"x", "w", "b"}, "c"),
			nd("QuantizeLinear", []string{"c", "ys", "yz"}, "y"),
		}
	}
	ops := func(nodes []*onnxpb.NodeProto) string {
		s := ""
		for _, n := range nodes {
			s += n.GetOpType() + " "
		}
		return s
	}
	got, _ := fuseQDQ(graph(), base(), map[string]bool{})
	if ops(got) != "DequantizeLinear DequantizeLinear DequantizeLinear QLinearConv " || got[3].GetOutput()[0] != "y" || len(got[3].GetInput()) != 9 {
		t.Fatalf("Conv pattern: %s %v", ops(got), got[3])
	}
	cases := map[string]func(c map[string]*tensors.Tensor, n []*onnxpb.NodeProto, out map[string]bool){
		"conv output is a graph output": func(c map[string]*tensors.Tensor, n []*onnxpb.NodeProto, out map[string]bool) { out["c"] = true },
		"bias scale is not x·w": func(c map[string]*tensors.Tensor, n []*onnxpb.NodeProto, out map[string]bool) {
			c["bs"] = tensors.Vector[float32](1, 1)
		},
		"bias zero point": func(c map[string]*tensors.Tensor, n []*onnxpb.NodeProto, out map[string]bool) {
			c["bz"] = tensors.Vector[int32](0, 1)
		},
		"weights not constant": func(c map[string]*tensors.Tensor, n []*onnxpb.NodeProto, out map[string]bool) { delete(c, "wq") },
		"activation scale per axis": func(c map[string]*tensors.Tensor, n []*onnxpb.NodeProto, out map[string]bool) {
			c["xs"] = tensors.Vector[float32](1, 2)
		},
		"weights per axis 1":           func(c map[string]*tensors.Tensor, n []*onnxpb.NodeProto, out map[string]bool) { n[1].Attribute = nil },
		"second reader of conv output": func(c map[string]*tensors.Tensor, n []*onnxpb.NodeProto, out map[string]bool) { out["r"] = true },
	}
	for name, change := range cases {
		c, n, out := base(), graph(), map[string]bool{}
		change(c, n, out)
		if name == "second reader of conv output" {
			n = append(n, nd("Relu", []string{"c"}, "r")) // a Relu reads c too
		}
		got, _ := fuseQDQ(n, c, out)
		for _, x := range got {
			if x.GetOpType() == "QLinearConv" {
				t.Errorf("%s: fused", name)
			}
		}
	}
	// Add and GlobalAveragePool become com.microsoft operators.
	c := base()
	n := []*onnxpb.NodeProto{
		nd("DequantizeLinear", []string{"aq", "xs", "xz"}, "a"),
		nd("DequantizeLinear", []string{"bq2", "xs", "xz"}, "b2"),
		nd("Add", []string{"a", "b2"}, "s"),
		nd("QuantizeLinear", []string{"s", "ys", "yz"}, "sq"),
		nd("DequantizeLinear", []string{"sq", "ys", "yz"}, "sd"),
		nd("GlobalAveragePool", []string{"sd"}, "g"),
		nd("QuantizeLinear", []string{"g", "ys", "yz"}, "gq"),
	}
	got, ms := fuseQDQ(n, c, map[string]bool{"gq": true})
	if !ms || ops(got) != "DequantizeLinear DequantizeLinear QLinearAdd DequantizeLinear QLinearGlobalAveragePool " {
		t.Errorf("Add and GlobalAveragePool: %s (com.microsoft %v)", ops(got), ms)
	}
}

// TestKeepQDQ fetches a value inside a fused pattern: refused with a
// hint by default, computed with LoadOptions.KeepQDQ.
func TestKeepQDQ(t *testing.T) {
	w, _ := tensors.New([]int{1, 1, 1, 1}, []int8{2})
	g := &onnxpb.GraphProto{
		Node: []*onnxpb.NodeProto{
			{OpType: "QuantizeLinear", Input: []string{"x", "xs", "xz"}, Output: []string{"xq"}},
			{OpType: "DequantizeLinear", Input: []string{"xq", "xs", "xz"}, Output: []string{"xd"}},
			{OpType: "DequantizeLinear", Input: []string{"wq", "ws", "wz"}, Output: []string{"wd"}},
			{OpType: "Conv", Input: []string{"xd", "wd"}, Output: []string{"c"}},
			{OpType: "QuantizeLinear", Input: []string{"c", "xs", "xz"}, Output: []string{"y"}},
		},
		Initializer: []*onnxpb.TensorProto{
			tensors.ToProto("xs", tensors.Scalar[float32](0.5)), tensors.ToProto("xz", tensors.Scalar[uint8](0)),
			tensors.ToProto("wq", w), tensors.ToProto("ws", tensors.Scalar[float32](1)), tensors.ToProto("wz", tensors.Scalar[int8](0)),
		},
		Input:  []*onnxpb.ValueInfoProto{{Name: "x", Type: tensorType(tensors.Float32, 1, 1, 2, 2)}},
		Output: []*onnxpb.ValueInfoProto{{Name: "y", Type: tensorType(tensors.Uint8)}},
	}
	mp := &onnxpb.ModelProto{IrVersion: 8, OpsetImport: []*onnxpb.OperatorSetIdProto{{Version: 13}}, Graph: g}
	x, _ := tensors.New([]int{1, 1, 2, 2}, []float32{0.5, 1, 1.5, 40})
	for _, keep := range []bool{false, true} {
		m, err := LoadOptions{KeepQDQ: keep}.FromProto("qdq", mp)
		if err != nil {
			t.Fatal(err)
		}
		out, err := m.RunTensors(map[string]*tensors.Tensor{"x": x})
		if err != nil {
			t.Fatal(err)
		}
		if got := tensors.Data[uint8](out["y"]); got[0] != 2 || got[3] != 160 {
			t.Errorf("KeepQDQ %v: y = %v", keep, got)
		}
		_, err = m.RunTensors(map[string]*tensors.Tensor{"x": x}, "c")
		if keep != (err == nil) || !keep && !strings.Contains(err.Error(), "KeepQDQ") {
			t.Errorf("KeepQDQ %v: fetching c: %v", keep, err)
		}
	}
}
