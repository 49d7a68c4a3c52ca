package ops

import (
	"errors"
	"fmt"

	"github.com/onnxkit/onnxkit/onnx/tensors"
)

// TfIdfVectorizer (version 9) counts, in each row of a 1-D [C] or 2-D
// [N, C] tensor of int32, int64 or strings, the n-grams of a pool given
// by the attributes, and writes one float per output coordinate: a row
// of max(ngram_indexes)+1 values (shape [max+1] or [N, max+1]).
//
// The pool (pool_int64s or pool_strings) lists the 1-grams, then the
// 2-grams and so on; ngram_counts[k] is where the (k+1)-grams start. The
// i-th n-gram of the pool is counted in Y[ngram_indexes[i]] (n-grams that
// share a coordinate add up). An n-gram of length n >= 2 with skip s
// takes the items at positions p, p+s+1, ..., p+(n-1)(s+1); every
// s from 0 to max_skip_count and every start p is counted once, and each
// item counts once as a 1-gram. Only lengths min_gram_length to
// max_gram_length are counted. mode TF writes the counts, IDF writes the
// n-gram's weight (default 1) where the count is not zero, TFIDF the
// count times the weight.

func init() {
	Register(Op{Type: "TfIdfVectorizer", Since: []int{9}, Prepare: prepareTfIdf, Infer: inferTfIdf})
}

// tfidfTrie is a prefix tree of the pool's n-grams: the node reached by
// an n-gram's items holds its pool index (-1 where no n-gram ends).
type tfidfTrie[K comparable] struct {
	next map[K]*tfidfTrie[K]
	id   int
}

func newTfidfTrie[K comparable]() *tfidfTrie[K] { return &tfidfTrie[K]{id: -1} }

// insert adds an n-gram with pool index id; it reports false if the pool
// already holds that n-gram.
func (t *tfidfTrie[K]) insert(gram []K, id int) bool {
	for _, k := range gram {
		if t.next == nil {
			t.next = map[K]*tfidfTrie[K]{}
		}
		c := t.next[k]
		if c == nil {
			c = newTfidfTrie[K]()
			t.next[k] = c
		}
		t = c
	}
	if t.id >= 0 {
		return false
	}
	t.id = id
	return true
}

// tfidfConfig is a node's checked attributes.
type tfidfConfig struct {
	mode               string
	minN, maxN, skip   int
	indexes            []int
	weights            []float32
	size               int // output coordinates per row
	ints               *tfidfTrie[int64]
	strs               *tfidfTrie[string]
	poolName, poolType string
}

var errTfIdfAttr = errors.New("invalid TfIdfVectorizer attributes")

func prepareTfIdf(n *Node) (Kernel, error) {
	a := n.Attrs
	c := &tfidfConfig{
		mode: a.Enum("mode", "", "TF", "IDF", "TFIDF"),
		minN: a.RequiredInt("min_gram_length"),
		maxN: a.RequiredInt("max_gram_length"),
		skip: a.RequiredInt("max_skip_count"),
	}
	if !a.Has("mode") {
		a.RequiredStr("mode")
	}
	counts := a.RequiredInts("ngram_counts")
	c.indexes = a.RequiredInts("ngram_indexes")
	poolInts := a.Ints("pool_int64s", nil)
	poolStrs := a.Strs("pool_strings", nil)
	c.weights = a.Floats("weights", nil)
	if err := a.Err(); err != nil {
		return nil, err
	}
	if err := c.check(a.Has("pool_int64s"), a.Has("pool_strings"), counts, len(poolInts)+len(poolStrs)); err != nil {
		return nil, err
	}
	if a.Has("pool_int64s") {
		c.poolName, c.poolType = "pool_int64s", "int32 or int64"
		c.ints = newTfidfTrie[int64]()
		pool := make([]int64, len(poolInts))
		for i, v := range poolInts {
			pool[i] = int64(v)
		}
		if err := buildTfidfTrie(c.ints, pool, counts, c.poolName); err != nil {
			return nil, err
		}
	} else {
		c.poolName, c.poolType = "pool_strings", "string"
		c.strs = newTfidfTrie[string]()
		if err := buildTfidfTrie(c.strs, poolStrs, counts, c.poolName); err != nil {
			return nil, err
		}
	}
	return c.run, nil
}

