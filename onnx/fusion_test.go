package onnx

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/onnxkit/onnxkit/onnx/onnxpb"
	"github.com/onnxkit/onnxkit/onnx/tensors"
	"google.golang.org/protobuf/proto"
)

// convReluModel is x[N,2,5,5] -> Conv(3 kernels 3×3, pads 1, bias) -> c
// -> Relu -> y, with extra graph outputs and nodes as given.
func convReluModel(t *testing.T, extraOut []string, extraNodes ...*onnxpb.NodeProto) *Model {
	t.Helper()
	r := rand.New(rand.NewPCG(7, 8))
	w := make([]float32, 3*2*3*3)
	for i := range w {
		w[i] = r.Float32()*2 - 1
	}
	g := &onnxpb.GraphProto{
		Name: "conv-relu",
		Node: append([]*onnxpb.NodeProto{
			nodeProto("Conv", "conv", []string{"x", "w", "b"}, []string{"c"},
				&onnxpb.AttributeProto{Name: "pads", Type: onnxpb.AttributeProto_INTS, Ints: []int64{1, 1, 1, 1}}),
			nodeProto("Relu", "relu", []string{"c"}, []string{"y"}),
		}, extraNodes...),
		Initializer: []*onnxpb.TensorProto{
			tensors.ToProto("w", mustTensor(t, []int{3, 2, 3, 3}, w)),
			tensors.ToProto("b", tensors.Vector[float32](0.5, -0.25, 0)),
		},
		Input:  []*onnxpb.ValueInfoProto{valueInfo("x", tensorType(tensors.Float32, "N", 2, 5, 5))},
		Output: []*onnxpb.ValueInfoProto{valueInfo("y", tensorType(tensors.Float32, "N", 3, 5, 5))},
	}
	for _, name := range extraOut {
		g.Output = append(g.Output, valueInfo(name, tensorType(tensors.Float32, "N", 3, 5, 5)))
	}
	b, err := proto.Marshal(modelProto(14, g))
	if err != nil {
		t.Fatal(err)
	}
	m, err := LoadBytes("conv-relu.onnx", b)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func convReluInput(t *testing.T, n int) map[string]*tensors.Tensor {
	r := rand.New(rand.NewPCG(9, 10))
	x := make([]float32, n*2*5*5)
	for i := range x {
		x[i] = r.Float32()*2 - 1
	}
	return map[string]*tensors.Tensor{"x": mustTensor(t, []int{n, 2, 5, 5}, x)}
}

// TestConvReluFused checks that a Conv whose output only a Relu reads runs
// as one fused step, with the output of the two separate steps, and that
// fetching the Conv's own output keeps the steps apart.
func TestConvReluFused(t *testing.T) {
	m := convReluModel(t, nil)
	if got := len(m.g.base.steps); got != 1 {
		t.Fatalf("plan has %d steps, want 1 (Conv and Relu fused)", got)
	}
	if d := m.g.steps[m.g.base.steps[0]].desc; !strings.Contains(d, "(Conv) with") {
		t.Errorf("fused step is %q", d)
	}
	for _, n := range []int{1, 3} {
		in := convReluInput(t, n)
		sep, err := m.RunTensors(in, "c", "y") // fetching c: two steps
		if err != nil {
			t.Fatal(err)
		}
		c, y := tensors.Data[float32](sep["c"]), tensors.Data[float32](sep["y"])
		negative := false
		for i, v := range c {
			negative = negative || v < 0
			if y[i] != max(v, 0) {
				t.Fatalf("batch %d: unfused y[%d] = %v, want relu(%v)", n, i, y[i], v)
			}
		}
		if !negative {
			t.Fatalf("batch %d: fetched Conv output has no negative value: fused by mistake?", n)
		}
		s := m.NewSession()
		for range 2 { // a fresh and a recycled run
			out, err := s.Run(in)
			if err != nil {
				t.Fatal(err)
			}
			for i, v := range tensors.Data[float32](out["y"]) {
				if v != y[i] {
					t.Fatalf("batch %d: fused y[%d] = %v, want %v", n, i, v, y[i])
				}
			}
		}
	}
}

// TestConvReluNotFused lists graphs where the Conv's output is needed as
// it is, so the steps must stay apart.
func TestConvReluNotFused(t *testing.T) {
	for name, m := range map[string]*Model{
		"conv output is a graph output": convReluModel(t, []string{"c"}),
		"conv output read twice": convReluModel(t, []string{"z"},
			nodeProto("Neg", "neg", []string{"c"}, []string{"z"})),
	} {
		if got := len(m.g.base.steps); got < 2 {
			t.Errorf("%s: plan has %d steps", name, got)
		}
		for _, si := range m.g.base.steps {
			if strings.Contains(m.g.steps[si].desc, " with ") {
				t.Errorf("%s: plan runs fused step %s", name, m.g.steps[si].desc)
			}
		}
		out, err := m.RunTensors(convReluInput(t, 2), "c", "y")
		if err != nil {
			t.Fatal(err)
		}
		c, y := tensors.Data[float32](out["c"]), tensors.Data[float32](out["y"])
		for i, v := range c {
			if y[i] != max(v, 0) {
				t.Fatalf("%s: y[%d] = %v, want relu(%v)", name, i, y[i], v)
			}
		}
	}
}

// convAddReluModel is x[N,2,5,5] -> Conv(3 kernels 3×3, pads 1, no bias)
// -> c -> Add(c, k) or Add(k, c) -> a -> Relu -> y, k a constant of the
// given shape.
func convAddReluModel(t *testing.T, kShape []int, constFirst bool, kInput ...bool) *Model {
	t.Helper()
	r := rand.New(rand.NewPCG(3, 4))
	w := make([]float32, 3*2*3*3)
	for i := range w {
		w[i] = r.Float32()*2 - 1
	}
	n := 1
	for _, d := range kShape {
		n *= d
	}
	k := make([]float32, n)
	for i := range k {
		k[i] = r.Float32() - 0.5
	}
	addIn := []string{"c", "k"}
	if constFirst {
		addIn = []string{"k", "c"}
	}
	g := &onnxpb.GraphProto{
		Name: "conv-add-relu",
		Node: []*onnxpb.NodeProto{
			nodeProto("Conv", "conv", []string{"x", "w"}, []string{"c"},
				&onnxpb.AttributeProto{Name: "pads", Type: onnxpb.AttributeProto_INTS, Ints: []int64{1, 1, 1, 1}}),
			nodeProto("Add", "add", addIn, []string{"a"}),
			nodeProto("Relu", "relu", []string{"a"}, []string{"y"}),
		},
		Initializer: []*onnxpb.TensorProto{
			tensors.ToProto("w", mustTensor(t, []int{3, 2, 3, 3}, w)),
			tensors.ToProto("k", mustTensor(t, kShape, k)),
		},
		Input:  []*onnxpb.ValueInfoProto{valueInfo("x", tensorType(tensors.Float32, "N", 2, 5, 5))},
		Output: []*onnxpb.ValueInfoProto{valueInfo("y", tensorType(tensors.Float32, "N", 3, 5, 5))},
	}
	if len(kInput) > 0 && kInput[0] { // k is an overridable input with a default
		dims := make([]any, len(kShape))
		for i, d := range kShape {
			dims[i] = d
		}
		g.Input = append(g.Input, valueInfo("k", tensorType(tensors.Float32, dims...)))
	}
	b, err := proto.Marshal(modelProto(14, g))
	if err != nil {
		t.Fatal(err)
	}
	m, err := LoadBytes("conv-add-relu.onnx", b)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestConvAddReluFused checks that an Add of a per-channel constant after
// a Conv without bias becomes its bias, fused with the Relu after it, and
// that other Adds stay apart from the Conv (fused with the Relu alone);
// the outputs always match the separate steps'.
func TestConvAddReluFused(t *testing.T) {
	for _, tc := range []struct {
		kShape     []int
		constFirst bool
		steps      int
	}{
		{[]int{3, 1, 1}, false, 1},
		{[]int{1, 3, 1, 1}, true, 1},
		{[]int{5}, false, 2},       // along the width: not a bias
		{[]int{1, 1, 1}, false, 2}, // one value for all channels
		{[]int{3, 5, 5}, false, 2}, // one value per output element
	} {
		m := convAddReluModel(t, tc.kShape, tc.constFirst)
		if got := len(m.g.base.steps); got != tc.steps {
			t.Errorf("constant %v: plan has %d steps, want %d", tc.kShape, got, tc.steps)
		}
		in := convReluInput(t, 2)
		sep, err := m.RunTensors(in, "c", "a", "y") // all values: no fusion
		if err != nil {
			t.Fatal(err)
		}
		want := tensors.Data[float32](sep["y"])
		for i, v := range tensors.Data[float32](sep["a"]) {
			if want[i] != max(v, 0) {
				t.Fatalf("constant %v: unfused y[%d] = %v, want relu(%v)", tc.kShape, i, want[i], v)
			}
		}
		out, err := m.NewSession().Run(in)
		if err != nil {
			t.Fatal(err)
		}
		for i, v := range tensors.Data[float32](out["y"]) {
			if d := v - want[i]; d > 1e-6 || d < -1e-6 {
				t.Fatalf("constant %v: y[%d] = %v, want %v", tc.kShape, i, v, want[i])
			}
		}
	}
}

// TestConvAddReluOverriddenBias checks the fusion of an Add whose constant
// is an overridable input's default (as in IR version 3 models): runs
// that use the default take the fused step, runs that override it get the
// sum with their value.
func TestConvAddReluOverriddenBias(t *testing.T) {
	m := convAddReluModel(t, []int{3, 1, 1}, false, true)
	if got := len(m.g.base.steps); got != 1 {
		t.Fatalf("plan has %d steps, want 1", got)
	}
	in := convReluInput(t, 2)
	k := mustTensor(t, []int{3, 1, 1}, []float32{1, -1, 0.25})
	over := map[string]*tensors.Tensor{"x": in["x"], "k": k}
	for name, feeds := range map[string]map[string]*tensors.Tensor{"default": in, "override": over} {
		sep, err := m.RunTensors(feeds, "a", "y") // no fusion
		if err != nil {
			t.Fatal(err)
		}
		want := tensors.Data[float32](sep["y"])
		s := m.NewSession()
		for _, run := range []func() (map[string]*tensors.Tensor, error){
			func() (map[string]*tensors.Tensor, error) { return m.RunTensors(feeds) },
			func() (map[string]*tensors.Tensor, error) { return s.Run(feeds) },
		} {
			out, err := run()
			if err != nil {
				t.Fatal(err)
			}
			for i, v := range tensors.Data[float32](out["y"]) {
				if d := v - want[i]; d > 1e-6 || d < -1e-6 {
					t.Fatalf("%s: y[%d] = %v, want %v", name, i, v, want[i])
				}
			}
		}
	}
}

// TestConvResidualFused checks the fusion of a Conv with the Add (or Sum)
// of a value computed before it and the Relu after that (a ResNet's skip
// connection): one step in place of three, bit for bit the separate
// steps, for a 1×1 convolution (the tile epilogue) and a 3×3 one (added
// after), a skip value that is a graph input or another node's output,
// and a broadcast one (Add's rules). A skip value computed after the
// convolution (in node order) is not fused.
func TestConvResidualFused(t *testing.T) {
	r := rand.New(rand.NewPCG(51, 52))
	for _, tc := range []struct {
		name   string
		k      int
		op     string
		zShape []int
		after  bool // z computed by a node after the Conv
		fuses  bool
	}{
		{"1x1-add", 1, "Add", []int{1, 40, 9, 9}, false, true},
		{"1x1-sum", 1, "Sum", []int{1, 40, 9, 9}, false, true},
		{"3x3-add", 3, "Add", []int{1, 40, 9, 9}, false, true},
		{"1x1-broadcast", 1, "Add", []int{40, 1, 1}, false, true},
		{"1x1-after", 1, "Add", []int{1, 40, 9, 9}, true, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := make([]float32, 40*48*tc.k*tc.k)
			for i := range w {
				w[i] = r.Float32()*0.2 - 0.1
			}
			pad := int64(tc.k / 2)
			conv := nodeProto("Conv", "conv", []string{"x", "w", "b"}, []string{"c"},
				&onnxpb.AttributeProto{Name: "pads", Type: onnxpb.AttributeProto_INTS, Ints: []int64{pad, pad, pad, pad}})
			zNode := nodeProto("Neg", "skip", []string{"z0"}, []string{"z"})
			nodes := []*onnxpb.NodeProto{zNode, conv}
			if tc.after {
				nodes = []*onnxpb.NodeProto{conv, zNode}
			}
			nodes = append(nodes,
				nodeProto(tc.op, "res", []string{"c", "z"}, []string{"s"}),
				nodeProto("Relu", "relu", []string{"s"}, []string{"y"}))
			bias := make([]float32, 40)
			for i := range bias {
				bias[i] = r.Float32() - 0.5
			}
			g := &onnxpb.GraphProto{
				Name: tc.name,
				Node: nodes,
				Initializer: []*onnxpb.TensorProto{
					tensors.ToProto("w", mustTensor(t, []int{40, 48, tc.k, tc.k}, w)),
					tensors.ToProto("b", mustTensor(t, []int{40}, bias)),
				},
				Input: []*onnxpb.ValueInfoProto{
					valueInfo("x", tensorType(tensors.Float32, 1, 48, 9, 9)),
					valueInfo("z0", tensorType(tensors.Float32, anyDims(tc.zShape)...)),
				},
				Output: []*onnxpb.ValueInfoProto{valueInfo("y", tensorType(tensors.Float32, 1, 40, 9, 9))},
			}
			m := loadGraph(t, tc.name+".onnx", 14, g)
			fused := 0
			for _, si := range m.g.base.steps {
				if m.g.steps[si].fusedOps == "Conv+"+tc.op+"+Relu" {
					fused++
				}
			}
			if tc.fuses != (fused == 1) {
				t.Fatalf("%d Conv+%s+Relu steps in the plan; want fused %v", fused, tc.op, tc.fuses)
			}
			zSize, _ := tensors.NumElements(tc.zShape)
			in := map[string]*tensors.Tensor{
				"x":  mustTensor(t, []int{1, 48, 9, 9}, randFloats(r, 48*81)),
				"z0": mustTensor(t, tc.zShape, randFloats(r, zSize)),
			}
			tensors.Data[float32](in["z0"])[2] = float32(math.NaN())
			sep, err := m.RunTensors(in, "c", "s", "y")
			if err != nil {
				t.Fatal(err)
			}
			want := tensors.Data[float32](sep["y"])
			s := m.NewSession()
			for range 2 {
				out, err := s.Run(in)
				if err != nil {
					t.Fatal(err)
				}
				got := tensors.Data[float32](out["y"])
				zeros := 0
				for i := range want {
					if math.Float32bits(got[i]) != math.Float32bits(want[i]) && !(got[i] != got[i] && want[i] != want[i]) {
						t.Fatalf("y[%d] = %g fused, %g separate", i, got[i], want[i])
					}
					if want[i] == 0 {
						zeros++
					}
				}
				if zeros == 0 || zeros == len(want) {
					t.Fatalf("%d of %d outputs zero: the test does not exercise the Relu", zeros, len(want))
				}
			}
		})
	}
}
