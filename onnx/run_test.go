package onnx

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"gorgonia.org/tensor"

	"github.com/onnxkit/onnxkit/onnx/onnxpb"
	"github.com/onnxkit/onnxkit/onnx/ops"
	"github.com/onnxkit/onnxkit/onnx/tensors"
)

func TestRunBatches(t *testing.T) {
	m, err := FromProto("small", smallModel())
	if err != nil {
		t.Fatal(err)
	}
	for _, batch := range []int{1, 5, 1, 3} { // same model, several batch sizes
		x := make([]float32, batch*4)
		for i := range x {
			x[i] = float32(i%7) - 3.5
		}
		in := tensor.New(tensor.WithShape(batch, 4), tensor.WithBacking(append([]float32{}, x...)))
		out, err := m.Run(map[string]*tensor.Dense{"x": in})
		if err != nil {
			t.Fatalf("batch %d: %v", batch, err)
		}
		y := out["y"]
		if y == nil || len(out) != 1 {
			t.Fatalf("batch %d: outputs %v", batch, out)
		}
		if got := []int(y.Shape()); len(got) != 3 || got[0] != batch || got[1] != 2 || got[2] != 2 {
			t.Fatalf("batch %d: shape %v", batch, y.Shape())
		}
		want := smallModelWant(x)
		for i, v := range y.Data().([]float32) {
			if v != want[i] {
				t.Fatalf("batch %d: y[%d] = %v, want %v", batch, i, v, want[i])
			}
		}
		if got := in.Data().([]float32); got[0] != x[0] {
			t.Fatal("Run modified its input")
		}
	}
}

func TestRunFetch(t *testing.T) {
	m, err := FromProto("small", smallModel())
	if err != nil {
		t.Fatal(err)
	}
	x := mustTensor(t, []int{2, 4}, []float32{1, 2, 3, 4, 5, 6, 7, 8})
	out, err := m.RunTensors(map[string]*tensors.Tensor{"x": x}, "r", "s", "bias", "x")
	if err != nil {
		t.Fatal(err)
	}
	if len(out) != 4 || out["r"].String() != "float32[2 2 2]" || tensors.Data[float32](out["s"])[1] != -8 || out["bias"].Len() != 2 || out["x"] != x {
		t.Errorf("fetched %v", out)
	}
	if _, err := m.RunTensors(map[string]*tensors.Tensor{"x": x}, "nope"); err == nil || !strings.Contains(err.Error(), `"nope"`) || !errors.Is(err, ErrBadInput) {
		t.Errorf("fetch unknown: %v", err)
	}
	// Fetching an initializer needs no input.
	if out, err := m.RunTensors(nil, "bias"); err != nil || out["bias"] == nil {
		t.Errorf("fetch initializer without inputs: %v %v", out, err)
	}
}

func TestRunInputChecks(t *testing.T) {
	mp := smallModel()
	mp.Graph.Input[0].Type = tensorType(tensors.Float32, "N", 4)
	m, err := FromProto("small", mp)
	if err != nil {
		t.Fatal(err)
	}
	good := mustTensor(t, []int{1, 4}, []float32{1, 2, 3, 4})
	cases := []struct {
		name string
		in   map[string]*tensors.Tensor
		want string
	}{
		{"missing", map[string]*tensors.Tensor{}, `missing input "x"`},
		{"unknown", map[string]*tensors.Tensor{"x": good, "z": good}, `"z" is not a graph input`},
		{"initializer", map[string]*tensors.Tensor{"x": good, "bias": good}, `"bias" is an initializer`},
		{"nil", map[string]*tensors.Tensor{"x": nil}, `input "x" is nil`},
		{"dtype", map[string]*tensors.Tensor{"x": mustTensor(t, []int{1, 4}, []int64{1, 2, 3, 4})}, `input "x": element type int64, want float32`},
		{"rank", map[string]*tensors.Tensor{"x": mustTensor(t, []int{4}, []float32{1, 2, 3, 4})}, `input "x": shape [4] has rank 1, want rank 2`},
		{"fixed dim", map[string]*tensors.Tensor{"x": mustTensor(t, []int{2, 2}, []float32{1, 2, 3, 4})}, `input "x": shape [2 2]: dimension 1 is 2, want 4`},
	}
	for _, c := range cases {
		_, err := m.RunTensors(c.in)
		if err == nil || !strings.Contains(err.Error(), c.want) || !errors.Is(err, ErrBadInput) {
			t.Errorf("%s: %v, want %q", c.name, err, c.want)
		}
	}
	if _, err := m.Run(map[string]*tensor.Dense{"x": tensor.New(tensor.WithShape(1, 4), tensor.WithBacking([]int{1, 2, 3, 4}))}); err == nil || !strings.Contains(err.Error(), `input "x"`) {
		t.Errorf("Go int input: %v", err)
	}
}

