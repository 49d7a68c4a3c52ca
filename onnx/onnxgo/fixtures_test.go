package onnxgo_test

import (
	"math"
	"os"
	"path/filepath"
	"testing"

	gonnx "github.com/owulveryck/onnx-go"
	"gorgonia.org/tensor"

	"github.com/onnxkit/onnxkit/internal/ort"
	"github.com/onnxkit/onnxkit/internal/peer"
	"github.com/onnxkit/onnxkit/onnx"
	"github.com/onnxkit/onnxkit/onnx/onnxgo"
)

// fixtureTolerance is the bound onnxkit's fixture test holds its outputs
// to against onnxruntime's: 1e-5 of max(1, the row's largest magnitude).
const fixtureTolerance = 1e-5

// rowExcess returns the largest |a-b| / max(1, largest |b| of its row of
// k values) and where (see onnx/fixtures_test.go for why rows).
func rowExcess(a, b []float32, k int) (float64, int) {
	worst, at := 0.0, -1
	for r := 0; r < len(b); r += k {
		scale := 1.0
		for _, v := range b[r:min(r+k, len(b))] {
			scale = math.Max(scale, math.Abs(float64(v)))
		}
		for i := r; i < min(r+k, len(b)); i++ {
			d := math.Abs(float64(a[i])-float64(b[i])) / scale
			if math.IsNaN(d) {
				return math.Inf(1), i
			}
			if d > worst {
				worst, at = d, i
			}
		}
	}
	return worst, at
}

// fixture is one model of ../shared/fixtures with its recorded input.
type fixture struct {
	name, path string
	b          []byte
	kit        *onnx.Model
	input      string // the one graph input to feed
	fixed      int    // the batch size the model fixes, 0 if free
	x          *tensor.Dense
}

func fixtures(t *testing.T) []*fixture {
	t.Helper()
	root := peer.Fixtures(t)
	entries, err := os.ReadDir(root)
	if err != nil {
		t.Fatal(err)
	}
	var out []*fixture
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		dir := filepath.Join(root, e.Name())
		models, _ := filepath.Glob(filepath.Join(dir, "*.onnx"))
		if len(models) != 1 {
			t.Fatalf("%s holds %d .onnx files, want 1", dir, len(models))
		}
		f := &fixture{name: e.Name(), path: models[0]}
		if f.b, err = os.ReadFile(f.path); err != nil {
			t.Fatal(err)
		}
		if f.kit, err = onnx.LoadBytes(f.name, f.b); err != nil {
			t.Fatalf("%s: onnxkit cannot load the fixture: %v", f.name, err)
		}
		var ins []onnx.ValueInfo
		for _, in := range f.kit.Inputs() {
			if !in.HasDefault {
				ins = append(ins, in)
			}
		}
		if len(ins) != 1 {
			t.Fatalf("%s has %d inputs to feed, want 1", f.name, len(ins))
		}
		f.input = ins[0].Name
		if d := ins[0].Type.Dims; len(d) > 0 && d[0].Known() {
			f.fixed = d[0].Size
		}
		x, err := onnx.ReadTensorFile(filepath.Join(dir, "derived_ort_input.npy"))
		if err != nil {
			t.Fatal(err)
		}
		if f.x, err = onnx.ToDense(x); err != nil {
			t.Fatal(err)
		}
		// Give the recorded images the model's input shape (with one
		// channel NCHW, NHWC, [N,28,28] and [N,784] hold the same bytes).
		n := f.x.Shape()[0]
		shape := []int{n}
		for _, d := range ins[0].Type.Dims[1:] {
			shape = append(shape, d.Size)
		}
		if err := f.x.Reshape(shape...); err != nil {
			t.Fatalf("%s: recorded input %v as %v: %v", f.name, f.x.Shape(), shape, err)
		}
		out = append(out, f)
	}
	if len(out) == 0 {
		t.Fatalf("no fixture in %s", root)
	}
	return out
}

