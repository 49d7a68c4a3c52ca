package onnx

import (
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"
	"gorgonia.org/tensor"

	"github.com/onnxkit/onnxkit/internal/ort"
	"github.com/onnxkit/onnxkit/internal/peer"
	"github.com/onnxkit/onnxkit/onnx/onnxpb"
	"github.com/onnxkit/onnxkit/onnx/tensors"
)

// linearCase is a model of a Gemm or MatMul followed by other nodes, the
// value the Gemm or MatMul computes ("p"), the model's output "y" and its
// definition computed in float64 from x.
type linearCase struct {
	name  string
	fuses bool // whether the plan runs one fused step
	xDims []any
	xLen  func(n int) []int
	nodes []*onnxpb.NodeProto
	inits []*onnxpb.TensorProto
	yDims []any
	want  func(x *tensors.Tensor) []float64
}

func randFloats(r *rand.Rand, n int) []float32 {
	v := make([]float32, n)
	for i := range v {
		v[i] = r.Float32()*2 - 1
	}
	return v
}

// linearCases are Gemm+Relu and MatMul+Add(+Relu) models, fused and not.
func linearCases(t *testing.T) []linearCase {
	r := rand.New(rand.NewPCG(5, 6))
	w := randFloats(r, 4*6) // Gemm B transposed (4×6), MatMul B (6×4)
	c := randFloats(r, 4)
	rows := randFloats(r, 3)
	wT := mustTensor(t, []int{4, 6}, w)
	wM := mustTensor(t, []int{6, 4}, w)
	relu := func(v float64) float64 { return max(v, 0) }
	id := func(v float64) float64 { return v }
	// product computes act(x·W + bias(i, j)) with x [..., 6] and W 6×4
	// (transposed when tr).
	product := func(tr bool, bias func(row, j int) float64, act func(float64) float64) func(x *tensors.Tensor) []float64 {
		return func(x *tensors.Tensor) []float64 {
			xd := tensors.Data[float32](x)
			m := len(xd) / 6
			out := make([]float64, m*4)
			for i := range m {
				for j := range 4 {
					s := bias(i, j)
					for k := range 6 {
						wv := w[k*4+j]
						if tr {
							wv = w[j*6+k]
						}
						s += float64(xd[i*6+k]) * float64(wv)
					}
					out[i*4+j] = act(s)
				}
			}
			return out
		}
	}
	vec := func(i, j int) float64 { return float64(c[j]) }
	none := func(i, j int) float64 { return 0 }
	perRow := func(i, j int) float64 { return float64(rows[i%3]) }
	transB := &onnxpb.AttributeProto{Name: "transB", Type: onnxpb.AttributeProto_INT, I: proto.Int64(1)}
	gemmX := func(n int) []int { return []int{n, 6} }
	mmX := func(n int) []int { return []int{n, 3, 6} }
	return []linearCase{
		{"gemm-relu", true, []any{"N", 6}, gemmX,
			[]*onnxpb.NodeProto{nodeProto("Gemm", "gemm", []string{"x", "w", "c"}, []string{"p"}, transB), nodeProto("Relu", "relu", []string{"p"}, []string{"y"})},
			[]*onnxpb.TensorProto{tensors.ToProto("w", wT), tensors.ToProto("c", tensors.Vector(c...))},
			[]any{"N", 4}, product(true, vec, relu)},
		{"gemm-relu-no-c", true, []any{"N", 6}, gemmX,
			[]*onnxpb.NodeProto{nodeProto("Gemm", "gemm", []string{"x", "w"}, []string{"p"}, transB), nodeProto("Relu", "relu", []string{"p"}, []string{"y"})},
			[]*onnxpb.TensorProto{tensors.ToProto("w", wT)},
			[]any{"N", 4}, product(true, none, relu)},
		{"matmul-add", true, []any{"N", 3, 6}, mmX,
			[]*onnxpb.NodeProto{nodeProto("MatMul", "mm", []string{"x", "w"}, []string{"p"}), nodeProto("Add", "add", []string{"p", "c"}, []string{"y"})},
			[]*onnxpb.TensorProto{tensors.ToProto("w", wM), tensors.ToProto("c", tensors.Vector(c...))},
			[]any{"N", 3, 4}, product(false, vec, id)},
		{"matmul-add-relu-bias-first", true, []any{"N", 3, 6}, mmX,
			[]*onnxpb.NodeProto{
				nodeProto("MatMul", "mm", []string{"x", "w"}, []string{"p"}),
				nodeProto("Add", "add", []string{"c", "p"}, []string{"a"}),
				nodeProto("Relu", "relu", []string{"a"}, []string{"y"}),
			},
			[]*onnxpb.TensorProto{tensors.ToProto("w", wM), tensors.ToProto("c", mustTensor(t, []int{1, 1, 4}, c))},
			[]any{"N", 3, 4}, product(false, vec, relu)},
		{"matmul-add-per-row", false, []any{"N", 3, 6}, mmX, // a [3,1] constant is no last-axis bias
			[]*onnxpb.NodeProto{nodeProto("MatMul", "mm", []string{"x", "w"}, []string{"p"}), nodeProto("Add", "add", []string{"p", "c"}, []string{"y"})},
			[]*onnxpb.TensorProto{tensors.ToProto("w", wM), tensors.ToProto("c", mustTensor(t, []int{3, 1}, rows))},
			[]any{"N", 3, 4}, product(false, perRow, id)},
		{"matmul-add-read-twice", false, []any{"N", 3, 6}, mmX,
			[]*onnxpb.NodeProto{
				nodeProto("MatMul", "mm", []string{"x", "w"}, []string{"p"}),
				nodeProto("Add", "add", []string{"p", "c"}, []string{"a"}),
				nodeProto("Add", "add2", []string{"a", "p"}, []string{"s"}),
				nodeProto("Sub", "sub", []string{"s", "p"}, []string{"y"}),
			},
			[]*onnxpb.TensorProto{tensors.ToProto("w", wM), tensors.ToProto("c", tensors.Vector(c...))},
			[]any{"N", 3, 4}, product(false, vec, id)},
	}
}