// TestRunConcurrent runs one model from many goroutines with different
// batch sizes; run it with -race.
func TestRunConcurrent(t *testing.T) {
	m, err := FromProto("small", smallModel())
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for g := 0; g < 16; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for it := 0; it < 20; it++ {
				batch := 1 + (g+it)%6
				x := make([]float32, batch*4)
				for i := range x {
					x[i] = float32((i*g+it)%11) - 5
				}
				out, err := m.Run(map[string]*tensor.Dense{"x": tensor.New(tensor.WithShape(batch, 4), tensor.WithBacking(x))}, "y", "r")
				if err != nil {
					errs <- err
					return
				}
				want := smallModelWant(x)
				for i, v := range out["y"].Data().([]float32) {
					if v != want[i] {
						errs <- fmt.Errorf("goroutine %d batch %d: y[%d] = %v, want %v", g, batch, i, v, want[i])
						return
					}
				}
			}
		}(g)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// TestNoStateLeaks modifies everything Run returns and checks that the
// next run does not see it.
func TestNoStateLeaks(t *testing.T) {
	mp := modelProto(13, &onnxpb.GraphProto{
		Node: []*onnxpb.NodeProto{
			nodeProto("Identity", "id", []string{"w"}, []string{"w_out"}),
			nodeProto("Identity", "idx", []string{"x"}, []string{"x_out"}),
		},
		Initializer: []*onnxpb.TensorProto{tensors.ToProto("w", tensors.Vector[float32](1, 2))},
		Input:       []*onnxpb.ValueInfoProto{valueInfo("x", tensorType(tensors.Float32, 2))},
		Output:      []*onnxpb.ValueInfoProto{valueInfo("w_out", tensorType(tensors.Float32, 2)), valueInfo("x_out", tensorType(tensors.Float32, 2))},
	})
	m, err := FromProto("leak", mp)
	if err != nil {
		t.Fatal(err)
	}
	x := tensor.New(tensor.WithShape(2), tensor.WithBacking([]float32{5, 6}))
	for i := 0; i < 2; i++ {
		out, err := m.Run(map[string]*tensor.Dense{"x": x})
		if err != nil {
			t.Fatal(err)
		}
		if w := out["w_out"].Data().([]float32); w[0] != 1 {
			t.Fatalf("run %d: w_out = %v: an earlier caller's write leaked into the model", i, w)
		}
		out["w_out"].Data().([]float32)[0] = 100
		out["x_out"].Data().([]float32)[0] = 100
		if x.Data().([]float32)[0] != 5 {
			t.Fatal("writing to an output changed the caller's input")
		}
	}
}

func TestDenseScalarAndEmpty(t *testing.T) {
	mp := modelProto(15, &onnxpb.GraphProto{
		Node: []*onnxpb.NodeProto{
			nodeProto("Shape", "shape", []string{"x"}, []string{"s"}),
			nodeProto("Relu", "relu", []string{"x"}, []string{"y"}),
		},
		Input:  []*onnxpb.ValueInfoProto{valueInfo("x", tensorType(tensors.Float32))},
		Output: []*onnxpb.ValueInfoProto{valueInfo("s", nil), valueInfo("y", nil)},
	})
	m, err := FromProto("scalar", mp)
	if err != nil {
		t.Fatal(err)
	}
	// A gorgonia scalar in, a scalar out, and an empty shape vector that
	// *tensor.Dense cannot hold.
	_, err = m.Run(map[string]*tensor.Dense{"x": tensor.New(tensor.FromScalar(float32(-2)))})
	if err == nil || !strings.Contains(err.Error(), `"s"`) || !strings.Contains(err.Error(), "no elements") {
		t.Errorf("empty output through Run: %v", err)
	}
	out, err := m.Run(map[string]*tensor.Dense{"x": tensor.New(tensor.FromScalar(float32(-2)))}, "y")
	if err != nil {
		t.Fatal(err)
	}
	if y := out["y"]; !y.IsScalar() || y.Data().(float32) != 0 {
		t.Errorf("scalar Relu: shape %v data %v", y.Shape(), y.Data())
	}
	res, err := m.RunTensors(map[string]*tensors.Tensor{"x": tensors.Scalar[float32](3)})
	if err != nil || res["s"].String() != "int64[0]" || res["y"].Rank() != 0 {
		t.Errorf("RunTensors: %v %v", res, err)
	}
}

