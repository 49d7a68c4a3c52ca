package onnx_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/onnxkit/onnxkit/onnx"
	"github.com/onnxkit/onnxkit/onnx/onnxpb"
	"github.com/onnxkit/onnxkit/onnx/tensors"
)

// anyShape is a tensor type of element type dt and unknown shape.
func anyShape(dt tensors.DType) *onnxpb.TypeProto {
	return &onnxpb.TypeProto{Value: &onnxpb.TypeProto_TensorType{TensorType: &onnxpb.TypeProto_Tensor{ElemType: int32(dt)}}}
}

// loopBody is acc += x (x read from the enclosing graph), scan output
// the new acc, condition i < 2 (false after three iterations).
func loopBody() *onnxpb.GraphProto {
	return &onnxpb.GraphProto{
		Node: []*onnxpb.NodeProto{
			node("Add", "acc_add", []string{"acc", "x"}, []string{"acc2"}),
			node("Identity", "scan_id", []string{"acc2"}, []string{"s"}),
			node("Less", "less", []string{"i", "two"}, []string{"cout"}),
		},
		Initializer: []*onnxpb.TensorProto{tensors.ToProto("two", tensors.Scalar[int64](2))},
		Input:       []*onnxpb.ValueInfoProto{vi("i", anyShape(tensors.Int64)), vi("c", anyShape(tensors.Bool)), vi("acc", anyShape(tensors.Float32))},
		Output:      []*onnxpb.ValueInfoProto{vi("cout", anyShape(tensors.Bool)), vi("acc2", anyShape(tensors.Float32)), vi("s", tt(tensors.Float32, 2))},
	}
}

// loopModel runs loopBody with trip count input mIn and condition input
// condIn ("" to omit either).
func loopModel(mIn, condIn string) *onnxpb.ModelProto {
	var inputs []*onnxpb.ValueInfoProto
	if mIn != "" {
		inputs = append(inputs, vi(mIn, tt(tensors.Int64)))
	}
	if condIn != "" {
		inputs = append(inputs, vi(condIn, tt(tensors.Bool)))
	}
	inputs = append(inputs, vi("x", tt(tensors.Float32, 2)))
	return model(16, &onnxpb.GraphProto{
		Node: []*onnxpb.NodeProto{node("Loop", "loop", []string{mIn, condIn, "zero"}, []string{"acc_final", "scans"},
			graphAttr("body", loopBody()))},
		Initializer: []*onnxpb.TensorProto{tensors.ToProto("zero", tensors.Vector[float32](0, 0))},
		Input:       inputs,
		Output:      []*onnxpb.ValueInfoProto{vi("acc_final", anyShape(tensors.Float32)), vi("scans", anyShape(tensors.Float32))},
	})
}

func TestLoopTripCountAndCondition(t *testing.T) {
	x := tensors.Vector[float32](1, 10)
	for _, c := range []struct {
		name         string
		m            *tensors.Tensor // nil: input omitted
		cond         *tensors.Tensor
		acc, scanned string
		shape        []int
	}{
		{"both, condition stops", tensors.Scalar[int64](5), tensors.Scalar(true), "[3 30]", "[1 10 2 20 3 30]", []int{3, 2}},
		{"both, trip count stops", tensors.Scalar[int64](2), tensors.Scalar(true), "[2 20]", "[1 10 2 20]", []int{2, 2}},
		{"trip count only", tensors.Scalar[int64](5), nil, "[5 50]", "[1 10 2 20 3 30 4 40 5 50]", []int{5, 2}},
		{"condition only", nil, tensors.Scalar(true), "[3 30]", "[1 10 2 20 3 30]", []int{3, 2}},
		{"trip count 0", tensors.Scalar[int64](0), tensors.Scalar(true), "[0 0]", "[]", []int{0, 2}},
		{"condition false at start", tensors.Scalar[int64](5), tensors.Scalar(false), "[0 0]", "[]", []int{0, 2}},
	} {
		t.Run(c.name, func(t *testing.T) {
			mIn, condIn := "", ""
			feeds := map[string]*tensors.Tensor{"x": x}
			if c.m != nil {
				mIn, feeds["M"] = "M", c.m
			}
			if c.cond != nil {
				condIn, feeds["cond"] = "cond", c.cond
			}
			m, err := onnx.FromProto("loop.onnx", loopModel(mIn, condIn))
			if err != nil {
				t.Fatal(err)
			}
			out, err := m.RunTensors(feeds)
			if err != nil {
				t.Fatal(err)
			}
			if got := fmtData(out["acc_final"]); got != c.acc {
				t.Errorf("acc_final = %s, want %s", got, c.acc)
			}
			if got := fmtData(out["scans"]); got != c.scanned || !tensors.SameShape(out["scans"].Shape(), c.shape) {
				t.Errorf("scans = %v %s, want %v %s", out["scans"].Shape(), got, c.shape, c.scanned)
			}
		})
	}
}

