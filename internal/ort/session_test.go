package ort

import (
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/onnxkit/onnxkit/internal/peer"

	"github.com/sbinet/npyio"
	"gorgonia.org/tensor"
)

// fixtureTol is the absolute tolerance against the recorded onnxruntime
// outputs (derived_ort_output.npy) of the shared fixtures.
const fixtureTol = 1e-5

// readNpyF32 reads a little-endian float32 .npy file into a tensor.
func readNpyF32(t *testing.T, path string) *tensor.Dense {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatalf("opening %s: %v", path, err)
	}
	defer f.Close()
	r, err := npyio.NewReader(f)
	if err != nil {
		t.Fatalf("reading npy header of %s: %v", path, err)
	}
	if r.Header.Descr.Type != "<f4" || r.Header.Descr.Fortran {
		t.Fatalf("%s holds %s (fortran=%v), want C-ordered <f4", path, r.Header.Descr.Type, r.Header.Descr.Fortran)
	}
	var data []float32
	if err := r.Read(&data); err != nil {
		t.Fatalf("reading npy data of %s: %v", path, err)
	}
	shape := append([]int(nil), r.Header.Descr.Shape...)
	n := 1
	for _, d := range shape {
		n *= d
	}
	if len(shape) == 0 || len(data) != n {
		t.Fatalf("%s: %d values for shape %v", path, len(data), shape)
	}
	return tensor.New(tensor.WithShape(shape...), tensor.WithBacking(data))
}

// requireORT skips (or fails under CI) when onnxruntime cannot be loaded.
func requireORT(t *testing.T) {
	t.Helper()
	_, err := Version()
	peer.Require(t, err)
}

func TestORTVersion(t *testing.T) {
	v, err := Version()
	peer.Require(t, err)
	if v != "1.30.0" {
		t.Errorf("onnxruntime reports version %q, want 1.30.0 (the version install-peers.sh pins)", v)
	}
	t.Logf("onnxruntime %s from %s", v, ortLibPath)
}

// fixtureCase is one shared fixture folder with recorded ORT input/output.
type fixtureCase struct {
	name, model, in, out string
}

func fixtureCases(t *testing.T) []fixtureCase {
	t.Helper()
	root := peer.Fixtures(t)
	dirs, err := os.ReadDir(root)
	if err != nil {
		t.Fatalf("listing %s: %v", root, err)
	}
	var cases []fixtureCase
	for _, d := range dirs {
		if !d.IsDir() {
			continue
		}
		dir := filepath.Join(root, d.Name())
		models, err := filepath.Glob(filepath.Join(dir, "*.onnx"))
		if err != nil {
			t.Fatal(err)
		}
		c := fixtureCase{
			name: d.Name(),
			in:   filepath.Join(dir, "derived_ort_input.npy"),
			out:  filepath.Join(dir, "derived_ort_output.npy"),
		}
		if len(models) != 1 || regularFile(c.in) != nil || regularFile(c.out) != nil {
			continue
		}
		c.model = models[0]
		cases = append(cases, c)
	}
	return cases
}

func TestRunORTFixtures(t *testing.T) {
	requireORT(t)
	cases := fixtureCases(t)
	if len(cases) == 0 {
		t.Fatalf("no fixture folder with a model and derived_ort_*.npy under %s", peer.Fixtures(t))
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			in := readNpyF32(t, c.in)
			want := readNpyF32(t, c.out)

			s, err := Open(c.model, nil)
			if err != nil {
				t.Fatalf("Open: %v", err)
			}
			defer s.Close()
			ins, outs := s.Inputs(), s.Outputs()
			if len(ins) != 1 || len(outs) != 1 {
				t.Fatalf("model has inputs %v and outputs %v, want one of each", ins, outs)
			}
			info := ins[0]
			if info.Dtype != tensor.Float32 || len(info.Dims) != len(in.Shape()) {
				t.Fatalf("model input %v does not take the npy input %v float32", info, in.Shape())
			}

			got, err := runBatch(s, info, in)
			if err != nil {
				t.Fatalf("run: %v", err)
			}
			if !got.Shape().Eq(want.Shape()) {
				t.Fatalf("output %s has shape %v, recorded output has %v", outs[0].Name, got.Shape(), want.Shape())
			}
			g, w := got.Data().([]float32), want.Data().([]float32)
			maxDiff, at := 0.0, -1
			for i := range w {
				d := math.Abs(float64(g[i]) - float64(w[i]))
				if math.IsNaN(d) || d > maxDiff {
					maxDiff, at = d, i
				}
			}
			t.Logf("%s: input %v, %d outputs, max |ORT - recorded| = %.3g", filepath.Base(c.model), info, len(w), maxDiff)
			if !(maxDiff <= fixtureTol) {
				t.Errorf("max |diff| %.3g at flat index %d (got %v, recorded %v) exceeds %g", maxDiff, at, g[at], w[at], fixtureTol)
			}
		})
	}
}