func TestDenseConversion(t *testing.T) {
	// A transposed Dense must be read in its logical order.
	d := tensor.New(tensor.WithShape(2, 3), tensor.WithBacking([]float64{1, 2, 3, 4, 5, 6}))
	if err := d.T(); err != nil {
		t.Fatal(err)
	}
	x, err := FromDense(d)
	if err != nil {
		t.Fatal(err)
	}
	if x.String() != "float64[3 2]" || fmt.Sprint(tensors.Data[float64](x)) != "[1 4 2 5 3 6]" {
		t.Errorf("transposed: %v %v", x, tensors.Data[float64](x))
	}
	// A sliced view.
	base := tensor.New(tensor.WithShape(3, 2), tensor.WithBacking([]int32{1, 2, 3, 4, 5, 6}))
	v, err := base.Slice(tensor.S(1, 3))
	if err != nil {
		t.Fatal(err)
	}
	x, err = FromDense(v.(*tensor.Dense))
	if err != nil || fmt.Sprint(tensors.Data[int32](x)) != "[3 4 5 6]" {
		t.Errorf("view: %v %v", x, err)
	}
	// Scalars both ways, and every supported element type.
	s, err := ToDense(tensors.Scalar("hi"))
	if err != nil || !s.IsScalar() || s.Data().(string) != "hi" {
		t.Errorf("string scalar: %v %v", s, err)
	}
	for _, tt := range []*tensors.Tensor{
		tensors.Vector[float32](1), tensors.Vector[float64](1), tensors.Vector[int8](1), tensors.Vector[int16](1),
		tensors.Vector[int32](1), tensors.Vector[int64](1), tensors.Vector[uint8](1), tensors.Vector[uint16](1),
		tensors.Vector[uint32](1), tensors.Vector[uint64](1), tensors.Vector(true), tensors.Vector("s"),
	} {
		d, err := ToDense(tt)
		if err != nil {
			t.Fatalf("%v: %v", tt, err)
		}
		back, err := FromDense(d)
		if err != nil || back.DType() != tt.DType() || back.Len() != 1 {
			t.Errorf("%v round trip: %v %v", tt, back, err)
		}
		tp, err := DenseToProto("w", d)
		if err != nil {
			t.Fatal(err)
		}
		d2, err := ProtoToDense(tp)
		if err != nil || d2.Dtype() != d.Dtype() {
			t.Errorf("%v proto round trip: %v %v", tt, d2, err)
		}
	}
	if _, err := FromDense(nil); err == nil {
		t.Error("nil Dense accepted")
	}
	if _, err := ToDense(mustTensor(t, []int{0}, []float32{})); err == nil {
		t.Error("empty tensor converted to Dense")
	}
}

// Test-only operators exercising the runtime's defences and folding.
var (
	countCalls    atomic.Int64
	volatileCalls atomic.Int64
)

func init() {
	const d = "test.onnxkit"
	ops.Register(ops.Op{Domain: d, Type: "Panic", Since: []int{1}, Prepare: func(n *ops.Node) (ops.Kernel, error) {
		return func(in []*tensors.Tensor) ([]*tensors.Tensor, error) {
			var s []float32
			_ = s[len(in)+5] // index out of range
			return nil, nil
		}, nil
	}})
	ops.Register(ops.Op{Domain: d, Type: "Short", Since: []int{1}, Prepare: func(n *ops.Node) (ops.Kernel, error) {
		return func(in []*tensors.Tensor) ([]*tensors.Tensor, error) { return nil, nil }, nil
	}})
	ops.Register(ops.Op{Domain: d, Type: "Count", Since: []int{1}, Prepare: func(n *ops.Node) (ops.Kernel, error) {
		return func(in []*tensors.Tensor) ([]*tensors.Tensor, error) {
			countCalls.Add(1)
			return []*tensors.Tensor{tensors.Scalar[float32](1)}, nil
		}, nil
	}})
	ops.Register(ops.Op{Domain: d, Type: "Random", Since: []int{1}, Volatile: true, Prepare: func(n *ops.Node) (ops.Kernel, error) {
		return func(in []*tensors.Tensor) ([]*tensors.Tensor, error) {
			return []*tensors.Tensor{tensors.Scalar(float32(volatileCalls.Add(1)))}, nil
		}, nil
	}})
}