func (c linearCase) proto(t *testing.T) []byte {
	t.Helper()
	g := &onnxpb.GraphProto{
		Name:        c.name,
		Node:        c.nodes,
		Initializer: c.inits,
		Input:       []*onnxpb.ValueInfoProto{valueInfo("x", tensorType(tensors.Float32, c.xDims...))},
		Output:      []*onnxpb.ValueInfoProto{valueInfo("y", tensorType(tensors.Float32, c.yDims...))},
	}
	b, err := proto.Marshal(modelProto(13, g))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func (c linearCase) input(t *testing.T, n int) *tensors.Tensor {
	shape := c.xLen(n)
	size, _ := tensors.NumElements(shape)
	return mustTensor(t, shape, randFloats(rand.New(rand.NewPCG(uint64(n), 9)), size))
}

// TestGemmMatMulFused checks the Gemm+Relu and MatMul+Add(+Relu) fusions:
// the plan runs one step where the pattern is there (and none where it is
// not), the fused run gives exactly the outputs of the separate steps
// (forced by fetching the product p) and both match the definition.
func TestGemmMatMulFused(t *testing.T) {
	for _, c := range linearCases(t) {
		t.Run(c.name, func(t *testing.T) {
			m, err := LoadBytes(c.name+".onnx", c.proto(t))
			if err != nil {
				t.Fatal(err)
			}
			fused := 0
			for _, si := range m.g.base.steps {
				if strings.Contains(m.g.steps[si].desc, " with ") {
					fused++
				}
			}
			if c.fuses && (fused != 1 || len(m.g.base.steps) != 1) {
				t.Fatalf("plan has %d steps, %d fused; want one fused step", len(m.g.base.steps), fused)
			}
			if !c.fuses && fused != 0 {
				t.Fatalf("plan runs %d fused steps, want none", fused)
			}
			for _, n := range []int{1, 5} {
				x := c.input(t, n)
				in := map[string]*tensors.Tensor{"x": x}
				sep, err := m.RunTensors(in, "p", "y")
				if err != nil {
					t.Fatal(err)
				}
				want := tensors.Data[float32](sep["y"])
				def := c.want(x)
				s := m.NewSession()
				negative := false
				for _, v := range tensors.Data[float32](sep["p"]) {
					negative = negative || v < 0
				}
				if !negative {
					t.Fatalf("batch %d: product has no negative value: Relu untested", n)
				}
				for range 2 { // a fresh and a recycled run
					out, err := s.Run(in)
					if err != nil {
						t.Fatal(err)
					}
					got := tensors.Data[float32](out["y"])
					if len(got) != len(def) || len(want) != len(def) {
						t.Fatalf("batch %d: %d fused and %d separate values, want %d", n, len(got), len(want), len(def))
					}
					for i := range def {
						if got[i] != want[i] || math.Abs(float64(want[i])-def[i]) > 1e-5 {
							t.Fatalf("batch %d: y[%d] = %g fused, %g separate, %g by definition", n, i, got[i], want[i], def[i])
						}
					}
				}
			}
		})
	}
}

// TestGemmMatMulFusedMatchORT runs the fused models in onnxruntime too.
func TestGemmMatMulFusedMatchORT(t *testing.T) {
	_, err := ort.Version()
	peer.Require(t, err)
	dir := t.TempDir()
	for _, c := range linearCases(t) {
		t.Run(c.name, func(t *testing.T) {
			path := filepath.Join(dir, c.name+".onnx")
			if err := os.WriteFile(path, c.proto(t), 0o644); err != nil {
				t.Fatal(err)
			}
			m, err := Load(path)
			if err != nil {
				t.Fatal(err)
			}
			x := c.input(t, 4)
			xd, err := ToDense(x)
			if err != nil {
				t.Fatal(err)
			}
			ref, err := ort.Run(path, map[string]*tensor.Dense{"x": xd}, nil)
			if err != nil {
				t.Fatal(err)
			}
			want, err := FromDense(ref["y"])
			if err != nil {
				t.Fatal(err)
			}
			got, err := m.NewSession().Run(map[string]*tensors.Tensor{"x": x})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := compareTensors(got["y"], want, tolerance{rtol: 1e-5, atol: 1e-6}); err != nil {
				t.Errorf("onnxkit %v vs onnxruntime %v: %v", got["y"], want, err)
			}
		})
	}
}

// TestAddReluFused checks the fusion of a residual Add or Sum with the
// Relu after it: one step, bit for bit the separate steps (NaN and -0
// included), for operands of one shape (the AddRelu kernel, split across
// the workers), a per-channel broadcast (the Relu after the sum) and a
// Sum of three (folded, then the Relu); an integer Add is not fused.
func TestAddReluFused(t *testing.T) {
	for _, tc := range []struct {
		name   string
		op     string
		in     []string
		zShape []int
		dt     tensors.DType
		fuses  bool
	}{
		{"add", "Add", []string{"x", "z"}, []int{2, 3, 40, 40}, tensors.Float32, true},
		{"sum", "Sum", []string{"z", "x"}, []int{2, 3, 40, 40}, tensors.Float32, true},
		{"add-channel", "Add", []string{"x", "z"}, []int{3, 1, 1}, tensors.Float32, true},
		{"sum3", "Sum", []string{"x", "z", "x"}, []int{2, 3, 40, 40}, tensors.Float32, true},
		{"add-int", "Add", []string{"x", "z"}, []int{2, 3, 40, 40}, tensors.Int32, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := &onnxpb.GraphProto{
				Name: tc.name,
				Node: []*onnxpb.NodeProto{
					nodeProto(tc.op, "res", tc.in, []string{"s"}),
					nodeProto("Relu", "relu", []string{"s"}, []string{"y"}),
				},
				Input: []*onnxpb.ValueInfoProto{
					valueInfo("x", tensorType(tc.dt, 2, 3, 40, 40)),
					valueInfo("z", tensorType(tc.dt, anyDims(tc.zShape)...)),
				},
				Output: []*onnxpb.ValueInfoProto{valueInfo("y", tensorType(tc.dt, 2, 3, 40, 40))},
			}
			m := loadGraph(t, tc.name+".onnx", 14, g)
			if got := len(m.g.base.steps); tc.fuses != (got == 1) {
				t.Fatalf("plan has %d steps; fused: want %v", got, tc.fuses)
			}
			r := rand.New(rand.NewPCG(3, 4))
			in := map[string]*tensors.Tensor{}
			for _, v := range []struct {
				name  string
				shape []int
			}{{"x", []int{2, 3, 40, 40}}, {"z", tc.zShape}} {
				size, _ := tensors.NumElements(v.shape)
				f := randFloats(r, size)
				if tc.dt == tensors.Int32 {
					is := make([]int32, size)
					for i, x := range f {
						is[i] = int32(x * 10)
					}
					in[v.name] = mustTensor(t, v.shape, is)
					continue
				}
				if v.name == "x" {
					f[5], f[6] = float32(math.NaN()), float32(math.Copysign(0, -1))
				}
				in[v.name] = mustTensor(t, v.shape, f)
			}
			if tc.dt == tensors.Float32 && len(tc.zShape) == 4 {
				tensors.Data[float32](in["z"])[6] = float32(math.Copysign(0, -1)) // -0 + -0 = -0: kept by the Relu
			}
			sep, err := m.RunTensors(in, "s", "y")
			if err != nil {
				t.Fatal(err)
			}
			s := m.NewSession()
			for range 2 {
				out, err := s.Run(in)
				if err != nil {
					t.Fatal(err)
				}
				if tc.dt == tensors.Int32 {
					if !slices.Equal(tensors.Data[int32](out["y"]), tensors.Data[int32](sep["y"])) {
						t.Fatal("int32 outputs differ")
					}
					continue
				}
				got, want := tensors.Data[float32](out["y"]), tensors.Data[float32](sep["y"])
				zeros := 0
				for i := range want {
					if math.Float32bits(got[i]) != math.Float32bits(want[i]) && !(got[i] != got[i] && want[i] != want[i]) {
						t.Fatalf("y[%d] = %g fused, %g separate", i, got[i], want[i])
					}
					if want[i] == 0 {
						zeros++
					}
				}
				if zeros == 0 || !math.IsNaN(float64(got[5])) {
					t.Fatalf("%d zeros, y[5] = %g: the test does not exercise the Relu and NaN", zeros, got[5])
				}
			}
		})
	}
}
