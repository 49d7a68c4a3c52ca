package ops

import (
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/onnxkit/onnxkit/onnx/onnxpb"
	"github.com/onnxkit/onnxkit/onnx/tensors"
)

// nnRefGemm computes alpha·op(A)·op(B) + beta·C from the definition, C
// broadcast numpy-style (nil: no C).
func nnRefGemm(a, b, c *tensors.Tensor, alpha, beta float64, transA, transB bool) ([]int, []float64) {
	ad, bd := tensors.Data[float64](a), tensors.Data[float64](b)
	as, bs := a.Shape(), b.Shape()
	m, k := as[0], as[1]
	if transA {
		m, k = k, m
	}
	n := bs[1]
	if transB {
		n = bs[0]
	}
	y := make([]float64, m*n)
	for i := 0; i < m; i++ {
		for j := 0; j < n; j++ {
			var s float64
			for p := 0; p < k; p++ {
				av, bv := ad[i*as[1]+p], bd[p*bs[1]+j]
				if transA {
					av = ad[p*as[1]+i]
				}
				if transB {
					bv = bd[j*bs[1]+p]
				}
				s += av * bv
			}
			y[i*n+j] = alpha * s
			if c != nil {
				cs := c.Shape()
				ci := 0
				switch len(cs) {
				case 1:
					if cs[0] != 1 {
						ci = j
					}
				case 2:
					if cs[0] != 1 {
						ci += i * cs[1]
					}
					if cs[1] != 1 {
						ci += j
					}
				}
				y[i*n+j] += beta * tensors.Data[float64](c)[ci]
			}
		}
	}
	return []int{m, n}, y
}

func TestGemmMatchesDefinition(t *testing.T) {
	const m, k, n = 3, 4, 5
	cShapes := [][]int{nil, {}, {1}, {n}, {1, n}, {m, 1}, {m, n}, {1, 1}}
	seed := int64(0)
	for _, transA := range []bool{false, true} {
		for _, transB := range []bool{false, true} {
			for _, cs := range cShapes {
				seed++
				ash, bsh := []int{m, k}, []int{k, n}
				if transA {
					ash = []int{k, m}
				}
				if transB {
					bsh = []int{n, k}
				}
				a, b := nnRand(seed, ash...), nnRand(seed+100, bsh...)
				var c *tensors.Tensor
				in, args := []string{"a", "b"}, []*tensors.Tensor{a, b}
				if cs != nil {
					c = nnRand(seed+200, cs...)
					in, args = append(in, "c"), append(args, c)
				}
				cBefore := []float64(nil)
				if c != nil {
					cBefore = append(cBefore, tensors.Data[float64](c)...)
				}
				attrs := []*onnxpb.AttributeProto{nnFloat("alpha", 0.5), nnFloat("beta", 2)}
				if transA {
					attrs = append(attrs, nnInt("transA", 1))
				}
				if transB {
					attrs = append(attrs, nnInt("transB", 1))
				}
				name := "Gemm transA=" + boolStr(transA) + " transB=" + boolStr(transB) + " C" + tensors.FormatShape(cs)
				wantShape, want := nnRefGemm(a, b, c, 0.5, 2, transA, transB)
				opsets := []int{11, 13}
				if c != nil {
					opsets = append(opsets, 7, 9)
				}
				for _, opset := range opsets {
					out, err := runNode(t, node("Gemm", in, []string{"y"}, attrs...), opset, args...)
					if err != nil {
						t.Errorf("%s (opset %d): %v", name, opset, err)
						continue
					}
					nnClose(t, name, out[0], wantShape, want, 1e-12)
				}
				f32 := make([]*tensors.Tensor, len(args))
				for i, x := range args {
					f32[i] = nnTo32(x)
				}
				out, err := runNode(t, node("Gemm", in, []string{"y"}, attrs...), 13, f32...)
				if err != nil {
					t.Errorf("%s float32: %v", name, err)
				} else {
					nnClose(t, name+" float32", out[0], wantShape, want, 1e-5)
				}
				if c != nil {
					for i, v := range tensors.Data[float64](c) {
						if v != cBefore[i] {
							t.Fatalf("%s wrote into C", name)
						}
					}
				}
			}
		}
	}
}

func boolStr(b bool) string {
	if b {
		return "1"
	}
	return "0"
}

