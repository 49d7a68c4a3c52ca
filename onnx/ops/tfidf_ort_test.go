package ops_test

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"google.golang.org/protobuf/proto"
	"gorgonia.org/tensor"

	"github.com/onnxkit/onnxkit/internal/ort"
	"github.com/onnxkit/onnxkit/internal/peer"
	"github.com/onnxkit/onnxkit/onnx"
	"github.com/onnxkit/onnxkit/onnx/onnxpb"
	"github.com/onnxkit/onnxkit/onnx/tensors"
)

// TestTfIdfVectorizerMatchesORT runs TfIdfVectorizer nodes with random
// integer pools, rows and attributes (every mode, skips, weights, n-gram
// lengths, output coordinates in any order) through onnxruntime and
// onnxkit and compares the outputs.
func TestTfIdfVectorizerMatchesORT(t *testing.T) {
	if _, err := ort.Library(); err != nil {
		peer.Require(t, err)
	}
	r := rand.New(rand.NewPCG(21, 4))
	dir := t.TempDir()
	for trial := 0; trial < 40; trial++ {
		levels := 1 + r.IntN(3)
		var pool, counts []int64
		seen := map[string]bool{}
		for n := 1; n <= levels; n++ {
			counts = append(counts, int64(len(pool)))
			for k := 1 + r.IntN(4); k > 0; k-- {
				g := make([]int64, n)
				for j := range g {
					g[j] = int64(r.IntN(4))
				}
				if key := fmt.Sprint(g); !seen[key] {
					seen[key] = true
					pool = append(pool, g...)
				}
			}
		}
		ngrams := len(seen)
		indexes := r.Perm(ngrams + r.IntN(3))[:ngrams] // distinct, maybe with gaps
		idx := make([]int64, ngrams)
		weights := make([]float32, ngrams)
		for i := range idx {
			idx[i] = int64(indexes[i])
			weights[i] = float32(1+r.IntN(8)) / 4
		}
		minN := 1 + r.IntN(levels)
		mode := []string{"TF", "IDF", "TFIDF"}[trial%3]
		attrs := []*onnxpb.AttributeProto{
			nnOrtStr("mode", mode), nnOrtInt("min_gram_length", int64(minN)), nnOrtInt("max_gram_length", int64(minN+r.IntN(levels-minN+1))),
			nnOrtInt("max_skip_count", int64(r.IntN(4))), nnOrtInts("ngram_counts", counts...), nnOrtInts("ngram_indexes", idx...),
			nnOrtInts("pool_int64s", pool...),
		}
		if trial%2 == 1 {
			attrs = append(attrs, &onnxpb.AttributeProto{Name: "weights", Type: onnxpb.AttributeProto_FLOATS, Floats: weights})
		}
		rows, cols := 1+r.IntN(3), 1+r.IntN(12)
		shape := []int{rows, cols}
		if trial%4 == 0 {
			rows, shape = 1, []int{cols}
		}
		var x *tensors.Tensor
		if trial%5 < 2 {
			v := make([]int32, rows*cols)
			for i := range v {
				v[i] = int32(r.IntN(5))
			}
			x, _ = tensors.New(shape, v)
		} else {
			v := make([]int64, rows*cols)
			for i := range v {
				v[i] = int64(r.IntN(5))
			}
			x, _ = tensors.New(shape, v)
		}
		g := &onnxpb.GraphProto{
			Name:   "tfidf",
			Input:  []*onnxpb.ValueInfoProto{nnOrtValueInfo("x", x.DType(), shape)},
			Output: []*onnxpb.ValueInfoProto{nnOrtValueInfo("y", tensors.Float32, nil)},
			Node:   []*onnxpb.NodeProto{{OpType: "TfIdfVectorizer", Input: []string{"x"}, Output: []string{"y"}, Attribute: attrs}},
		}
		mp := &onnxpb.ModelProto{IrVersion: 7, OpsetImport: []*onnxpb.OperatorSetIdProto{{Version: 13}}, Graph: g}
		bs, err := proto.Marshal(mp)
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(dir, fmt.Sprintf("tfidf%d.onnx", trial))
		if err := os.WriteFile(path, bs, 0o644); err != nil {
			t.Fatal(err)
		}
		name := fmt.Sprintf("trial %d (%s, pool %v, counts %v, indexes %v, x %v)", trial, mode, pool, counts, idx, x)
		xd, err := onnx.ToDense(x)
		if err != nil {
			t.Fatal(err)
		}
		feeds := map[string]*tensor.Dense{"x": xd}
		got, want, ok := runWithORT(t, name, path, feeds)
		if !ok {
			continue
		}
		gt, _ := onnx.FromDense(got["y"])
		wt, _ := onnx.FromDense(want["y"])
		if gt == nil || wt == nil || !tensors.SameShape(gt.Shape(), wt.Shape()) || fmt.Sprint(gt.Data()) != fmt.Sprint(wt.Data()) {
			t.Errorf("%s:\ngot         %v %v\nonnxruntime %v %v", name, gt, gt.Data(), wt, wt.Data())
		}
	}
}
