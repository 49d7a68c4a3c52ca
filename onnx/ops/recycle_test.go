package ops

import (
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/onnxkit/onnxkit/onnx/tensors"
)

func randTensor(r *rand.Rand, shape ...int) *tensors.Tensor {
	n := 1
	for _, d := range shape {
		n *= d
	}
	data := make([]float32, n)
	for i := range data {
		data[i] = float32(r.NormFloat64())
	}
	t, err := tensors.New(shape, data)
	if err != nil {
		panic(err)
	}
	return t
}

// TestApplyRecycled checks the fast broadcasting paths of binary operators
// against the general one, for shapes that take them and shapes that do
// not, with and without a tensor to recycle.
func TestApplyRecycled(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, sub := range []NumericBinary{
		{F32: func(a, b float32) float32 { return a - b }},
		{F32: func(a, b float32) float32 { return a - b }, Op: '-'},
	} {
		for _, c := range []struct{ a, b []int }{
			{[]int{4, 5}, []int{4, 5}},             // same shape
			{[]int{4, 5}, []int{5}},                // bias row
			{[]int{4, 5}, []int{1, 5}},             // bias row with a leading 1
			{[]int{2, 3, 4, 4}, []int{3, 1, 1}},    // per-channel bias
			{[]int{2, 3, 4, 4}, []int{1, 3, 1, 1}}, // per-channel bias, same rank
			{[]int{2, 3, 4}, []int{}},              // scalar
			{[]int{2, 3, 4}, []int{1}},             // one element
			{[]int{2, 3, 4}, []int{3, 4}},          // trailing block
			{[]int{2, 1, 4}, []int{2, 1, 4}},       // a 1 inside the run
			{[]int{2, 3, 4}, []int{2, 1, 4}},       // a broadcast axis inside: general path
			{[]int{3, 4}, []int{2, 3, 4}},          // b of higher rank: general path
			{[]int{0, 3}, []int{3}},                // empty
		} {
			a, b := randTensor(r, c.a...), randTensor(r, c.b...)
			want, err := sub.Apply(a, b)
			if err != nil {
				t.Fatal(err)
			}
			got, err := sub.ApplyRecycled(a, b, nil)
			if err != nil {
				t.Fatalf("%v - %v: %v", c.a, c.b, err)
			}
			stale, _ := tensors.Alloc(tensors.Float32, want.Shape())
			for i := range tensors.Data[float32](stale) {
				tensors.Data[float32](stale)[i] = 1e9
			}
			again, err := sub.ApplyRecycled(a, b, []*tensors.Tensor{stale})
			if err != nil {
				t.Fatal(err)
			}
			for _, g := range []*tensors.Tensor{got, again} {
				if !slices.Equal(g.Shape(), want.Shape()) || !slices.Equal(tensors.Data[float32](g), tensors.Data[float32](want)) {
					t.Errorf("%v - %v (op %q): got %v %v, want %v %v", c.a, c.b, sub.Op, g, tensors.Data[float32](g), want, tensors.Data[float32](want))
				}
			}
		}
	}
}
