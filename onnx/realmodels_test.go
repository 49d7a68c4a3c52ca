package onnx_test

import (
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"testing"
	"time"

	"gorgonia.org/tensor"

	"github.com/onnxkit/onnxkit/internal/ort"
	"github.com/onnxkit/onnxkit/internal/peer"
	"github.com/onnxkit/onnxkit/onnx"
	"github.com/onnxkit/onnxkit/onnx/tensors"
)

// The real models in ../shared/realmodels (see its README.md): each folder
// holds one .onnx file and test_data_set_0 with inputs and onnxruntime
// 1.30's outputs. Float outputs must be within 1e-4 * max(1, max|ref|) of
// the reference; other outputs must be equal; dtypes and shapes must match.
// Models that use operators onnxkit does not implement yet are skipped,
// naming the unsupported error.

const realModelTolerance = 1e-4

// realModelsDir returns <repo root>/../shared/realmodels, skipping the test
// when it is missing (failing it under CI=true).
func realModelsDir(t testing.TB) string {
	t.Helper()
	root, err := peer.RepoRoot()
	if err == nil {
		dir := filepath.Join(filepath.Dir(root), "shared", "realmodels")
		if _, err = os.Stat(dir); err == nil {
			return dir
		}
	}
	if peer.InCI() {
		t.Fatalf("real models missing under CI: %v", err)
	}
	t.Skipf("skipping, real models missing (expected ../shared/realmodels beside the checkout): %v", err)
	return ""
}

// realModel is one model folder: the model file, its feedable inputs in
// graph order and the reference outputs in graph output order.
type realModel struct {
	name, path string
	inputs     map[string]*tensors.Tensor
	want       []*tensors.Tensor
}

func realModelFolders(t testing.TB) []string {
	dir := realModelsDir(t)
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		if e.IsDir() {
			out = append(out, filepath.Join(dir, e.Name()))
		}
	}
	sort.Strings(out)
	return out
}

// loadRealModel loads a folder's model and test data; an unsupported
// operator skips the test.
func loadRealModel(t testing.TB, dir string) (*onnx.Model, *realModel) {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(dir, "*.onnx"))
	if len(files) != 1 {
		t.Fatalf("%s: want one .onnx file, found %d", dir, len(files))
	}
	rm := &realModel{name: filepath.Base(dir), path: files[0], inputs: map[string]*tensors.Tensor{}}
	m, err := onnx.Load(rm.path)
	if errors.Is(err, onnx.ErrUnsupported) {
		t.Skipf("not supported yet: %v", err)
	}
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	set := filepath.Join(dir, "test_data_set_0")
	var feedable []onnx.ValueInfo
	for _, in := range m.Inputs() {
		if !in.HasDefault {
			feedable = append(feedable, in)
		}
	}
	for i, vi := range feedable {
		x, err := onnx.ReadTensorFile(filepath.Join(set, fmt.Sprintf("input_%d.pb", i)))
		if err != nil {
			t.Fatal(err)
		}
		rm.inputs[vi.Name] = x
	}
	for i := range m.Outputs() {
		y, err := onnx.ReadTensorFile(filepath.Join(set, fmt.Sprintf("output_%d.pb", i)))
		if err != nil {
			t.Fatal(err)
		}
		rm.want = append(rm.want, y)
	}
	return m, rm
}

// compareReal returns the largest float difference relative to
// max(1, max|want|), or an error for a dtype, shape or exact mismatch.
func compareReal(got, want *tensors.Tensor) (float64, error) {
	if got.DType() != want.DType() || !tensors.SameShape(got.Shape(), want.Shape()) {
		return 0, fmt.Errorf("got %v, want %v", got, want)
	}
	switch want.DType() {
	case tensors.Float32, tensors.Float64:
		g, _ := tensors.AsFloat64s(got)
		w, _ := tensors.AsFloat64s(want)
		scale := 1.0
		for _, v := range w {
			scale = math.Max(scale, math.Abs(v))
		}
		worst := 0.0
		for i := range w {
			d := math.Abs(g[i] - w[i])
			if math.IsNaN(d) && !(math.IsNaN(g[i]) && math.IsNaN(w[i])) {
				return math.Inf(1), nil
			}
			worst = math.Max(worst, d/scale)
		}
		return worst, nil
	}
	if fmt.Sprint(got.Data()) != fmt.Sprint(want.Data()) {
		return 0, fmt.Errorf("values differ")
	}
	return 0, nil
}

func TestRealModels(t *testing.T) {
	for _, dir := range realModelFolders(t) {
		t.Run(filepath.Base(dir), func(t *testing.T) {
			m, rm := loadRealModel(t, dir)
			got, err := m.NewSession().Run(rm.inputs)
			if err != nil {
				t.Fatalf("run: %v", err)
			}
			for i, vi := range m.Outputs() {
				d, err := compareReal(got[vi.Name], rm.want[i])
				if err != nil {
					t.Fatalf("output %q: %v", vi.Name, err)
				}
				if d > realModelTolerance {
					t.Errorf("output %q: difference %.3g of max(1, max|ref|), tolerance %g", vi.Name, d, realModelTolerance)
				}
				t.Logf("output %q: max difference %.3g of max(1, max|ref|)", vi.Name, d)
			}
		})
	}
}

// TestRealModelLatency compares the batch latency of a Session with
// onnxruntime's on each supported real model. It runs only with
// REALMODELS_LATENCY=1 (it takes a while) and logs the medians.
func TestRealModelLatency(t *testing.T) {
	if os.Getenv("REALMODELS_LATENCY") != "1" {
		t.Skip("set REALMODELS_LATENCY=1 to measure")
	}
	for _, dir := range realModelFolders(t) {
		t.Run(filepath.Base(dir), func(t *testing.T) {
			m, rm := loadRealModel(t, dir)
			s := m.NewSession()
			ours := medianTime(t, func() error { _, err := s.Run(rm.inputs); return err })
			ort, err := ort.Open(rm.path, nil)
			peer.Require(t, err)
			defer ort.Close()
			dense := map[string]*tensor.Dense{}
			for k, v := range rm.inputs {
				if dense[k], err = onnx.ToDense(v); err != nil {
					t.Fatal(err)
				}
			}
			theirs := medianTime(t, func() error { _, err := ort.Run(dense); return err })
			t.Logf("%s: onnxkit %v, onnxruntime %v (median of a batch run)", rm.name, ours, theirs)
		})
	}
}

func medianTime(t *testing.T, run func() error) time.Duration {
	if err := run(); err != nil { // warm up
		t.Fatal(err)
	}
	var times []time.Duration
	start := time.Now()
	for len(times) < 5 || (len(times) < 200 && time.Since(start) < 2*time.Second) {
		t0 := time.Now()
		if err := run(); err != nil {
			t.Fatal(err)
		}
		times = append(times, time.Since(t0))
	}
	sort.Slice(times, func(i, j int) bool { return times[i] < times[j] })
	return times[len(times)/2]
}