// Gemm must never write its result into C: with a batch of 1, C (1×N) has
// the output's shape, and an implementation that reuses it accumulates
// from one run to the next.
func TestGemmRepeatableWhenCHasOutputShape(t *testing.T) {
	a := must(tensors.New([]int{1, 2}, []float32{1, 2}))
	b := must(tensors.New([]int{2, 3}, []float32{1, 0, 1, 0, 1, 1}))
	c := must(tensors.New([]int{1, 3}, []float32{10, 20, 30}))
	comp, err := Compile(node("Gemm", []string{"a", "b", "c"}, []string{"y"}), Env{Opset: 13})
	if err != nil {
		t.Fatal(err)
	}
	for run := 0; run < 3; run++ {
		out, err := comp.Kernel([]*tensors.Tensor{a, b, c})
		if err != nil {
			t.Fatal(err)
		}
		nnClose(t, "Gemm run", out[0], []int{1, 3}, []float64{11, 22, 33}, 0)
		if out[0] == c || &tensors.Data[float32](out[0])[0] == &tensors.Data[float32](c)[0] {
			t.Fatal("Gemm returned C's storage")
		}
		nnClose(t, "C after Gemm", c, []int{1, 3}, []float64{10, 20, 30}, 0)
	}
}

func TestGemmVersionsAndErrors(t *testing.T) {
	a, b := nnRand(1, 2, 3), nnRand(2, 3, 4)
	vec := nnRand(3, 4)
	// Versions 1 and 6 broadcast C only with broadcast=1.
	if _, err := runNode(t, node("Gemm", []string{"a", "b", "c"}, []string{"y"}), 6, a, b, vec); err == nil {
		t.Error("Gemm-6 broadcast C without broadcast=1")
	}
	out, err := runNode(t, node("Gemm", []string{"a", "b", "c"}, []string{"y"}, nnInt("broadcast", 1)), 6, a, b, vec)
	if err != nil {
		t.Fatalf("Gemm-6 broadcast=1: %v", err)
	}
	shape, want := nnRefGemm(a, b, vec, 1, 1, false, false)
	nnClose(t, "Gemm-6 broadcast", out[0], shape, want, 1e-12)
	// C is required before version 11.
	if _, err := Compile(node("Gemm", []string{"a", "b"}, []string{"y"}), Env{Opset: 9}); err == nil {
		t.Error("Gemm-9 without C accepted")
	}
	// beta = 0 ignores C, even NaN.
	nan := must(tensors.New([]int{1}, []float64{math.NaN()}))
	out, err = runNode(t, node("Gemm", []string{"a", "b", "c"}, []string{"y"}, nnFloat("beta", 0)), 13, a, b, nan)
	if err != nil {
		t.Fatal(err)
	}
	shape, want = nnRefGemm(a, b, nil, 1, 0, false, false)
	nnClose(t, "Gemm beta=0", out[0], shape, want, 1e-12)

	cases := []struct {
		name    string
		a, b, c *tensors.Tensor
		want    string
		uns     bool
	}{
		{"inner mismatch", a, nnRand(2, 4, 4), nil, "inner dimensions", false},
		{"A not a matrix", nnRand(1, 2, 3, 1), b, nil, "matrices", false},
		{"C not broadcastable", a, b, nnRand(3, 3, 4), "broadcast", false},
		{"C of higher rank", a, b, nnRand(3, 1, 2, 4), "broadcast", false},
		{"mixed types", a, nnTo32(b), nil, "element type", false},
		{"integers", must(tensors.New([]int{1, 1}, []int32{1})), must(tensors.New([]int{1, 1}, []int32{1})), nil, "int32", true},
	}
	for _, c := range cases {
		in, args := []string{"a", "b"}, []*tensors.Tensor{c.a, c.b}
		if c.c != nil {
			in, args = append(in, "c"), append(args, c.c)
		}
		_, err := runNode(t, node("Gemm", in, []string{"y"}), 13, args...)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Gemm %s: %v, want an error mentioning %q", c.name, err, c.want)
		} else if errors.Is(err, tensors.ErrUnsupported) != c.uns {
			t.Errorf("Gemm %s: ErrUnsupported = %v, want %v", c.name, !c.uns, c.uns)
		}
	}
}