// runBatch runs in through the session's only input. When the model fixes
// its batch dimension to 1 (the CNTK zoo model) it runs sample by sample
// and stacks the results.
func runBatch(s *Session, info TensorInfo, in *tensor.Dense) (*tensor.Dense, error) {
	name := s.Outputs()[0].Name
	if info.Dims[0] != 1 || in.Shape()[0] == 1 {
		res, err := s.Run(map[string]*tensor.Dense{info.Name: in})
		if err != nil {
			return nil, err
		}
		return res[name], nil
	}
	n := in.Shape()[0]
	per := in.Shape().TotalSize() / n
	sampleShape := append([]int{1}, in.Shape()[1:]...)
	data := in.Data().([]float32)
	var outData []float32
	var outShape []int
	for i := 0; i < n; i++ {
		buf := append([]float32(nil), data[i*per:(i+1)*per]...)
		x := tensor.New(tensor.WithShape(sampleShape...), tensor.WithBacking(buf))
		res, err := s.Run(map[string]*tensor.Dense{info.Name: x})
		if err != nil {
			return nil, err
		}
		y := res[name]
		outShape = append([]int{n}, y.Shape()[1:]...)
		outData = append(outData, y.Data().([]float32)...)
	}
	return tensor.New(tensor.WithShape(outShape...), tensor.WithBacking(outData)), nil
}

// nodeModel returns model.onnx of one ONNX backend node test.
func nodeModel(t *testing.T, test string) string {
	t.Helper()
	dir, err := peer.ONNXTestData()
	peer.Require(t, err)
	return filepath.Join(dir, test, "model.onnx")
}