// check validates the attributes that do not depend on the pool's items.
func (c *tfidfConfig) check(hasInts, hasStrs bool, counts []int, poolLen int) error {
	switch {
	case hasInts == hasStrs:
		return fmt.Errorf("%w: exactly one of pool_int64s and pool_strings must be set", errTfIdfAttr)
	case c.minN < 1 || c.maxN < c.minN:
		return fmt.Errorf("%w: min_gram_length %d and max_gram_length %d must satisfy 1 <= min <= max", errTfIdfAttr, c.minN, c.maxN)
	case c.skip < 0:
		return fmt.Errorf("%w: max_skip_count %d is negative", errTfIdfAttr, c.skip)
	case len(counts) == 0:
		return fmt.Errorf("%w: ngram_counts is empty", errTfIdfAttr)
	case len(c.indexes) == 0:
		return fmt.Errorf("%w: ngram_indexes is empty", errTfIdfAttr)
	}
	total := 0
	for k, start := range counts {
		end := poolLen
		if k+1 < len(counts) {
			end = counts[k+1]
		}
		if start < 0 || start > end || end > poolLen {
			return fmt.Errorf("%w: ngram_counts %v must ascend from 0 within the pool's %d items", errTfIdfAttr, counts, poolLen)
		}
		if (end-start)%(k+1) != 0 {
			return fmt.Errorf("%w: the %d pool items of %d-grams (from index %d) are not a multiple of %d", errTfIdfAttr, end-start, k+1, start, k+1)
		}
		total += (end - start) / (k + 1)
	}
	if counts[0] != 0 {
		return fmt.Errorf("%w: ngram_counts %v must start at 0", errTfIdfAttr, counts)
	}
	if total != len(c.indexes) {
		return fmt.Errorf("%w: the pool holds %d n-grams but ngram_indexes has %d entries", errTfIdfAttr, total, len(c.indexes))
	}
	if c.weights != nil && len(c.weights) != len(c.indexes) {
		return fmt.Errorf("%w: weights has %d entries, ngram_indexes %d", errTfIdfAttr, len(c.weights), len(c.indexes))
	}
	maxIdx := 0
	for _, v := range c.indexes {
		if v < 0 {
			return fmt.Errorf("%w: ngram_indexes holds the negative index %d", errTfIdfAttr, v)
		}
		maxIdx = max(maxIdx, v)
	}
	// Check the row before adding 1, which could overflow.
	if _, err := tensors.CheckSize(tensors.Float32, []int{maxIdx}); err != nil {
		return fmt.Errorf("ngram_indexes holds %d: output row: %w", maxIdx, err)
	}
	c.size = maxIdx + 1
	if _, err := tensors.CheckSize(tensors.Float32, []int{c.size}); err != nil {
		return fmt.Errorf("ngram_indexes holds %d: output row: %w", maxIdx, err)
	}
	return nil
}

// buildTfidfTrie inserts the pool's n-grams, numbered in pool order.
func buildTfidfTrie[K comparable](t *tfidfTrie[K], pool []K, counts []int, name string) error {
	id := 0
	for k, start := range counts {
		end := len(pool)
		if k+1 < len(counts) {
			end = counts[k+1]
		}
		for p := start; p < end; p += k + 1 {
			if !t.insert(pool[p:p+k+1], id) {
				return fmt.Errorf("%w: %s holds the %d-gram %v twice", errTfIdfAttr, name, k+1, pool[p:p+k+1])
			}
			id++
		}
	}
	return nil
}