// nnRefMatMul computes numpy.matmul from its definition.
func nnRefMatMul(a, b *tensors.Tensor) ([]int, []float64) {
	as, bs := append([]int{}, a.Shape()...), append([]int{}, b.Shape()...)
	ad, _ := tensors.AsFloat64s(a)
	bd, _ := tensors.AsFloat64s(b)
	dropM, dropN := len(as) == 1, len(bs) == 1
	if dropM {
		as = []int{1, as[0]}
	}
	if dropN {
		bs = []int{bs[0], 1}
	}
	m, k, n := as[len(as)-2], as[len(as)-1], bs[len(bs)-1]
	ba, bb := as[:len(as)-2], bs[:len(bs)-2]
	rank := max(len(ba), len(bb))
	batch := make([]int, rank)
	dimOf := func(s []int, i int) int { // size of s along output batch axis i (1 if missing)
		if j := i - (rank - len(s)); j >= 0 {
			return s[j]
		}
		return 1
	}
	for i := range batch {
		batch[i] = dimOf(ba, i)
		if batch[i] == 1 {
			batch[i] = dimOf(bb, i)
		}
	}
	nb, _ := tensors.NumElements(batch)
	y := make([]float64, nb*m*n)
	idx := make([]int, rank)
	flat := func(s []int) int { // flat batch index of s at idx, broadcasting
		f := 0
		for i := rank - len(s); i < rank; i++ {
			d := s[i-(rank-len(s))]
			v := idx[i]
			if d == 1 {
				v = 0
			}
			f = f*d + v
		}
		return f
	}
	for o := 0; o < nb; o++ {
		nnUnravel(o, batch, idx)
		fa, fb := flat(ba), flat(bb)
		for i := 0; i < m; i++ {
			for j := 0; j < n; j++ {
				var s float64
				for p := 0; p < k; p++ {
					s += ad[fa*m*k+i*k+p] * bd[fb*k*n+p*n+j]
				}
				y[o*m*n+i*n+j] = s
			}
		}
	}
	shape := append([]int{}, batch...)
	if !dropM {
		shape = append(shape, m)
	}
	if !dropN {
		shape = append(shape, n)
	}
	return shape, y
}

func TestMatMulMatchesDefinition(t *testing.T) {
	cases := []struct {
		a, b []int
		want []int
	}{
		{[]int{3, 4}, []int{4, 5}, []int{3, 5}},
		{[]int{2, 1, 3, 4}, []int{5, 4, 2}, []int{2, 5, 3, 2}},
		{[]int{1, 3, 4}, []int{2, 4, 2}, []int{2, 3, 2}},
		{[]int{2, 3, 4}, []int{4, 2}, []int{2, 3, 2}},
		{[]int{2, 3, 4}, []int{1, 1, 4, 2}, []int{1, 2, 3, 2}},
		{[]int{3, 4}, []int{2, 4, 5}, []int{2, 3, 5}},
		{[]int{4}, []int{4, 5}, []int{5}},
		{[]int{4}, []int{2, 4, 5}, []int{2, 5}},
		{[]int{2, 3, 4}, []int{4}, []int{2, 3}},
		{[]int{4}, []int{4}, []int{}},
		{[]int{0, 3, 4}, []int{4, 5}, []int{0, 3, 5}},
		{[]int{3, 0}, []int{0, 2}, []int{3, 2}},
		{[]int{2, 3, 4}, []int{2, 4, 0}, []int{2, 3, 0}},
	}
	for i, c := range cases {
		a, b := nnRand(int64(i), c.a...), nnRand(int64(50+i), c.b...)
		shape, want := nnRefMatMul(a, b)
		if !tensors.SameShape(shape, c.want) {
			t.Fatalf("reference shape %v for %v x %v, want %v", shape, c.a, c.b, c.want)
		}
		name := "MatMul " + tensors.FormatShape(c.a) + "x" + tensors.FormatShape(c.b)
		for _, opset := range []int{1, 9, 13} {
			out, err := runNode(t, node("MatMul", []string{"a", "b"}, []string{"y"}), opset, a, b)
			if err != nil {
				t.Errorf("%s: %v", name, err)
				continue
			}
			nnClose(t, name, out[0], c.want, want, 1e-12)
		}
		out, err := runNode(t, node("MatMul", []string{"a", "b"}, []string{"y"}), 13, nnTo32(a), nnTo32(b))
		if err != nil {
			t.Errorf("%s float32: %v", name, err)
			continue
		}
		nnClose(t, name+" float32", out[0], c.want, want, 1e-5)
	}
}

func TestMatMulIntegersAndErrors(t *testing.T) {
	a := must(tensors.New([]int{2, 2, 3}, []int64{1, 2, 3, 4, 5, 6, -1, -2, -3, 7, 8, 9}))
	b := must(tensors.New([]int{3, 1}, []int64{1, 10, 100}))
	out, err := runNode(t, node("MatMul", []string{"a", "b"}, []string{"y"}), 13, a, b)
	if err != nil || out[0].DType() != tensors.Int64 {
		t.Fatalf("int64 MatMul: %v %v", out, err)
	}
	nnClose(t, "int64 MatMul", out[0], []int{2, 2, 1}, []float64{321, 654, -321, 987}, 0)
	u := must(tensors.New([]int{1, 2}, []uint32{3, 4}))
	out, err = runNode(t, node("MatMul", []string{"a", "b"}, []string{"y"}), 13, u, must(tensors.New([]int{2}, []uint32{5, 6})))
	if err != nil {
		t.Fatal(err)
	}
	nnClose(t, "uint32 MatMul", out[0], []int{1}, []float64{39}, 0)

	cases := []struct {
		name string
		a, b *tensors.Tensor
		want string
		uns  bool
	}{
		{"inner mismatch", nnRand(1, 2, 3), nnRand(2, 4, 2), "inner dimensions", false},
		{"batch mismatch", nnRand(1, 2, 3, 4), nnRand(2, 3, 4, 5), "batch", false},
		{"scalar", tensors.Scalar[float64](1), nnRand(2, 1, 2), "1-D", false},
		{"mixed types", nnRand(1, 2, 2), nnTo32(nnRand(1, 2, 2)), "element type", false},
		{"bool", tensors.Vector(true), tensors.Vector(false), "bool", true},
	}
	for _, c := range cases {
		_, err := runNode(t, node("MatMul", []string{"a", "b"}, []string{"y"}), 13, c.a, c.b)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("MatMul %s: %v, want an error mentioning %q", c.name, err, c.want)
		} else if errors.Is(err, tensors.ErrUnsupported) != c.uns {
			t.Errorf("MatMul %s: ErrUnsupported = %v, want %v", c.name, !c.uns, c.uns)
		}
	}
}