func TestRunORTElementTypes(t *testing.T) {
	requireORT(t)

	t.Run("float32 in, int64 scalar out", func(t *testing.T) {
		x := tensor.New(tensor.WithShape(3, 4, 5), tensor.WithBacking(make([]float32, 60)))
		res, err := Run(nodeModel(t, "test_size"), map[string]*tensor.Dense{"x": x}, nil)
		if err != nil {
			t.Fatal(err)
		}
		y := res["y"]
		if y == nil || !y.IsScalar() || y.Dtype() != tensor.Int64 || y.Data().(int64) != 60 {
			t.Fatalf("Size = %v, want int64 scalar 60", y)
		}
	})

	t.Run("int32 scalars in", func(t *testing.T) {
		in := map[string]*tensor.Dense{
			"start": tensor.New(tensor.FromScalar(int32(10))),
			"limit": tensor.New(tensor.FromScalar(int32(6))),
			"delta": tensor.New(tensor.FromScalar(int32(-3))),
		}
		res, err := Run(nodeModel(t, "test_range_int32_type_negative_delta"), in, []string{"output"})
		if err != nil {
			t.Fatal(err)
		}
		got, ok := res["output"].Data().([]int32)
		if !ok || len(got) != 2 || got[0] != 10 || got[1] != 7 {
			t.Fatalf("Range(10, 6, -3) = %v, want [10 7]", res["output"])
		}
	})

	t.Run("bool and float32 in", func(t *testing.T) {
		in := map[string]*tensor.Dense{
			"condition": tensor.New(tensor.WithShape(2, 2), tensor.WithBacking([]bool{true, false, true, true})),
			"x":         tensor.New(tensor.WithShape(2, 2), tensor.WithBacking([]float32{1, 2, 3, 4})),
			"y":         tensor.New(tensor.WithShape(2, 2), tensor.WithBacking([]float32{9, 8, 7, 6})),
		}
		res, err := Run(nodeModel(t, "test_where_example"), in, nil)
		if err != nil {
			t.Fatal(err)
		}
		want := []float32{1, 8, 3, 4}
		got := res["z"].Data().([]float32)
		for i := range want {
			if got[i] != want[i] {
				t.Fatalf("Where = %v, want %v", got, want)
			}
		}
	})

	t.Run("int32 in, bool out", func(t *testing.T) {
		a := make([]int32, 60)
		b := make([]int32, 60)
		for i := range a {
			a[i], b[i] = int32(i%7), int32(i%5)
		}
		in := map[string]*tensor.Dense{
			"x": tensor.New(tensor.WithShape(3, 4, 5), tensor.WithBacking(a)),
			"y": tensor.New(tensor.WithShape(3, 4, 5), tensor.WithBacking(b)),
		}
		res, err := Run(nodeModel(t, "test_equal"), in, nil)
		if err != nil {
			t.Fatal(err)
		}
		got := res["z"].Data().([]bool)
		for i := range a {
			if got[i] != (a[i] == b[i]) {
				t.Fatalf("Equal at %d: got %v, want %v", i, got[i], a[i] == b[i])
			}
		}
	})

	t.Run("int64 in", func(t *testing.T) {
		data := make([]float32, 5*4*3*2)
		for i := range data {
			data[i] = float32(i)
		}
		in := map[string]*tensor.Dense{
			"data":    tensor.New(tensor.WithShape(5, 4, 3, 2), tensor.WithBacking(data)),
			"indices": tensor.New(tensor.WithShape(3), tensor.WithBacking([]int64{0, 1, 3})),
		}
		res, err := Run(nodeModel(t, "test_gather_0"), in, nil)
		if err != nil {
			t.Fatal(err)
		}
		y := res["y"]
		if !y.Shape().Eq(tensor.Shape{3, 4, 3, 2}) {
			t.Fatalf("Gather shape %v, want (3, 4, 3, 2)", y.Shape())
		}
		got := y.Data().([]float32)
		// Third picked row is row 3 of data, which starts at 3*24.
		if got[2*24] != 72 || got[2*24+23] != 95 || got[0] != 0 {
			t.Fatalf("Gather picked wrong rows: %v", got)
		}
	})

	t.Run("float64 out", func(t *testing.T) {
		x := []float32{0.5, -1.25, 3, 0.1, 1, 2, 3, 4, 5, 6, 7, 8}
		in := map[string]*tensor.Dense{"input": tensor.New(tensor.WithShape(3, 4), tensor.WithBacking(x))}
		res, err := Run(nodeModel(t, "test_cast_FLOAT_to_DOUBLE"), in, nil)
		if err != nil {
			t.Fatal(err)
		}
		got := res["output"].Data().([]float64)
		for i := range x {
			if got[i] != float64(x[i]) {
				t.Fatalf("Cast to double: got %v, want %v", got, x)
			}
		}
	})

	t.Run("transposed view in", func(t *testing.T) {
		// A view must be fed in its logical (row-major) order.
		base := tensor.New(tensor.WithShape(2, 2), tensor.WithBacking([]float32{2, 3, 1, 10}))
		if err := base.T(); err != nil {
			t.Fatal(err)
		}
		res, err := Run(nodeModel(t, "test_argmax_default_axis_example"), map[string]*tensor.Dense{"data": base}, nil)
		if err != nil {
			t.Fatal(err)
		}
		got, ok := res["result"].Data().([]int64)
		if !ok || len(got) != 2 || got[0] != 1 || got[1] != 1 {
			t.Fatalf("ArgMax of [[2 1] [3 10]] = %v, want [[1 1]]", res["result"])
		}
	})
}

