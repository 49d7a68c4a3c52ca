package onnx_test

import (
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"gorgonia.org/tensor"

	"github.com/onnxkit/onnxkit/internal/ort"
	"github.com/onnxkit/onnxkit/internal/peer"
	"github.com/onnxkit/onnxkit/onnx"
	"github.com/onnxkit/onnxkit/onnx/tensors"
)

// TestQuantizedRealModels makes a float16 and a QDQ int8 copy of real
// models from ../shared/realmodels with scripts/make-quantized.py, runs
// each copy (and the float32 original) in onnxkit and in onnxruntime on
// the models' test inputs, and compares: float16 within 1e-2 of the
// largest output magnitude; int8 equal up to the float rounding of the
// float operators after the last quantized tensor (1e-4 relative: every
// quantized tensor is computed by the same integer arithmetic, so nothing
// differs by a quantization step). It logs the batch-1 run times of every
// copy in both runtimes.
func TestQuantizedRealModels(t *testing.T) {
	root, err := peer.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	shared := filepath.Join(root, "..", "shared", "realmodels")
	if _, err := os.Stat(shared); err != nil {
		peer.Require(t, fmt.Errorf("real models: %w: %w", peer.ErrUnavailable, err))
	}
	if _, err := peer.PythonONNXVersion(); err != nil {
		peer.Require(t, err)
	}
	if _, err := ort.Library(); err != nil {
		peer.Require(t, err)
	}
	if testing.Short() {
		t.Skip("real models take a minute; skipped with -short")
	}
	tmp := t.TempDir()
	bin := filepath.Join(tmp, "onnxkit")
	build := exec.Command("go", "build", "-o", bin, "./cli/onnxkit")
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building onnxkit for calibration: %v\n%s", err, out)
	}
	models := []struct{ name, file string }{
		{"resnet18", "resnet18/model.onnx"},
		{"mobilenet_v3_small", "mobilenet_v3_small/model.onnx"},
		{"ultraface_rfb320", "ultraface_rfb320/version-RFB-320.onnx"},
	}
	var report []string
	for _, md := range models {
		t.Run(md.name, func(t *testing.T) {
			model := filepath.Join(shared, md.file)
			input := filepath.Join(filepath.Dir(model), "test_data_set_0", "input_0.pb")
			cmd := exec.Command(peer.Python, filepath.Join(root, "scripts", "make-quantized.py"), "--onnxkit", bin, "--name", md.name, model, input, tmp)
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("make-quantized.py: %v\n%s", err, out)
			}
			x, err := onnx.ReadTensorFile(input)
			if err != nil {
				t.Fatal(err)
			}
			x1 := firstImage(t, x)
			times := map[string]time.Duration{}
			for _, v := range []struct{ kind, path string }{
				{"float32", model},
				{"float16", filepath.Join(tmp, md.name+".fp16.onnx")},
				{"int8", filepath.Join(tmp, md.name+".int8.onnx")},
			} {
				m, err := onnx.Load(v.path)
				if err != nil {
					t.Fatalf("%s: load: %v", v.kind, err)
				}
				name := m.Inputs()[0].Name
				got, err := m.RunTensors(map[string]*tensors.Tensor{name: x})
				if err != nil {
					t.Fatalf("%s: run: %v", v.kind, err)
				}
				s, err := ort.Open(v.path, nil)
				if err != nil {
					t.Fatalf("%s: onnxruntime: %v", v.kind, err)
				}
				d, err := onnx.ToDense(x)
				if err != nil {
					t.Fatal(err)
				}
				want, err := s.Run(map[string]*tensor.Dense{name: d})
				if err != nil {
					t.Fatalf("%s: onnxruntime run: %v", v.kind, err)
				}
				for _, o := range m.Outputs() {
					g := got[o.Name]
					w, err := onnx.FromDense(want[o.Name])
					if err != nil || g == nil {
						t.Fatalf("%s output %q: onnxkit %v, onnxruntime %v", v.kind, o.Name, g, err)
					}
					diff, scale := quantMaxDiff(t, g, w)
					tol := 1e-4 * math.Max(1, scale) // float32: rounding of the same computation
					switch v.kind {
					case "float16":
						tol = 1e-2 * scale
					case "int8":
						tol = 1e-4 * math.Max(1, scale)
					}
					t.Logf("%s %s: max |onnxkit - onnxruntime| %.3g (largest |output| %.3g, tolerance %.3g)", v.kind, o.Name, diff, scale, tol)
					if diff > tol {
						t.Errorf("%s output %q: max difference %g exceeds %g", v.kind, o.Name, diff, tol)
					}
				}
				// Batch-1 timing, best of 5 after a warm-up run.
				sess := m.NewSession()
				d1, err := onnx.ToDense(x1)
				if err != nil {
					t.Fatal(err)
				}
				var last map[string]*tensors.Tensor
				times["onnxkit "+v.kind] = bestOf5(t, func() error {
					var err error
					last, err = sess.Run(map[string]*tensors.Tensor{name: x1})
					return err
				})
				// The session's sixth run, on recycled memory, computes what
				// a fresh run does.
				fresh, err := m.RunTensors(map[string]*tensors.Tensor{name: x1})
				if err != nil {
					t.Fatal(err)
				}
				for o, f := range fresh {
					if diff, _ := quantMaxDiff(t, last[o], f); diff != 0 {
						t.Errorf("%s output %q: the session's last run differs from a fresh run by %g", v.kind, o, diff)
					}
				}
				times["onnxruntime "+v.kind] = bestOf5(t, func() error {
					_, err := s.Run(map[string]*tensor.Dense{name: d1})
					return err
				})
				s.Close()
			}
			var keys []string
			for k := range times {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			var line []string
			for _, k := range keys {
				line = append(line, fmt.Sprintf("%s %.1f ms", k, float64(times[k].Microseconds())/1000))
			}
			report = append(report, md.name+" (batch 1): "+strings.Join(line, ", "))
		})
	}
	for _, r := range report {
		t.Log(r)
	}
}

// firstImage returns the first item of a batch as a batch of one.
func firstImage(t *testing.T, x *tensors.Tensor) *tensors.Tensor {
	s := append([]int{1}, x.Shape()[1:]...)
	n := x.Len() / x.Shape()[0]
	y, err := tensors.New(s, tensors.Data[float32](x)[:n])
	if err != nil {
		t.Fatal(err)
	}
	return y
}

// quantMaxDiff returns max |got - want| and max |want|.
func quantMaxDiff(t *testing.T, got, want *tensors.Tensor) (float64, float64) {
	if !tensors.SameShape(got.Shape(), want.Shape()) {
		t.Fatalf("shape %v, onnxruntime %v", got, want)
	}
	g, err1 := tensors.AsFloat64s(got)
	w, err2 := tensors.AsFloat64s(want)
	if err1 != nil || err2 != nil {
		t.Fatal(err1, err2)
	}
	diff, scale := 0.0, 0.0
	for i := range w {
		diff = math.Max(diff, math.Abs(g[i]-w[i]))
		scale = math.Max(scale, math.Abs(w[i]))
	}
	return diff, scale
}

// bestOf5 runs f once, then 5 times, returning the shortest time.
func bestOf5(t *testing.T, f func() error) time.Duration {
	if err := f(); err != nil {
		t.Fatal(err)
	}
	var b time.Duration
	for i := 0; i < 5; i++ {
		start := time.Now()
		if err := f(); err != nil {
			t.Fatal(err)
		}
		if d := time.Since(start); i == 0 || d < b {
			b = d
		}
	}
	return b
}
