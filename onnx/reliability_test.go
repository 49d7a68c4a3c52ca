package onnx_test

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"google.golang.org/protobuf/proto"
	"gorgonia.org/tensor"

	"github.com/onnxkit/onnxkit/internal/peer"
	"github.com/onnxkit/onnxkit/layers"
	"github.com/onnxkit/onnxkit/onnx"
	"github.com/onnxkit/onnxkit/onnx/tensors"
)

// lenetExportBytes is onnxkit's own LeNet export (opset 13) with weights
// initialized from seed: a file's bytes.
func lenetExportBytes(t *testing.T, seed uint64) []byte {
	t.Helper()
	model, err := layers.LeNet(tensor.Float32)
	if err != nil {
		t.Fatal(err)
	}
	model.Init(rand.New(rand.NewPCG(seed, seed+1)))
	mp, err := layers.ToONNX(model, layers.ExportOptions{Opset: 13})
	if err != nil {
		t.Fatal(err)
	}
	b, err := proto.Marshal(mp)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// lenetExport loads onnxkit's own LeNet export (seeded random weights).
func lenetExport(t *testing.T) *onnx.Model {
	t.Helper()
	m, err := onnx.LoadBytes("lenet.onnx", lenetExportBytes(t, 5))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestConcurrentRunsMatchSerial runs one loaded model from many goroutines
// at once, on different inputs and batch sizes, and checks every result
// against the same inputs run one at a time, bit for bit: onnxkit's LeNet
// export and every fixture model. Run it with -race.
func TestConcurrentRunsMatchSerial(t *testing.T) {
	t.Run("lenet-export", func(t *testing.T) {
		m := lenetExport(t)
		concurrentMatchesSerial(t, m, m.Inputs()[0].Name, func(i int) []int { return []int{1 + i%2, 1, 28, 28} })
	})
	t.Run("fixtures", func(t *testing.T) {
		dir := peer.Fixtures(t)
		paths, err := filepath.Glob(filepath.Join(dir, "*", "*.onnx"))
		if err != nil || len(paths) == 0 {
			t.Fatalf("no fixture models in %s: %v", dir, err)
		}
		for _, path := range paths {
			t.Run(filepath.Base(filepath.Dir(path)), func(t *testing.T) {
				m, err := onnx.Load(path)
				if err != nil {
					t.Fatal(err)
				}
				var in onnx.ValueInfo
				for _, v := range m.Inputs() {
					if !v.HasDefault {
						in = v
					}
				}
				concurrentMatchesSerial(t, m, in.Name, func(i int) []int {
					shape := make([]int, len(in.Type.Dims))
					for k, d := range in.Type.Dims {
						shape[k] = 1 + i%2
						if d.Known() {
							shape[k] = d.Size
						}
					}
					return shape
				})
			})
		}
	})
}

// concurrentMatchesSerial runs m on four float32 inputs of the shapes
// shapeOf gives, serially and then from eight goroutines at once, and
// compares every output bit for bit.
func concurrentMatchesSerial(t *testing.T, m *onnx.Model, in string, shapeOf func(i int) []int) {
	r := rand.New(rand.NewPCG(7, 8))
	const batches = 4
	inputs := make([]*tensors.Tensor, batches)
	want := make([]map[string]*tensors.Tensor, batches)
	for i := range inputs {
		shape := shapeOf(i)
		n, err := tensors.NumElements(shape)
		if err != nil {
			t.Fatal(err)
		}
		x := make([]float32, n)
		for j := range x {
			x[j] = r.Float32()
		}
		if inputs[i], err = tensors.New(shape, x); err != nil {
			t.Fatal(err)
		}
		if want[i], err = m.RunTensors(map[string]*tensors.Tensor{in: inputs[i]}); err != nil {
			t.Fatal(err)
		}
	}
	out := m.Outputs()[0].Name
	if proto.Equal(tensors.ToProto("", want[0][out]), tensors.ToProto("", want[2][out])) {
		t.Fatal("different inputs give the same outputs: the comparison would prove nothing")
	}

	const workers = 8
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for k := 0; k < 2*batches; k++ {
				i := (w + k) % batches
				res, err := m.RunTensors(map[string]*tensors.Tensor{in: inputs[i]})
				if err != nil {
					errs <- fmt.Errorf("worker %d, batch %d: %v", w, i, err)
					return
				}
				for name, v := range want[i] {
					if !proto.Equal(tensors.ToProto("", res[name]), tensors.ToProto("", v)) {
						errs <- fmt.Errorf("worker %d, batch %d: output %q %v differs from the serial run's %v", w, i, name, res[name], v)
						return
					}
				}
			}
		}(w)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// TestRunChecksInputsBeforeComputing feeds wrong inputs to a model whose
// nodes would fail (an absurd Expand): the error must be about the input,
// which proves no node ran first.
func TestRunChecksInputsBeforeComputing(t *testing.T) {
	m, err := onnx.Load("testdata/hostile/expand_absurd.onnx") // x float32[N, 4]
	if err != nil {
		t.Fatal(err)
	}
	good := tensors.Vector[float32](1, 2, 3, 4)
	goodX, err := good.Reshape(1, 4)
	if err != nil {
		t.Fatal(err)
	}
	i64, err := tensors.Vector[int64](1, 2, 3, 4).Reshape(1, 4)
	if err != nil {
		t.Fatal(err)
	}
	wide, err := tensors.New([]int{1, 5}, make([]float32, 5))
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		in   map[string]*tensors.Tensor
		want string
	}{
		{"wrong name", map[string]*tensors.Tensor{"X": goodX}, `"X" is not a graph input (inputs: "x")`},
		{"extra name", map[string]*tensors.Tensor{"x": goodX, "x2": goodX}, `"x2" is not a graph input`},
		{"initializer", map[string]*tensors.Tensor{"x": goodX, "factors": goodX}, `"factors" is an initializer`},
		{"missing", map[string]*tensors.Tensor{}, `missing input "x" (float32[N 4])`},
		{"dtype", map[string]*tensors.Tensor{"x": i64}, `input "x": element type int64, want float32`},
		{"rank", map[string]*tensors.Tensor{"x": good}, `input "x": shape [4] has rank 1, want rank 2`},
		{"shape", map[string]*tensors.Tensor{"x": wide}, `input "x": shape [1 5]: dimension 1 is 5, want 4`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := m.RunTensors(c.in)
			if err == nil || !errors.Is(err, onnx.ErrBadInput) || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("got %v; want a bad-input error containing %q", err, c.want)
			}
			if strings.Contains(err.Error(), `node "expand"`) {
				t.Errorf("a node ran before the inputs were checked: %v", err)
			}
		})
	}
	// The dense API checks the same way.
	_, err = m.Run(map[string]*tensor.Dense{"x": tensor.New(tensor.WithShape(1, 4), tensor.WithBacking([]float64{1, 2, 3, 4}))})
	if err == nil || !errors.Is(err, onnx.ErrBadInput) || !strings.Contains(err.Error(), `input "x": element type float64, want float32`) {
		t.Errorf("dense float64 input: %v", err)
	}
}
