package main

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/onnxkit/onnxkit/internal/peer"
	"github.com/onnxkit/onnxkit/onnx"
	"github.com/onnxkit/onnxkit/onnx/onnxpb"
	"github.com/onnxkit/onnxkit/onnx/tensors"
)

// realModel returns the .onnx file of a folder of ../shared/realmodels
// (beside the checkout), skipping the test when it is missing (failing it
// under CI=true).
func realModel(t *testing.T, folder string) string {
	t.Helper()
	root, err := peer.RepoRoot()
	if err != nil {
		peer.Require(t, fmt.Errorf("%w: %w", peer.ErrUnavailable, err))
	}
	dir := filepath.Join(filepath.Dir(root), "shared", "realmodels", folder)
	if _, err := os.Stat(dir); err != nil {
		peer.Require(t, fmt.Errorf("real model folder missing: %w: %w", peer.ErrUnavailable, err))
	}
	models, _ := filepath.Glob(filepath.Join(dir, "*.onnx"))
	if len(models) != 1 {
		t.Fatalf("%s holds %d .onnx files, want 1", dir, len(models))
	}
	return models[0]
}

// TestInspectFoldsDefaults inspects ONNX's light ResNet-50, whose weights
// are made by ConstantOfShape nodes from shapes held in initializers that
// are also graph inputs (IR version 3). The first Conv must show its full
// output shape, and the total must count the float tensors that the
// constant subgraph computes, measured here by running that subgraph with
// a plain Load (where the defaults stay inputs) and fetching its values.
func TestInspectFoldsDefaults(t *testing.T) {
	path := realModel(t, "onnx_light_resnet50")
	m, err := onnx.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	g := m.Proto().GetGraph()

	// The values known from initializers alone, and the nodes that run on
	// them only.
	constant := map[string]bool{}
	for _, tp := range g.GetInitializer() {
		constant[tp.GetName()] = true
	}
	var firstConv string
	for _, n := range g.GetNode() {
		all := true
		for _, in := range n.GetInput() {
			if in != "" && !constant[in] {
				all = false
			}
		}
		if all {
			for _, o := range n.GetOutput() {
				constant[o] = true
			}
		}
		if n.GetOpType() == "Conv" && firstConv == "" {
			firstConv = n.GetName()
		}
	}
	// Weights: constants read by the nodes that compute on the image.
	var fetch []string
	seen := map[string]bool{}
	for _, n := range g.GetNode() {
		if constant[n.GetOutput()[0]] {
			continue
		}
		for _, in := range n.GetInput() {
			if constant[in] && !seen[in] {
				seen[in] = true
				fetch = append(fetch, in)
			}
		}
	}
	feeds := map[string]*tensors.Tensor{}
	for _, in := range m.Inputs() {
		if in.HasDefault {
			continue
		}
		shape := make([]int, len(in.Type.Dims))
		for i, d := range in.Type.Dims {
			shape[i] = d.Size
		}
		x, err := tensors.Alloc(in.Type.DType, shape)
		if err != nil {
			t.Fatal(err)
		}
		feeds[in.Name] = x
	}
	vals, err := m.RunTensors(feeds, fetch...)
	if err != nil {
		t.Fatal(err)
	}
	var want int64
	for _, name := range fetch {
		if v := vals[name]; v.DType().IsFloat() {
			want += int64(v.Len())
		}
	}
	if want < 20_000_000 {
		t.Fatalf("the constant subgraph computes %d float weights; ResNet-50 has about 25.5 million", want)
	}

	out, stderr, code := onnxkit(t, t.TempDir(), "inspect", path)
	if code != 0 {
		t.Fatalf("inspect exited %d: %s", code, stderr)
	}
	if !strings.Contains(out, fmt.Sprintf("Total params: %s\n", thousands(want))) {
		t.Errorf("want Total params: %s, got\n%s", thousands(want), lastLines(out, 5))
	}
	re := regexp.MustCompile(`(?m)^ ` + regexp.QuoteMeta(firstConv) + ` \(Conv\) +(\(.*?\))`)
	if got := re.FindStringSubmatch(out); got == nil || got[1] != "(1, 64, 112, 112)" {
		t.Errorf("first Conv %s: got %q, want (1, 64, 112, 112)", firstConv, got)
	}
	if strings.Contains(out, "?") {
		t.Errorf("inspect still shows unknown dimensions:\n%s", grepLines(out, "?"))
	}
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

func grepLines(s, sub string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// TestInspectComputedParams checks which constants computed at load time
// count as parameters: a weight made by ConstantOfShape from an
// initializer shape that is also an input (IR-3 style) counts at the node
// that reads it, and so does each of two Identity copies of one
// initializer read by two layers; a float literal of a Constant node, even
// reshaped by an initializer shape, does not count.
func TestInspectComputedParams(t *testing.T) {
	f32 := tensors.Float32
	constant := &onnxpb.NodeProto{OpType: "Constant", Name: "lit", Output: []string{"lit"}, Attribute: []*onnxpb.AttributeProto{{
		Name: "value", Type: onnxpb.AttributeProto_TENSOR, T: mustProto(t, "", []int{6}, []float32{1, 2, 3, 4, 5, 6})}}}
	mp := graphModel(13, &onnxpb.GraphProto{
		Name: "computed",
		Node: []*onnxpb.NodeProto{
			node("ConstantOfShape", "make_w", []string{"wshape"}, []string{"w"}), // 2x3 = 6 params
			node("MatMul", "mm", []string{"x", "w"}, []string{"h"}),
			node("Identity", "copy1", []string{"bias"}, []string{"b1"}),
			node("Identity", "copy2", []string{"bias"}, []string{"b2"}),
			node("Add", "add1", []string{"h", "b1"}, []string{"h1"}),  // 3 params
			node("Add", "add2", []string{"h1", "b2"}, []string{"h2"}), // 3 params
			constant,
			node("Reshape", "grid", []string{"lit", "gshape"}, []string{"g"}),
			node("Add", "add_grid", []string{"h2", "g"}, []string{"y"}), // a literal: 0
		},
		Initializer: []*onnxpb.TensorProto{
			mustProto(t, "wshape", []int{2}, []int64{2, 3}),
			mustProto(t, "bias", []int{3}, []float32{1, 2, 3}),
			mustProto(t, "gshape", []int{2}, []int64{2, 3}),
		},
		Input:  []*onnxpb.ValueInfoProto{tensorVI("x", f32, "N", 2), tensorVI("wshape", tensors.Int64, 2)},
		Output: []*onnxpb.ValueInfoProto{tensorVI("y", f32, 2, 3)},
	})
	path := saveModelProto(t, t.TempDir(), "computed.onnx", mp)
	out, stderr, code := onnxkit(t, t.TempDir(), "inspect", path)
	if code != 0 {
		t.Fatalf("inspect exited %d: %s", code, stderr)
	}
	for _, want := range []string{"Total params: 12\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("inspect output lacks %q:\n%s", want, out)
		}
	}
	rows := map[string]string{"mm": "(N, 3)", "add1": "(N, 3)", "add2": "(N, 3)", "add_grid": "(2, 3)"}
	params := map[string]string{"mm": "6", "add1": "3", "add2": "3", "add_grid": "0"}
	for name, shape := range rows {
		re := regexp.MustCompile(`(?m)^ ` + name + ` \(\w+\) +(\(.*?\)) +(\S+)$`)
		got := re.FindStringSubmatch(out)
		if got == nil || got[1] != shape || got[2] != params[name] {
			t.Errorf("row %s: got %q, want shape %s and %s params", name, got, shape, params[name])
		}
	}
}
