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