func TestLoopEndlessStops(t *testing.T) {
	// Neither trip count nor condition: the context stops it, naming the node.
	m, err := onnx.FromProto("loop.onnx", loopModel("", ""))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err = m.RunTensorsContext(ctx, map[string]*tensors.Tensor{"x": tensors.Vector[float32](1, 2)})
	if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), `node "loop" (Loop)`) {
		t.Errorf("endless loop with a deadline: %v", err)
	}

	// Its scan output grows until the memory limit stops it.
	m, err = onnx.LoadOptions{MemoryLimit: 1 << 16}.FromProto("loop.onnx", loopModel("", ""))
	if err != nil {
		t.Fatal(err)
	}
	_, err = m.RunTensors(map[string]*tensors.Tensor{"x": tensors.Vector[float32](1, 2)})
	if !errors.Is(err, onnx.ErrMemoryLimit) || !strings.Contains(err.Error(), `node "loop" (Loop)`) {
		t.Errorf("endless loop with a memory limit: %v", err)
	}

	// A huge trip count without scan outputs: the context stops it.
	mp := loopModel("M", "")
	mp.Graph.Node[0].Output = mp.Graph.Node[0].Output[:1]
	body := mp.Graph.Node[0].Attribute[0].G
	body.Output = body.Output[:2]
	mp.Graph.Output = mp.Graph.Output[:1]
	if m, err = onnx.FromProto("loop.onnx", mp); err != nil {
		t.Fatal(err)
	}
	ctx, cancel2 := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel2()
	_, err = m.RunTensorsContext(ctx, map[string]*tensors.Tensor{"M": tensors.Scalar[int64](1 << 62), "x": tensors.Vector[float32](1, 2)})
	if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), `node "loop" (Loop)`) {
		t.Errorf("huge trip count with a deadline: %v", err)
	}
}

func TestLoopBodyArity(t *testing.T) {
	mp := loopModel("M", "cond")
	body := mp.Graph.Node[0].Attribute[0].G
	body.Input = body.Input[:2]
	_, err := onnx.FromProto("loop.onnx", mp)
	if !errors.Is(err, onnx.ErrInvalidModel) || !strings.Contains(err.Error(), `node "loop" (Loop)`) || !strings.Contains(err.Error(), "body has 2 inputs") {
		t.Errorf("body with too few inputs: %v", err)
	}
	mp = loopModel("M", "cond")
	body = mp.Graph.Node[0].Attribute[0].G
	body.Output = body.Output[:1]
	_, err = onnx.FromProto("loop.onnx", mp)
	if !errors.Is(err, onnx.ErrInvalidModel) || !strings.Contains(err.Error(), `node "loop" (Loop)`) || !strings.Contains(err.Error(), "body has 1 outputs") {
		t.Errorf("body with too few outputs: %v", err)
	}
}

// loopInIfModel is y = If(c) then Loop(n times: acc += x) else x, the
// loop body reading x from the main graph.
func loopInIfModel() *onnxpb.ModelProto {
	loopNode := node("Loop", "loop", []string{"n", "", "zero"}, []string{"acc_final", "scans"}, graphAttr("body", loopBody()))
	thenG := &onnxpb.GraphProto{
		Node:   []*onnxpb.NodeProto{loopNode},
		Output: []*onnxpb.ValueInfoProto{vi("acc_final", anyShape(tensors.Float32))},
	}
	elseG := &onnxpb.GraphProto{Output: []*onnxpb.ValueInfoProto{vi("x", anyShape(tensors.Float32))}}
	return model(16, &onnxpb.GraphProto{
		Node:        []*onnxpb.NodeProto{node("If", "if", []string{"c"}, []string{"y"}, graphAttr("then_branch", thenG), graphAttr("else_branch", elseG))},
		Initializer: []*onnxpb.TensorProto{tensors.ToProto("zero", tensors.Vector[float32](0, 0))},
		Input:       []*onnxpb.ValueInfoProto{vi("c", tt(tensors.Bool)), vi("n", tt(tensors.Int64)), vi("x", tt(tensors.Float32, 2))},
		Output:      []*onnxpb.ValueInfoProto{vi("y", anyShape(tensors.Float32))},
	})
}