func TestRunORTErrors(t *testing.T) {
	requireORT(t)
	model := nodeModel(t, "test_where_example")
	f32 := func(shape ...int) *tensor.Dense {
		return tensor.New(tensor.WithShape(shape...), tensor.WithBacking(make([]float32, tensor.Shape(shape).TotalSize())))
	}
	cond := tensor.New(tensor.WithShape(2, 2), tensor.WithBacking([]bool{true, false, true, false}))
	garbage := filepath.Join(t.TempDir(), "garbage.onnx")
	if err := os.WriteFile(garbage, []byte("this is not a protobuf \x00\xff\x13"), 0o644); err != nil {
		t.Fatal(err)
	}

	cases := []struct {
		name    string
		model   string
		inputs  map[string]*tensor.Dense
		outputs []string
		want    string
	}{
		{"missing model file", filepath.Join(t.TempDir(), "nope.onnx"), nil, nil, "nope.onnx"},
		{"garbage model", garbage, nil, nil, "garbage.onnx"},
		{"unknown output", model, nil, []string{"w"}, `no output "w"`},
		{"unknown input", model, map[string]*tensor.Dense{"condition": cond, "x": f32(2, 2), "y": f32(2, 2), "q": f32(1)}, nil, `"q"`},
		{"missing input", model, map[string]*tensor.Dense{"condition": cond, "x": f32(2, 2)}, nil, "y:float"},
		{"nil input", model, map[string]*tensor.Dense{"condition": cond, "x": f32(2, 2), "y": nil}, nil, "nil tensor"},
		{"wrong element type", model, map[string]*tensor.Dense{"condition": cond, "x": f32(2, 2), "y": tensor.New(tensor.WithShape(2, 2), tensor.WithBacking([]int64{1, 2, 3, 4}))}, nil, "onnxruntime run"},
		{"unsupported element type", model, map[string]*tensor.Dense{"condition": cond, "x": f32(2, 2), "y": tensor.New(tensor.WithShape(2, 2), tensor.WithBacking([]uint32{1, 2, 3, 4}))}, nil, "unsupported element type"},
		{"wrong rank", model, map[string]*tensor.Dense{"condition": cond, "x": f32(2, 2), "y": f32(2, 2, 2)}, nil, "onnxruntime run"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res, err := Run(c.model, c.inputs, c.outputs)
			if err == nil {
				t.Fatalf("Run succeeded with %v, want an error", res)
			}
			t.Logf("%v", err)
			if !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %q does not mention %q", err, c.want)
			}
			if errors.Is(err, ErrUnavailable) {
				t.Errorf("error %q wrongly reports a missing peer", err)
			}
		})
	}

	t.Run("run after close", func(t *testing.T) {
		s, err := Open(model, nil)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		if err := s.Close(); err != nil {
			t.Errorf("second Close: %v", err)
		}
		if _, err := s.Run(map[string]*tensor.Dense{"condition": cond, "x": f32(2, 2), "y": f32(2, 2)}); err == nil || !strings.Contains(err.Error(), "closed") {
			t.Errorf("Run after Close: err = %v, want a closed-session error", err)
		}
	})
}

func TestRunORTConcurrent(t *testing.T) {
	requireORT(t)
	model := nodeModel(t, "test_where_example")
	s, err := Open(model, []string{"z"})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	errs := make(chan error, 8)
	for g := 0; g < cap(errs); g++ {
		go func(g int) {
			v := float32(g)
			in := map[string]*tensor.Dense{
				"condition": tensor.New(tensor.WithShape(2, 2), tensor.WithBacking([]bool{true, false, false, true})),
				"x":         tensor.New(tensor.WithShape(2, 2), tensor.WithBacking([]float32{v, v, v, v})),
				"y":         tensor.New(tensor.WithShape(2, 2), tensor.WithBacking([]float32{-v, -v, -v, -v})),
			}
			for i := 0; i < 20; i++ {
				var res map[string]*tensor.Dense
				var err error
				if i%2 == 0 {
					res, err = s.Run(in)
				} else {
					res, err = Run(model, in, nil)
				}
				if err != nil {
					errs <- err
					return
				}
				got := res["z"].Data().([]float32)
				if got[0] != v || got[1] != -v || got[2] != -v || got[3] != v {
					errs <- fmt.Errorf("goroutine %d got %v", g, got)
					return
				}
			}
			errs <- nil
		}(g)
	}
	for range cap(errs) {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
}
