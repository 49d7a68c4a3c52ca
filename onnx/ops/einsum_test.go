package ops

import (
	"errors"
	"strings"
	"testing"

	"github.com/onnxkit/onnxkit/onnx/onnxpb"
	"github.com/onnxkit/onnxkit/onnx/tensors"
)

func einsumNode(eq string, inputs ...string) *onnxpb.NodeProto {
	return node("Einsum", inputs, []string{"y"}, nnStr("equation", eq))
}

func TestEinsum(t *testing.T) {
	a := seqMust(tensors.New([]int{2, 3}, []int64{1, 2, 3, 4, 5, 6}))
	b := seqMust(tensors.New([]int{3, 2}, []int64{1, 0, 0, 1, 1, 1}))
	expectTensor(t, "matmul", run1(t, einsumNode("ij,jk->ik", "a", "b"), 12, a, b), tensors.Int64, []int{2, 2}, []int64{4, 5, 10, 11})
	expectTensor(t, "implicit transpose", run1(t, einsumNode("ji", "a"), 12, a), tensors.Int64, []int{3, 2}, []int64{1, 4, 2, 5, 3, 6})
	sq := seqMust(tensors.New([]int{2, 2}, []int64{1, 2, 3, 4}))
	expectTensor(t, "trace", run1(t, einsumNode("ii->", "a"), 12, sq), tensors.Int64, []int{}, []int64{5})
	expectTensor(t, "diagonal", run1(t, einsumNode("ii->i", "a"), 12, sq), tensors.Int64, []int{2}, []int64{1, 4})
	// Ellipsis broadcasting: [2,1,2] with [3,2] over the ellipsis dims.
	e := seqMust(tensors.New([]int{2, 1, 2}, []int64{1, 2, 3, 4}))
	f := seqMust(tensors.New([]int{3, 2}, []int64{1, 1, 2, 2, 3, 3}))
	expectTensor(t, "ellipsis", run1(t, einsumNode("...i,...i->...", "e", "f"), 12, e, f), tensors.Int64, []int{2, 3}, []int64{3, 6, 9, 7, 14, 21})
	for _, c := range []struct{ eq, want string }{
		{"ij,jk->ik", "sizes 3 and 2"},
		{"i.j->i", "misplaced"},
		{"ij->q", "appears in no operand"},
	} {
		if _, err := runNode(t, einsumNode(c.eq, "a", "a"[:1]+"2"), 12, a, a); err == nil || !strings.Contains(err.Error(), c.want) {
			if !strings.Contains(c.eq, ",") {
				if _, err = runNode(t, einsumNode(c.eq, "a"), 12, a); err != nil && strings.Contains(err.Error(), c.want) {
					continue
				}
			}
			t.Errorf("%q: %v, want an error containing %q", c.eq, err, c.want)
		}
	}
	big := seqMust(tensors.New([]int{1 << 16}, make([]float32, 1<<16)))
	if _, err := runNode(t, einsumNode("i,j->ij", "a", "b"), 12, big, big); !errors.Is(err, tensors.ErrMemoryLimit) {
		t.Errorf("2^32-element outer product: %v", err)
	}
}
