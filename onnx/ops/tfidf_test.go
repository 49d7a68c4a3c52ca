package ops

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/onnxkit/onnxkit/onnx/onnxpb"
	"github.com/onnxkit/onnxkit/onnx/tensors"
)

// tfidfAttrs are a TfIdfVectorizer node's attributes; pool is []int64 or
// []string.
type tfidfAttrs struct {
	mode             string
	minN, maxN, skip int
	counts, indexes  []int64
	pool             any
	weights          []float32
	extra            []*onnxpb.AttributeProto // more attributes
}

func (a tfidfAttrs) node() *onnxpb.NodeProto {
	attrs := []*onnxpb.AttributeProto{
		nnStr("mode", a.mode), nnInt("min_gram_length", int64(a.minN)), nnInt("max_gram_length", int64(a.maxN)),
		nnInt("max_skip_count", int64(a.skip)), nnInts("ngram_counts", a.counts...), nnInts("ngram_indexes", a.indexes...),
	}
	switch p := a.pool.(type) {
	case []int64:
		attrs = append(attrs, nnInts("pool_int64s", p...))
	case []string:
		s := &onnxpb.AttributeProto{Name: "pool_strings", Type: onnxpb.AttributeProto_STRINGS}
		for _, v := range p {
			s.Strings = append(s.Strings, []byte(v))
		}
		attrs = append(attrs, s)
	}
	if a.weights != nil {
		attrs = append(attrs, &onnxpb.AttributeProto{Name: "weights", Type: onnxpb.AttributeProto_FLOATS, Floats: a.weights})
	}
	attrs = append(attrs, a.extra...)
	return node("TfIdfVectorizer", []string{"x"}, []string{"y"}, attrs...)
}

// tfidfReference computes Y the way the specification describes it:
// every n-gram of the row for each length and skip, looked up by linear
// search in the pool.
func tfidfReference[K comparable](a tfidfAttrs, pool []K, rows [][]K) [][]float32 {
	type gram struct {
		items []K
		id    int
	}
	var grams []gram
	id := 0
	for k := range a.counts {
		end := len(pool)
		if k+1 < len(a.counts) {
			end = int(a.counts[k+1])
		}
		for p := int(a.counts[k]); p < end; p += k + 1 {
			grams = append(grams, gram{pool[p : p+k+1], id})
			id++
		}
	}
	size := 0
	for _, v := range a.indexes {
		size = max(size, int(v)+1)
	}
	var out [][]float32
	for _, row := range rows {
		count := make([]int, len(grams))
		for n := a.minN; n <= a.maxN; n++ {
			maxSkip := a.skip
			if n == 1 {
				maxSkip = 0 // a 1-gram is the same item whatever the skip
			}
			for s := 0; s <= maxSkip; s++ {
				for p := 0; p+(n-1)*(s+1) < len(row); p++ {
					for _, g := range grams {
						if len(g.items) != n {
							continue
						}
						match := true
						for j := 0; j < n; j++ {
							match = match && row[p+j*(s+1)] == g.items[j]
						}
						if match {
							count[g.id]++
						}
					}
				}
			}
		}
		y := make([]float32, size)
		for i, c := range count {
			w := float32(1)
			if a.weights != nil {
				w = a.weights[i]
			}
			switch {
			case c == 0:
			case a.mode == "TF":
				y[a.indexes[i]] += float32(c)
			case a.mode == "IDF":
				y[a.indexes[i]] += w
			default:
				y[a.indexes[i]] += float32(c) * w
			}
		}
		out = append(out, y)
	}
	return out
}

func flatten32(rows [][]float32) []float32 {
	var v []float32
	for _, r := range rows {
		v = append(v, r...)
	}
	return v
}

