package ops

import (
	"math/rand"
	"strings"
	"testing"

	"github.com/onnxkit/onnxkit/onnx/tensors"
)

func TestBroadcastShapes(t *testing.T) {
	cases := []struct {
		in   [][]int
		want []int
		err  bool
	}{
		{[][]int{{2, 3}, {2, 3}}, []int{2, 3}, false},
		{[][]int{{2, 3, 4, 5}, {}}, []int{2, 3, 4, 5}, false},
		{[][]int{{2, 3, 4, 5}, {5}}, []int{2, 3, 4, 5}, false},
		{[][]int{{4, 5}, {2, 3, 4, 5}}, []int{2, 3, 4, 5}, false},
		{[][]int{{1, 4, 5}, {2, 3, 1, 1}}, []int{2, 3, 4, 5}, false},
		{[][]int{{3, 4, 5}, {2, 1, 1, 1}}, []int{2, 3, 4, 5}, false},
		{[][]int{{0, 3}, {1, 3}}, []int{0, 3}, false},
		{[][]int{{2, 3}, {3, 2}}, nil, true},
		{[][]int{{0}, {2}}, nil, true},
		{[][]int{{2, 1}, {1, 3}, {4, 1, 1}}, []int{4, 2, 3}, false},
	}
	for _, c := range cases {
		got, err := tensors.BroadcastShapes(c.in...)
		if c.err {
			if err == nil || !strings.Contains(err.Error(), "cannot broadcast") {
				t.Errorf("BroadcastShapes%v: err %v, want a broadcast error", c.in, err)
			}
			continue
		}
		if err != nil || !tensors.SameShape(got, c.want) {
			t.Errorf("BroadcastShapes%v = %v, %v; want %v", c.in, got, err, c.want)
		}
	}
}

// naiveIndex maps an output multi-index to the flat index of a broadcast
// input, the slow obvious way.
func naiveIndex(outIdx, in []int) int {
	off := len(outIdx) - len(in)
	flat := 0
	for i, d := range in {
		v := outIdx[off+i]
		if d == 1 {
			v = 0
		}
		flat = flat*d + v
	}
	return flat
}

func unflatten(i int, shape []int) []int {
	idx := make([]int, len(shape))
	for d := len(shape) - 1; d >= 0; d-- {
		idx[d] = i % shape[d]
		i /= shape[d]
	}
	return idx
}

func randomShape(r *rand.Rand, rank int) []int {
	s := make([]int, rank)
	for i := range s {
		s[i] = 1 + r.Intn(4)
	}
	return s
}

// TestBroadcastRunsMatchesNaive checks Runs (with its axis merging) against
// the per-element definition on many random broadcastable shape triples.
func TestBroadcastRunsMatchesNaive(t *testing.T) {
	r := rand.New(rand.NewSource(1))
	for iter := 0; iter < 500; iter++ {
		out := randomShape(r, r.Intn(5))
		shapes := make([][]int, 3)
		for k := range shapes {
			rank := r.Intn(len(out) + 1)
			s := append([]int{}, out[len(out)-rank:]...)
			for i := range s {
				if r.Intn(3) == 0 {
					s[i] = 1
				}
			}
			shapes[k] = s
		}
		b, err := tensors.NewBroadcast(shapes...)
		if err != nil {
			t.Fatalf("NewBroadcast%v: %v", shapes, err)
		}
		seen := make([]int, b.Len())
		b.Runs(func(o int, in []int, n int, step []int) {
			for j := 0; j < n; j++ {
				seen[o+j]++
				idx := unflatten(o+j, b.Shape())
				for k, s := range shapes {
					if want := naiveIndex(idx, s); in[k]+j*step[k] != want {
						t.Fatalf("shapes %v: output %d input %d: index %d, want %d", shapes, o+j, k, in[k]+j*step[k], want)
					}
				}
			}
		})
		for i, c := range seen {
			if c != 1 {
				t.Fatalf("shapes %v: output %d visited %d times", shapes, i, c)
			}
		}
	}
}

