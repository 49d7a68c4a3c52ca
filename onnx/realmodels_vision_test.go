package onnx_test

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/onnxkit/onnxkit/internal/peer"
	"github.com/onnxkit/onnxkit/onnx"
	"github.com/onnxkit/onnxkit/onnx/tensors"
)

// The real vision models in ../../shared/realmodels (beside the checkout;
// see its README.md): each folder holds one .onnx file and
// test_data_set_0 with inputs and onnxruntime 1.30's outputs. Float
// outputs must agree within 1e-4 * max(1, max|want|), others exactly. A
// missing folder skips the test, or fails it under CI (CI=true).
var realVisionModels = []string{
	"yolo_fastest_xl", "ultraface_rfb320", "torch-unet", "resnet18", "mobilenet_v3_small",
	"onnx_light_resnet50", "onnx_light_squeezenet", "onnx_light_shufflenet",
	"onnx_light_densenet121", "onnx_light_inception_v2",
}

func TestRealVisionModels(t *testing.T) {
	root := filepath.Join("..", "..", "shared", "realmodels")
	for _, name := range realVisionModels {
		t.Run(name, func(t *testing.T) {
			dir := filepath.Join(root, name)
			if _, err := os.Stat(dir); err != nil {
				peer.Require(t, fmt.Errorf("real model folder missing: %w: %w", peer.ErrUnavailable, err))
			}
			testRealModel(t, dir)
		})
	}
}

func testRealModel(t *testing.T, dir string) {
	models, _ := filepath.Glob(filepath.Join(dir, "*.onnx"))
	if len(models) != 1 {
		t.Fatalf("%s holds %d .onnx files, want 1", dir, len(models))
	}
	var warnings []string
	old := onnx.LoadWarning
	onnx.LoadWarning = func(msg string) { warnings = append(warnings, msg) }
	m, err := onnx.Load(models[0])
	onnx.LoadWarning = old
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	if len(warnings) > 0 {
		t.Logf("load warnings: %s", strings.Join(warnings, "; "))
	}
	set := filepath.Join(dir, "test_data_set_0")
	ins, _ := filepath.Glob(filepath.Join(set, "input_*.pb"))
	outs, _ := filepath.Glob(filepath.Join(set, "output_*.pb"))
	if len(ins) == 0 || len(outs) == 0 {
		t.Fatalf("%s has no inputs or outputs", set)
	}
	feeds := map[string]*tensors.Tensor{}
	var names []string
	for _, in := range m.Inputs() {
		if !in.HasDefault {
			names = append(names, in.Name)
		}
	}
	if len(names) != len(ins) {
		t.Fatalf("model has %d inputs to feed, the data set %d", len(names), len(ins))
	}
	for i, name := range names {
		x, err := onnx.ReadTensorFile(filepath.Join(set, fmt.Sprintf("input_%d.pb", i)))
		if err != nil {
			t.Fatal(err)
		}
		feeds[name] = x
	}
	got, err := m.RunTensors(feeds)
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	for i, o := range m.Outputs() {
		want, err := onnx.ReadTensorFile(filepath.Join(set, fmt.Sprintf("output_%d.pb", i)))
		if err != nil {
			t.Fatal(err)
		}
		g := got[o.Name]
		if g == nil {
			t.Fatalf("output %q missing", o.Name)
		}
		if g.DType() != want.DType() || !tensors.SameShape(g.Shape(), want.Shape()) {
			t.Fatalf("output %q: got %v, want %v", o.Name, g, want)
		}
		gv, err1 := tensors.AsFloat64s(g)
		wv, err2 := tensors.AsFloat64s(want)
		if err1 != nil || err2 != nil {
			t.Fatalf("output %q: %v %v", o.Name, err1, err2)
		}
		maxWant, maxDiff := 0.0, 0.0
		for j := range wv {
			maxWant = math.Max(maxWant, math.Abs(wv[j]))
			if d := math.Abs(gv[j] - wv[j]); d > maxDiff || d != d {
				maxDiff = d
			}
		}
		tol := 0.0
		if want.DType().IsFloat() {
			tol = 1e-4 * math.Max(1, maxWant)
		}
		t.Logf("output %q %v: max |diff| %.3g (tolerance %.3g, max |want| %.3g)", o.Name, want.Shape(), maxDiff, tol, maxWant)
		if !(maxDiff <= tol) {
			t.Errorf("output %q: max |diff| %g exceeds %g", o.Name, maxDiff, tol)
		}
	}
}