func (c *tfidfConfig) run(in []*tensors.Tensor) ([]*tensors.Tensor, error) {
	x := in[0]
	shape := x.Shape()
	var rows, cols int
	var outShape []int
	switch len(shape) {
	case 1:
		rows, cols = 1, shape[0]
		outShape = []int{c.size}
	case 2:
		rows, cols = shape[0], shape[1]
		outShape = []int{rows, c.size}
	default:
		return nil, fmt.Errorf("input X has shape %v: want 1-D [C] or 2-D [N, C]", shape)
	}
	y, out, err := tensors.Make[float32](outShape)
	if err != nil {
		return nil, fmt.Errorf("output Y: %w", err)
	}
	if _, err := tensors.CheckSize(tensors.Int64, []int{len(c.indexes)}); err != nil {
		return nil, err
	}
	counts := make([]int64, len(c.indexes))
	for r := 0; r < rows; r++ {
		clear(counts)
		switch {
		case c.ints != nil && (x.DType() == tensors.Int32 || x.DType() == tensors.Int64):
			var row []int64
			if x.DType() == tensors.Int64 {
				row = tensors.Data[int64](x)[r*cols : (r+1)*cols]
			} else {
				row = make([]int64, cols)
				for i, v := range tensors.Data[int32](x)[r*cols : (r+1)*cols] {
					row[i] = int64(v)
				}
			}
			countTfidf(c.ints, row, c.minN, c.maxN, c.skip, counts)
		case c.strs != nil && x.DType() == tensors.String:
			countTfidf(c.strs, tensors.Data[string](x)[r*cols:(r+1)*cols], c.minN, c.maxN, c.skip, counts)
		default:
			return nil, fmt.Errorf("input X is %v; with %s it must be %s: %w", x.DType(), c.poolName, c.poolType, tensors.ErrUnsupported)
		}
		c.output(counts, out[r*c.size:(r+1)*c.size])
	}
	return []*tensors.Tensor{y}, nil
}

// countTfidf adds to counts[id] the occurrences in row of the pool's
// n-grams of lengths minN to maxN with skips 0 to maxSkip.
func countTfidf[K comparable](t *tfidfTrie[K], row []K, minN, maxN, maxSkip int, counts []int64) {
	for p := range row {
		for s := 0; s <= maxSkip; s++ {
			if s > 0 && (maxN < 2 || p+s+1 >= len(row)) {
				break // no n-gram of 2 or more items with this skip
			}
			node := t
			for k, q := 1, p; k <= maxN && q < len(row); k, q = k+1, q+s+1 {
				node = node.next[row[q]]
				if node == nil {
					break
				}
				// A 1-gram counts once, not once per skip.
				if k >= minN && node.id >= 0 && (k > 1 || s == 0) {
					counts[node.id]++
				}
			}
		}
	}
}

// output writes one row of Y from the n-grams' counts.
func (c *tfidfConfig) output(counts []int64, y []float32) {
	for id, n := range counts {
		if n == 0 {
			continue
		}
		w := float32(1)
		if c.weights != nil {
			w = c.weights[id]
		}
		switch c.mode {
		case "TF":
			y[c.indexes[id]] += float32(n)
		case "IDF":
			y[c.indexes[id]] += w
		default: // TFIDF
			y[c.indexes[id]] += float32(n) * w
		}
	}
}

func inferTfIdf(n *Node, in []tensors.Type) ([]tensors.Type, error) {
	out := tensors.Type{DType: tensors.Float32}
	size := tensors.UnknownDim
	if idx := n.Attrs.Ints("ngram_indexes", nil); len(idx) > 0 {
		m := 0
		for _, v := range idx {
			m = max(m, v)
		}
		if _, err := tensors.CheckSize(tensors.Float32, []int{m}); err == nil {
			size = tensors.Dim{Size: m + 1}
		}
	}
	switch in[0].Rank() {
	case 1:
		out.RankKnown, out.Dims = true, []tensors.Dim{size}
	case 2:
		out.RankKnown, out.Dims = true, []tensors.Dim{in[0].Dims[0], size}
	}
	return []tensors.Type{out}, nil
}
