package onnx_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/onnxkit/onnxkit/onnx"
	"github.com/onnxkit/onnxkit/onnx/onnxpb"
	"github.com/onnxkit/onnxkit/onnx/tensors"
)

func graphAttr(name string, g *onnxpb.GraphProto) *onnxpb.AttributeProto {
	return &onnxpb.AttributeProto{Name: name, Type: onnxpb.AttributeProto_GRAPH, G: g}
}

// ifModel builds y = If(c) then x*k (k an outer initializer, x an outer
// input) else (If(c2) then x+x else x), nested once.
func ifModel() *onnxpb.ModelProto {
	thenG := &onnxpb.GraphProto{
		Node:   []*onnxpb.NodeProto{node("Mul", "mul", []string{"x", "k"}, []string{"t"})},
		Output: []*onnxpb.ValueInfoProto{vi("t", tt(tensors.Float32))},
	}
	innerThen := &onnxpb.GraphProto{
		Node:   []*onnxpb.NodeProto{node("Add", "add", []string{"x", "x"}, []string{"a"})},
		Output: []*onnxpb.ValueInfoProto{vi("a", tt(tensors.Float32))},
	}
	innerElse := &onnxpb.GraphProto{Output: []*onnxpb.ValueInfoProto{vi("x", tt(tensors.Float32))}}
	elseG := &onnxpb.GraphProto{
		Node: []*onnxpb.NodeProto{node("If", "inner", []string{"c2"}, []string{"e"},
			graphAttr("then_branch", innerThen), graphAttr("else_branch", innerElse))},
		Output: []*onnxpb.ValueInfoProto{vi("e", tt(tensors.Float32))},
	}
	return model(16, &onnxpb.GraphProto{
		Node: []*onnxpb.NodeProto{
			node("Not", "not", []string{"c"}, []string{"c2"}),
			node("If", "outer", []string{"c"}, []string{"y"}, graphAttr("then_branch", thenG), graphAttr("else_branch", elseG)),
		},
		Initializer: []*onnxpb.TensorProto{tensors.ToProto("k", tensors.Scalar[float32](3))},
		Input:       []*onnxpb.ValueInfoProto{vi("x", tt(tensors.Float32, 2)), vi("c", nil)},
		Output:      []*onnxpb.ValueInfoProto{vi("y", tt(tensors.Float32))},
	})
}

func TestIfOuterScopeAndNesting(t *testing.T) {
	m, err := onnx.FromProto("if.onnx", ifModel())
	if err != nil {
		t.Fatal(err)
	}
	x := tensors.Vector[float32](1, 2)
	for _, c := range []struct {
		cond bool
		want string
	}{{true, "[3 6]"}, {false, "[2 4]"}} {
		out, err := m.NewSession().Run(map[string]*tensors.Tensor{"x": x, "c": tensors.Scalar(c.cond)})
		if err != nil {
			t.Fatal(err)
		}
		if got := fmtData(out["y"]); got != c.want {
			t.Errorf("cond %v: y = %s, want %s", c.cond, got, c.want)
		}
	}
	if _, err := m.RunTensors(map[string]*tensors.Tensor{"x": x, "c": tensors.Scalar[float32](1)}); err == nil || !strings.Contains(err.Error(), "bool") {
		t.Errorf("float cond: %v", err)
	}
}

func fmtData(t *tensors.Tensor) string {
	if t == nil {
		return "<nil>"
	}
	return fmt.Sprint(t.Data())
}

func TestIfErrors(t *testing.T) {
	// Nesting deeper than MaxSubgraphDepth is refused at load, naming the node.
	leaf := &onnxpb.GraphProto{Output: []*onnxpb.ValueInfoProto{vi("x", tt(tensors.Float32))}}
	g := leaf
	for i := 0; i <= onnx.MaxSubgraphDepth; i++ {
		g = &onnxpb.GraphProto{
			Node:   []*onnxpb.NodeProto{node("If", "deep", []string{"c"}, []string{"o"}, graphAttr("then_branch", g), graphAttr("else_branch", leaf))},
			Output: []*onnxpb.ValueInfoProto{vi("o", tt(tensors.Float32))},
		}
	}
	mp := model(16, &onnxpb.GraphProto{
		Node:   []*onnxpb.NodeProto{node("If", "top", []string{"c"}, []string{"y"}, graphAttr("then_branch", g), graphAttr("else_branch", leaf))},
		Input:  []*onnxpb.ValueInfoProto{vi("x", tt(tensors.Float32, 2)), vi("c", tt(tensors.Bool))},
		Output: []*onnxpb.ValueInfoProto{vi("y", tt(tensors.Float32))},
	})
	if _, err := onnx.FromProto("deep.onnx", mp); err == nil || !strings.Contains(err.Error(), `node "top" (If)`) || !strings.Contains(err.Error(), "nested more than 64") {
		t.Errorf("deep nesting: %v", err)
	}
	// A branch with the wrong number of outputs.
	two := &onnxpb.GraphProto{Output: []*onnxpb.ValueInfoProto{vi("x", tt(tensors.Float32)), vi("x2", tt(tensors.Float32))},
		Node: []*onnxpb.NodeProto{node("Identity", "id", []string{"x"}, []string{"x2"})}}
	mp = model(16, &onnxpb.GraphProto{
		Node:   []*onnxpb.NodeProto{node("If", "bad", []string{"c"}, []string{"y"}, graphAttr("then_branch", two), graphAttr("else_branch", leaf))},
		Input:  []*onnxpb.ValueInfoProto{vi("x", tt(tensors.Float32, 2)), vi("c", tt(tensors.Bool))},
		Output: []*onnxpb.ValueInfoProto{vi("y", tt(tensors.Float32))},
	})
	if _, err := onnx.FromProto("two.onnx", mp); !errors.Is(err, onnx.ErrInvalidModel) || !strings.Contains(err.Error(), `node "bad" (If)`) {
		t.Errorf("branch with 2 outputs: %v", err)
	}
	// A branch reading a value defined nowhere.
	lost := &onnxpb.GraphProto{Output: []*onnxpb.ValueInfoProto{vi("nowhere", tt(tensors.Float32))}}
	mp = model(16, &onnxpb.GraphProto{
		Node:   []*onnxpb.NodeProto{node("If", "lost", []string{"c"}, []string{"y"}, graphAttr("then_branch", lost), graphAttr("else_branch", leaf))},
		Input:  []*onnxpb.ValueInfoProto{vi("x", tt(tensors.Float32, 2)), vi("c", tt(tensors.Bool))},
		Output: []*onnxpb.ValueInfoProto{vi("y", tt(tensors.Float32))},
	})
	if _, err := onnx.FromProto("lost.onnx", mp); err == nil || !strings.Contains(err.Error(), `"nowhere" is not defined`) {
		t.Errorf("undefined outer value: %v", err)
	}
}