func testOpModel(op string, withInput bool) *onnxpb.ModelProto {
	mp := modelProto(13, &onnxpb.GraphProto{
		Node:   []*onnxpb.NodeProto{{OpType: op, Domain: "test.onnxkit", Name: "t", Output: []string{"y"}}},
		Output: []*onnxpb.ValueInfoProto{valueInfo("y", nil)},
	})
	if withInput {
		mp.Graph.Node[0].Input = []string{"x"}
		mp.Graph.Input = []*onnxpb.ValueInfoProto{valueInfo("x", tensorType(tensors.Float32, 1))}
	}
	mp.OpsetImport = append(mp.OpsetImport, &onnxpb.OperatorSetIdProto{Domain: "test.onnxkit", Version: 1})
	return mp
}

func TestKernelFailuresAreInternalErrors(t *testing.T) {
	x := map[string]*tensors.Tensor{"x": tensors.Vector[float32](1)}
	for _, op := range []string{"Panic", "Short"} {
		m, err := FromProto(op, testOpModel(op, true))
		if err != nil {
			t.Fatal(err)
		}
		_, err = m.RunTensors(x)
		if err == nil || !errors.Is(err, ErrInternal) || !strings.Contains(err.Error(), `node "t" (test.onnxkit.`+op+`)`) {
			t.Errorf("%s: %v", op, err)
		}
	}
	// The same failure at load time (all inputs constant) is reported, not
	// raised.
	if _, err := FromProto("panic", testOpModel("Panic", false)); err == nil || !errors.Is(err, ErrInternal) {
		t.Errorf("panic while folding: %v", err)
	}
}

func TestConstantFolding(t *testing.T) {
	before := countCalls.Load()
	m, err := FromProto("count", testOpModel("Count", false))
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3; i++ {
		if _, err := m.RunTensors(nil); err != nil {
			t.Fatal(err)
		}
	}
	if n := countCalls.Load() - before; n != 1 {
		t.Errorf("constant node ran %d times, want once (at load)", n)
	}
	m, err = FromProto("random", testOpModel("Random", false))
	if err != nil {
		t.Fatal(err)
	}
	a, _ := m.RunTensors(nil)
	b, _ := m.RunTensors(nil)
	if tensors.Data[float32](a["y"])[0] == tensors.Data[float32](b["y"])[0] {
		t.Error("volatile node was folded")
	}
}

// TestInitializerInputs covers initializers also listed as graph inputs
// (required before IR 4, as CNTK writes them): the initializer is the
// default and the caller may override it.
func TestInitializerInputs(t *testing.T) {
	mp := smallModel()
	mp.IrVersion = 3
	mp.Graph.Input = append(mp.Graph.Input, valueInfo("bias", tensorType(tensors.Float32, 2)))
	m, err := FromProto("ir3", mp)
	if err != nil {
		t.Fatal(err)
	}
	if in := m.Inputs(); len(in) != 2 || !in[1].HasDefault || in[0].HasDefault {
		t.Fatalf("Inputs = %+v", in)
	}
	x := mustTensor(t, []int{1, 4}, []float32{1, 2, 3, 4})
	out, err := m.RunTensors(map[string]*tensors.Tensor{"x": x})
	if err != nil || fmt.Sprint(tensors.Data[float32](out["y"])) != "[2 0 4 0]" {
		t.Fatalf("default bias: %v %v", out, err)
	}
	out, err = m.RunTensors(map[string]*tensors.Tensor{"x": x, "bias": tensors.Vector[float32](0, 0)})
	if err != nil || fmt.Sprint(tensors.Data[float32](out["y"])) != "[1 2 3 4]" {
		t.Fatalf("overridden bias: %v %v", out, err)
	}
	if _, err := m.RunTensors(map[string]*tensors.Tensor{"x": x, "bias": tensors.Vector[float32](0, 0, 0)}); err == nil || !strings.Contains(err.Error(), `input "bias"`) {
		t.Errorf("override with wrong shape: %v", err)
	}
	// The default is not folded into constants: Reshape keeps running.
	if out, err := m.RunTensors(map[string]*tensors.Tensor{"x": x}); err != nil || fmt.Sprint(tensors.Data[float32](out["y"])) != "[2 0 4 0]" {
		t.Errorf("default after override: %v %v", out, err)
	}
}
