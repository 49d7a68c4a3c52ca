package main

import (
	"strings"
	"testing"

	"github.com/onnxkit/onnxkit/onnx/onnxpb"
	"github.com/onnxkit/onnxkit/onnx/tensors"
)

func TestInspectSubgraphs(t *testing.T) {
	graph := func(name string, g *onnxpb.GraphProto) *onnxpb.AttributeProto {
		return &onnxpb.AttributeProto{Name: name, Type: onnxpb.AttributeProto_GRAPH, G: g}
	}
	untyped := func(name string, dt tensors.DType) *onnxpb.ValueInfoProto {
		return &onnxpb.ValueInfoProto{Name: name, Type: &onnxpb.TypeProto{Value: &onnxpb.TypeProto_TensorType{TensorType: &onnxpb.TypeProto_Tensor{ElemType: int32(dt)}}}}
	}
	body := &onnxpb.GraphProto{
		Node: []*onnxpb.NodeProto{
			{OpType: "Add", Name: "acc_add", Input: []string{"acc", "x"}, Output: []string{"acc2"}},
			{OpType: "Identity", Input: []string{"c"}, Output: []string{"cout"}},
		},
		Input:  []*onnxpb.ValueInfoProto{untyped("i", tensors.Int64), untyped("c", tensors.Bool), untyped("acc", tensors.Float32)},
		Output: []*onnxpb.ValueInfoProto{untyped("cout", tensors.Bool), untyped("acc2", tensors.Float32)},
	}
	thenG := &onnxpb.GraphProto{
		Node:   []*onnxpb.NodeProto{{OpType: "Loop", Name: "loop", Input: []string{"n", "", "x"}, Output: []string{"acc_final"}, Attribute: []*onnxpb.AttributeProto{graph("body", body)}}},
		Output: []*onnxpb.ValueInfoProto{untyped("acc_final", tensors.Float32)},
	}
	elseG := &onnxpb.GraphProto{Output: []*onnxpb.ValueInfoProto{untyped("x", tensors.Float32)}}
	mp := &onnxpb.ModelProto{
		IrVersion: 8, ProducerName: "onnxkit-cli-test",
		OpsetImport: []*onnxpb.OperatorSetIdProto{{Version: 16}},
		Graph: &onnxpb.GraphProto{
			Node: []*onnxpb.NodeProto{{OpType: "If", Name: "choose", Input: []string{"c"}, Output: []string{"y"},
				Attribute: []*onnxpb.AttributeProto{graph("then_branch", thenG), graph("else_branch", elseG)}}},
			Input:  []*onnxpb.ValueInfoProto{tensorVI("c", tensors.Bool), tensorVI("n", tensors.Int64), tensorVI("x", tensors.Float32, 2)},
			Output: []*onnxpb.ValueInfoProto{untyped("y", tensors.Float32)},
		},
	}
	dir := t.TempDir()
	path := saveModelProto(t, dir, "if_loop.onnx", mp)
	out, stderr, code := onnxkit(t, dir, "inspect", path)
	if code != 0 {
		t.Fatalf("exit %d\n%s%s", code, out, stderr)
	}
	want := strings.Join([]string{
		"   then_branch: 1 node",
		"     loop (Loop) -> acc_final",
		"       body: 2 nodes",
		"         acc_add (Add) -> acc2",
		"         #1 (Identity) -> cout",
		"   else_branch: 0 nodes",
	}, "\n")
	if i := strings.Index(out, " choose (If) "); i < 0 || !strings.Contains(out[i:], "\n"+want+"\n") {
		t.Errorf("subgraphs not shown under their node, want\n%s\nin\n%s", want, out)
	}
}