func TestLinalgInfer(t *testing.T) {
	N := tensors.Dim{Size: -1, Param: "N"}
	f := func(dims ...tensors.Dim) tensors.Type {
		return tensors.Type{DType: tensors.Float32, RankKnown: true, Dims: dims}
	}
	d := func(s int) tensors.Dim { return tensors.Dim{Size: s} }
	cases := []struct {
		op    string
		attrs []*onnxpb.AttributeProto
		a, b  tensors.Type
		want  string
		err   bool
	}{
		{"MatMul", nil, f(N, d(3), d(4)), f(d(4), d(5)), "float32[N 3 5]", false},
		{"MatMul", nil, f(d(2), d(1), d(3), d(4)), f(d(5), d(4), d(2)), "float32[2 5 3 2]", false},
		{"MatMul", nil, f(d(4)), f(N, d(4), d(5)), "float32[N 5]", false},
		{"MatMul", nil, f(N, d(4)), f(d(4)), "float32[N]", false},
		{"MatMul", nil, f(d(3), d(4)), f(d(5), d(2)), "", true},
		{"MatMul", nil, f(d(2), d(3), d(4)), f(d(3), d(4), d(2)), "", true},
		{"MatMul", nil, tensors.Type{DType: tensors.Float32}, f(d(4), d(2)), "float32[...]", false},
		{"Gemm", nil, f(N, d(4)), f(d(4), d(5)), "float32[N 5]", false},
		{"Gemm", []*onnxpb.AttributeProto{nnInt("transA", 1), nnInt("transB", 1)}, f(d(4), N), f(d(5), d(4)), "float32[N 5]", false},
	}
	for _, c := range cases {
		comp, err := Compile(node(c.op, []string{"a", "b"}, []string{"y"}, c.attrs...), Env{Opset: 13})
		if err != nil {
			t.Fatal(err)
		}
		got, err := comp.Infer([]tensors.Type{c.a, c.b})
		if c.err {
			if err == nil {
				t.Errorf("%s %v x %v: no error", c.op, c.a, c.b)
			}
			continue
		}
		if err != nil || got[0].String() != c.want {
			t.Errorf("%s %v x %v: %v %v, want %s", c.op, c.a, c.b, got, err, c.want)
		}
	}
}

func TestGemmStaticChecks(t *testing.T) {
	N := tensors.Dim{Size: -1, Param: "N"}
	a := tensors.Type{DType: tensors.Float32, RankKnown: true, Dims: []tensors.Dim{N, {Size: 4}}}
	cases := []struct {
		name  string
		attrs []*onnxpb.AttributeProto
		b     tensors.Type
		ok    bool
	}{
		{"fits", nil, tensors.KnownType(tensors.Float32, []int{4, 3}), true},
		{"fits transposed", []*onnxpb.AttributeProto{nnInt("transB", 1)}, tensors.KnownType(tensors.Float32, []int{3, 4}), true},
		{"inner mismatch", []*onnxpb.AttributeProto{nnInt("transB", 1)}, tensors.KnownType(tensors.Float32, []int{4, 3}), false},
		{"B not a matrix", nil, tensors.KnownType(tensors.Float32, []int{4}), false},
		{"unknown B", nil, tensors.Type{}, true},
	}
	for _, c := range cases {
		types := map[string]tensors.Type{"a": a, "b": c.b}
		_, err := Compile(node("Gemm", []string{"a", "b"}, []string{"y"}, c.attrs...),
			Env{Opset: 13, Type: func(name string) tensors.Type { return types[name] }})
		if (err == nil) != c.ok {
			t.Errorf("%s: load error %v, want ok=%v", c.name, err, c.ok)
		}
	}
}