func TestTfIdfVectorizerStrings(t *testing.T) {
	pool := []string{"a", "b", "c", "a", "b", "b", "c", "c", "a", "a", "b", "c"}
	// 1-grams a b c; 2-grams (a b) (b c) (c a); 3-grams (a b c).
	a := tfidfAttrs{mode: "TFIDF", minN: 1, maxN: 3, skip: 1,
		counts: []int64{0, 3, 9}, indexes: []int64{6, 0, 5, 1, 4, 2, 3},
		pool: pool, weights: []float32{0.5, 2, 3, 4, 5, 6, 7}}
	rows := [][]string{{"a", "b", "c", "a", "x", "b", "c"}, {"c", "c", "a", "b", "a", "c", "z"}}
	x, err := tensors.New([]int{2, 7}, append(append([]string{}, rows[0]...), rows[1]...))
	if err != nil {
		t.Fatal(err)
	}
	for _, mode := range []string{"TF", "IDF", "TFIDF"} {
		a.mode = mode
		want := tfidfReference(a, pool, rows)
		expectTensor(t, "strings "+mode, run1(t, a.node(), 9, x), tensors.Float32, []int{2, 7}, flatten32(want))
	}
	// 1-D input: one row, shape [max index + 1].
	a.mode = "TF"
	expectTensor(t, "1-D", run1(t, a.node(), 9, tensors.Vector(rows[0]...)), tensors.Float32, []int{7}, flatten32(tfidfReference(a, pool, rows[:1])))
	// An empty row counts nothing.
	empty, _ := tensors.New([]int{2, 0}, []string{})
	expectTensor(t, "empty rows", run1(t, a.node(), 9, empty), tensors.Float32, []int{2, 7}, make([]float32, 14))
	// Hand-checked: in "a b c a", with skips up to 1 and unigrams only,
	// a appears twice, b and c once each.
	b := tfidfAttrs{mode: "TF", minN: 1, maxN: 1, skip: 1, counts: []int64{0}, indexes: []int64{0, 1, 2}, pool: []string{"a", "b", "c"}}
	expectTensor(t, "unigrams", run1(t, b.node(), 9, tensors.Vector("a", "b", "c", "a")), tensors.Float32, []int{3}, []float32{2, 1, 1})
}

// TestTfIdfVectorizerRandom compares random pools, rows and attributes
// with the reference, for int32 and int64 inputs.
func TestTfIdfVectorizerRandom(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 15))
	for trial := 0; trial < 300; trial++ {
		levels := 1 + r.IntN(3)
		var pool []int64
		var counts []int64
		seen := map[string]bool{}
		ngrams := 0
		for n := 1; n <= levels; n++ {
			counts = append(counts, int64(len(pool)))
			for k := r.IntN(5); k > 0; k-- {
				g := make([]int64, n)
				for j := range g {
					g[j] = int64(r.IntN(4))
				}
				if key := fmt.Sprint(g); !seen[key] {
					seen[key] = true
					pool = append(pool, g...)
					ngrams++
				}
			}
		}
		if ngrams == 0 {
			continue
		}
		indexes := make([]int64, ngrams)
		weights := make([]float32, ngrams)
		for i := range indexes {
			indexes[i] = int64(r.IntN(ngrams + 2)) // gaps and shared coordinates
			weights[i] = float32(r.IntN(8)) / 4
		}
		minN := 1 + r.IntN(levels+1)
		a := tfidfAttrs{mode: []string{"TF", "IDF", "TFIDF"}[r.IntN(3)], minN: minN, maxN: minN + r.IntN(3),
			skip: r.IntN(4), counts: counts, indexes: indexes, pool: pool}
		if r.IntN(2) == 0 {
			a.weights = weights
		}
		nrows, cols := 1+r.IntN(3), r.IntN(12)
		rows := make([][]int64, nrows)
		var flat64 []int64
		var flat32 []int32
		for i := range rows {
			rows[i] = make([]int64, cols)
			for j := range rows[i] {
				rows[i][j] = int64(r.IntN(5))
				flat64 = append(flat64, rows[i][j])
				flat32 = append(flat32, int32(rows[i][j]))
			}
		}
		want := tfidfReference(a, pool, rows)
		what := fmt.Sprintf("trial %d %+v rows %v", trial, a, rows)
		x64, _ := tensors.New([]int{nrows, cols}, flat64)
		expectTensor(t, what+" int64", run1(t, a.node(), 9, x64), tensors.Float32, []int{nrows, len(want[0])}, flatten32(want))
		x32, _ := tensors.New([]int{nrows, cols}, flat32)
		expectTensor(t, what+" int32", run1(t, a.node(), 9, x32), tensors.Float32, []int{nrows, len(want[0])}, flatten32(want))
	}
}