// TestLoopInIf runs a Loop nested in an If branch, its body reading a
// value of the main graph two levels out.
func TestLoopInIf(t *testing.T) {
	m, err := onnx.FromProto("loopif.onnx", loopInIfModel())
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		cond bool
		want string
	}{{true, "[4 8]"}, {false, "[1 2]"}} {
		out, err := m.RunTensors(map[string]*tensors.Tensor{"c": tensors.Scalar(c.cond), "n": tensors.Scalar[int64](4), "x": tensors.Vector[float32](1, 2)})
		if err != nil {
			t.Fatal(err)
		}
		if got := fmtData(out["y"]); got != c.want {
			t.Errorf("cond %v: y = %s, want %s", c.cond, got, c.want)
		}
	}
}

// scanModel is a Scan summing the columns of x [2, 3] in reverse order,
// its running sums stacked in reverse along axis 1.
func scanModel() *onnxpb.ModelProto {
	body := &onnxpb.GraphProto{
		Node: []*onnxpb.NodeProto{
			node("Add", "add", []string{"sum", "xi"}, []string{"sum2"}),
			node("Identity", "id", []string{"sum2"}, []string{"y"}),
		},
		Input:  []*onnxpb.ValueInfoProto{vi("sum", anyShape(tensors.Float32)), vi("xi", anyShape(tensors.Float32))},
		Output: []*onnxpb.ValueInfoProto{vi("sum2", anyShape(tensors.Float32)), vi("y", anyShape(tensors.Float32))},
	}
	return model(16, &onnxpb.GraphProto{
		Node: []*onnxpb.NodeProto{node("Scan", "scan", []string{"init", "x"}, []string{"total", "ys"}, graphAttr("body", body),
			intAttr("num_scan_inputs", 1), intsAttr("scan_input_axes", -1), intsAttr("scan_input_directions", 1),
			intsAttr("scan_output_axes", 1), intsAttr("scan_output_directions", 1))},
		Initializer: []*onnxpb.TensorProto{tensors.ToProto("init", tensors.Vector[float32](0, 0))},
		Input:       []*onnxpb.ValueInfoProto{vi("x", tt(tensors.Float32, 2, 3))},
		Output:      []*onnxpb.ValueInfoProto{vi("total", anyShape(tensors.Float32)), vi("ys", anyShape(tensors.Float32))},
	})
}

func TestScanDirectionsAndAxes(t *testing.T) {
	mp := scanModel()
	m, err := onnx.FromProto("scan.onnx", mp)
	if err != nil {
		t.Fatal(err)
	}
	x, _ := tensors.New([]int{2, 3}, []float32{1, 2, 3, 4, 5, 6})
	out, err := m.RunTensors(map[string]*tensors.Tensor{"x": x})
	if err != nil {
		t.Fatal(err)
	}
	// Slices taken in reverse along axis 1: [3 6], [2 5], [1 4]; running
	// sums [3 6], [5 11], [6 15], stacked in reverse along axis 1.
	if got := fmtData(out["total"]); got != "[6 15]" {
		t.Errorf("total = %s, want [6 15]", got)
	}
	if got := fmtData(out["ys"]); got != "[6 5 3 15 11 6]" || !tensors.SameShape(out["ys"].Shape(), []int{2, 3}) {
		t.Errorf("ys = %v %s, want [2 3] [6 5 3 15 11 6]", out["ys"].Shape(), got)
	}

	// A body whose input count disagrees with the node: load error naming it.
	body := mp.Graph.Node[0].Attribute[0].G
	body.Input = body.Input[:1]
	if _, err := onnx.FromProto("scan.onnx", mp); !errors.Is(err, onnx.ErrInvalidModel) || !strings.Contains(err.Error(), `node "scan" (Scan)`) {
		t.Errorf("scan body with too few inputs: %v", err)
	}
}

// TestLoopStaticTypes: a Loop's outputs get static types from its body:
// the carried value joins its initial value and the body's output, the
// scan output stacks the body's along a new first axis of unknown size.
func TestLoopStaticTypes(t *testing.T) {
	m, err := onnx.FromProto("loop.onnx", loopModel("M", ""))
	if err != nil {
		t.Fatal(err)
	}
	acc, _ := m.ValueType("acc_final")
	scans, _ := m.ValueType("scans")
	if acc.DType != tensors.Float32 || acc.String() != "float32[...]" && acc.String() != "float32[2]" {
		t.Errorf("acc_final: %v, want float32 of unknown or [2] shape", acc)
	}
	if scans.String() != "float32[? 2]" {
		t.Errorf("scans: %v, want float32[? 2]", scans)
	}
}