// batch returns samples [from, from+n) of the recorded input.
func (f *fixture) batch(t *testing.T, from, n int) *tensor.Dense {
	t.Helper()
	s, err := f.x.Slice(tensor.S(from, from+n))
	if err != nil {
		t.Fatal(err)
	}
	d := s.(*tensor.Dense).Materialize().(*tensor.Dense).Clone().(*tensor.Dense)
	shape := append([]int{n}, f.x.Shape()[1:]...)
	if err := d.Reshape(shape...); err != nil { // a slice of one drops the axis
		t.Fatal(err)
	}
	return d
}

// setInput feeds x to the fixture's input through onnx-go. Model.SetInput
// sets the node whose ID is the index (onnx-go numbers nodes in the order
// of the graph's inputs, initializers listed as inputs included), so it is
// used when that node is the input; otherwise the node found by name.
func setInput(t *testing.T, m *gonnx.Model, name string, x *tensor.Dense) {
	t.Helper()
	n, ok := m.GetNodeByName(name)
	if !ok {
		t.Fatalf("onnx-go has no node %q", name)
	}
	if n.ID() == 0 {
		if err := m.SetInput(0, x); err != nil {
			t.Fatal(err)
		}
		return
	}
	t.Logf("input %q is node %d: set through its DataCarrier (Model.SetInput(0) would set node 0)", name, n.ID())
	if err := n.(gonnx.DataCarrier).SetTensor(x); err != nil {
		t.Fatal(err)
	}
}

// TestFixtures runs every model of ../shared/fixtures through onnx-go's
// decoder and this backend on its recorded input, at the batch size the
// model fixes or else at batch 1 and at the whole recorded batch: the
// outputs equal onnxkit's own Run and are within 1e-5 of onnxruntime's.
func TestFixtures(t *testing.T) {
	for _, f := range fixtures(t) {
		t.Run(f.name, func(t *testing.T) {
			n := f.x.Shape()[0]
			sizes := []int{1, n}
			if f.fixed > 0 {
				sizes = []int{f.fixed}
			}
			backend := onnxgo.NewGraph()
			m := decodeWith(t, backend, f.b)
			ort, err := ort.Open(f.path, nil)
			peer.Require(t, err)
			defer ort.Close()
			for _, size := range sizes {
				for from := 0; from+size <= n; from += size {
					x := f.batch(t, from, size)
					setInput(t, m, f.input, x)
					if err := backend.Run(); err != nil {
						t.Fatalf("batch %d at %d: Run: %v", size, from, err)
					}
					outs, err := m.GetOutputTensors()
					if err != nil {
						t.Fatal(err)
					}
					kit, err := f.kit.Run(map[string]*tensor.Dense{f.input: x})
					if err != nil {
						t.Fatal(err)
					}
					ref, err := ort.Run(map[string]*tensor.Dense{f.input: x})
					if err != nil {
						t.Fatal(err)
					}
					if len(outs) != len(f.kit.Outputs()) {
						t.Fatalf("%d outputs, onnxkit has %d", len(outs), len(f.kit.Outputs()))
					}
					for i, o := range f.kit.Outputs() {
						sameTensor(t, o.Name, outs[i], kit[o.Name])
						shape := ref[o.Name].Shape()
						k := shape[len(shape)-1]
						if d, at := rowExcess(float32s(t, outs[i]), float32s(t, ref[o.Name]), k); d > fixtureTolerance {
							t.Fatalf("batch %d at %d: output %s element %d differs from onnxruntime by %g", size, from, o.Name, at, d)
						}
					}
					if size == 1 && from >= 3 {
						break // a few single samples are enough
					}
				}
			}
			if _, opset := backend.Model(); opset == 0 {
				t.Fatal("no opset recorded")
			} else {
				t.Logf("loaded at ai.onnx opset %d (the file imports %d), %d samples", opset, f.kit.Opset(""), n)
			}
		})
	}
}