func TestTfIdfVectorizerErrors(t *testing.T) {
	ok := tfidfAttrs{mode: "TF", minN: 1, maxN: 2, skip: 0, counts: []int64{0, 2}, indexes: []int64{0, 1, 2}, pool: []int64{1, 2, 1, 2}}
	if _, err := runNode(t, ok.node(), 9, tensors.Vector[int64](1, 2)); err != nil {
		t.Fatalf("valid node: %v", err)
	}
	bad := func(f func(a *tfidfAttrs)) tfidfAttrs { a := ok; f(&a); return a }
	cases := []struct {
		name string
		a    tfidfAttrs
		x    *tensors.Tensor
		want string
	}{
		{"counts descend", bad(func(a *tfidfAttrs) { a.counts = []int64{0, 4, 2} }), nil, "ascend"},
		{"counts past the pool", bad(func(a *tfidfAttrs) { a.counts = []int64{0, 6} }), nil, "ascend"},
		{"counts do not start at 0", bad(func(a *tfidfAttrs) { a.counts = []int64{2, 2} }), nil, "start at 0"},
		{"2-grams not a multiple of 2", bad(func(a *tfidfAttrs) { a.pool = []int64{1, 2, 1, 2, 3} }), nil, "multiple of 2"},
		{"too few indexes", bad(func(a *tfidfAttrs) { a.indexes = []int64{0, 1} }), nil, "ngram_indexes has 2"},
		{"negative index", bad(func(a *tfidfAttrs) { a.indexes = []int64{0, -1, 2} }), nil, "negative"},
		{"huge output", bad(func(a *tfidfAttrs) { a.indexes = []int64{0, 1, 1 << 40} }), nil, "limit"},
		{"max index overflows", bad(func(a *tfidfAttrs) { a.indexes = []int64{0, 1, 1<<63 - 1} }), nil, "ngram_indexes holds"},
		{"weights length", bad(func(a *tfidfAttrs) { a.weights = []float32{1} }), nil, "weights has 1"},
		{"duplicate n-gram", bad(func(a *tfidfAttrs) { a.pool = []int64{1, 1, 1, 2} }), nil, "twice"},
		{"min > max", bad(func(a *tfidfAttrs) { a.minN = 3 }), nil, "min_gram_length"},
		{"negative skip", bad(func(a *tfidfAttrs) { a.skip = -1 }), nil, "max_skip_count"},
		{"no pool", bad(func(a *tfidfAttrs) { a.pool = nil }), nil, "exactly one"},
		{"two pools", bad(func(a *tfidfAttrs) {
			a.extra = []*onnxpb.AttributeProto{{Name: "pool_strings", Type: onnxpb.AttributeProto_STRINGS, Strings: [][]byte{[]byte("a")}}}
		}), nil, "exactly one"},
		{"unknown mode", bad(func(a *tfidfAttrs) { a.mode = "BM25" }), nil, "mode"},
		{"string input, int pool", ok, tensors.Vector("a"), "pool_int64s"},
		{"float input", ok, tensors.Vector[float32](1), "pool_int64s"},
		{"rank 3", ok, seqMust(tensors.New([]int{1, 1, 2}, []int64{1, 2})), "1-D [C] or 2-D [N, C]"},
		{"scalar", ok, tensors.Scalar[int64](1), "1-D [C] or 2-D [N, C]"},
	}
	for _, c := range cases {
		x := c.x
		if x == nil {
			x = tensors.Vector[int64](1, 2)
		}
		_, err := runNode(t, c.a.node(), 9, x)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: got error %v, want one mentioning %q", c.name, err, c.want)
		}
	}
	// A row count times the output row over the tensor limit fails before
	// allocating.
	big := bad(func(a *tfidfAttrs) { a.indexes = []int64{0, 1, 1 << 26} })
	x, err := tensors.New([]int{1 << 8, 0}, []int64{})
	if err != nil {
		t.Fatal(err)
	}
	old := tensors.SetMaxTensorBytes(1 << 30)
	defer tensors.SetMaxTensorBytes(old)
	if _, err := runNode(t, big.node(), 9, x); !errors.Is(err, tensors.ErrMemoryLimit) {
		t.Errorf("output of 256 rows of 2^26 floats: %v, want a memory limit error", err)
	}
}