func TestBroadcastEmptyAndScalar(t *testing.T) {
	b, err := tensors.NewBroadcast([]int{0, 3}, []int{3})
	if err != nil {
		t.Fatal(err)
	}
	calls := 0
	b.Runs(func(int, []int, int, []int) { calls++ })
	if calls != 0 || b.Len() != 0 {
		t.Errorf("empty broadcast: %d runs, len %d", calls, b.Len())
	}
	b, err = tensors.NewBroadcast([]int{}, []int{1, 1})
	if err != nil {
		t.Fatal(err)
	}
	b.Runs(func(o int, in []int, n int, step []int) {
		calls++
		if o != 0 || n != 1 || in[0] != 0 || in[1] != 0 {
			t.Errorf("scalar run: o=%d n=%d in=%v", o, n, in)
		}
	})
	if calls != 1 || !tensors.SameShape(b.Shape(), []int{1, 1}) {
		t.Errorf("scalar broadcast: %d runs, shape %v", calls, b.Shape())
	}
}

func TestBinaryBroadcastValues(t *testing.T) {
	a, _ := tensors.New([]int{2, 3}, []float32{1, 2, 3, 4, 5, 6})
	cases := []struct {
		b    *tensors.Tensor
		want []float32
	}{
		{tensors.Vector[float32](10, 20, 30), []float32{11, 22, 33, 14, 25, 36}},
		{must(tensors.New([]int{2, 1}, []float32{10, 20})), []float32{11, 12, 13, 24, 25, 26}},
		{tensors.Scalar[float32](100), []float32{101, 102, 103, 104, 105, 106}},
		{must(tensors.New([]int{2, 3}, []float32{1, 1, 1, 1, 1, 1})), []float32{2, 3, 4, 5, 6, 7}},
	}
	for _, c := range cases {
		for _, swap := range []bool{false, true} {
			x, y := a, c.b
			if swap {
				x, y = y, x
			}
			got, err := tensors.Binary(x, y, func(p, q float32) float32 { return p + q })
			if err != nil {
				t.Fatal(err)
			}
			if !tensors.SameShape(got.Shape(), []int{2, 3}) {
				t.Fatalf("shape %v", got.Shape())
			}
			for i, v := range tensors.Data[float32](got) {
				if v != c.want[i] {
					t.Errorf("%v + %v: element %d = %v, want %v", x, y, i, v, c.want[i])
				}
			}
		}
	}
	if _, err := tensors.Binary(a, tensors.Vector[float32](1, 2), func(p, q float32) float32 { return p }); err == nil {
		t.Error("incompatible shapes: no error")
	}
	if _, err := tensors.Binary(a, tensors.Vector[int64](1), func(p, q float32) float32 { return p }); err == nil {
		t.Error("wrong element type: no error")
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

func TestNumericDispatch(t *testing.T) {
	sub := func(a, b int64) int64 { return a - b }
	fns := NumericBinary{I64: sub}
	got, err := fns.Apply(tensors.Vector[int64](5, 7), tensors.Scalar[int64](2))
	if err != nil || tensors.Data[int64](got)[1] != 5 {
		t.Fatalf("int64: %v %v", got, err)
	}
	if _, err := fns.Apply(tensors.Vector[float32](1), tensors.Vector[float32](1)); err == nil || !strings.Contains(err.Error(), "want int64") {
		t.Errorf("float32 with no F32 function: err %v", err)
	}
	if _, err := fns.Apply(tensors.Vector[int64](1), tensors.Vector[int32](1)); err == nil {
		t.Error("mixed element types: no error")
	}
	neg := NumericUnary{F64: func(v float64) float64 { return -v }}
	if got, err := neg.Apply(tensors.Scalar(2.5)); err != nil || got.Rank() != 0 || tensors.Data[float64](got)[0] != -2.5 {
		t.Errorf("unary on scalar: %v %v", got, err)
	}
	less := NumericPredicate{F32: func(a, b float32) bool { return a < b }}
	if got, err := less.Apply(tensors.Vector[float32](1, 3), tensors.Scalar[float32](2)); err != nil || got.DType() != tensors.Bool || !tensors.Data[bool](got)[0] || tensors.Data[bool](got)[1] {
		t.Errorf("predicate: %v %v", got, err)
	}
}
