package ops

import (
	"math"
	"slices"
	"testing"

	"github.com/onnxkit/onnxkit/onnx/tensors"
)

func TestRandomGenerators(t *testing.T) {
	nd := node("RandomUniform", nil, []string{"y"}, nnInts("shape", 3, 4), nnFloat("low", 2), nnFloat("high", 3), nnFloat("seed", 7))
	a, err := runNode(t, nd, 1)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := runNode(t, nd, 1)
	av, bv := tensors.Data[float32](a[0]), tensors.Data[float32](b[0])
	if !slices.Equal(av, bv) || !slices.Equal(a[0].Shape(), []int{3, 4}) {
		t.Errorf("seeded draws differ or have the wrong shape: %v %v", a[0], b[0])
	}
	for _, v := range av {
		if v < 2 || v >= 3 {
			t.Errorf("uniform value %g outside [2, 3)", v)
		}
	}
	x, _ := tensors.New([]int{1000}, make([]float64, 1000))
	out, err := runNode(t, node("RandomNormalLike", []string{"x"}, []string{"y"}, nnFloat("mean", 5), nnFloat("scale", 0.5)), 1, x)
	if err != nil {
		t.Fatal(err)
	}
	if out[0].DType() != tensors.Float64 {
		t.Errorf("RandomNormalLike dtype %v, want the input's", out[0].DType())
	}
	m := 0.0
	for _, v := range tensors.Data[float64](out[0]) {
		m += v / 1000
	}
	if math.Abs(m-5) > 0.1 {
		t.Errorf("normal mean %g, want about 5", m)
	}
	p, _ := tensors.New([]int{4}, []float32{0, 1, 0, 1})
	out, err = runNode(t, node("Bernoulli", []string{"p"}, []string{"y"}, nnInt("dtype", int64(tensors.Bool))), 15, p)
	if err != nil {
		t.Fatal(err)
	}
	if got := tensors.Data[bool](out[0]); !slices.Equal(got, []bool{false, true, false, true}) {
		t.Errorf("Bernoulli of 0/1 probabilities: %v", got)
	}
	if _, err := runNode(t, node("Bernoulli", []string{"p"}, []string{"y"}), 15, tensors.Vector[float32](1.5)); err == nil {
		t.Error("a probability above 1 was accepted")
	}
	logits, _ := tensors.New([]int{2, 3}, []float32{float32(math.Inf(-1)), 0, float32(math.Inf(-1)), 0, float32(math.Inf(-1)), float32(math.Inf(-1))})
	out, err = runNode(t, node("Multinomial", []string{"x"}, []string{"y"}, nnInt("sample_size", 5), nnInt("dtype", int64(tensors.Int64))), 7, logits)
	if err != nil {
		t.Fatal(err)
	}
	if got := tensors.Data[int64](out[0]); !slices.Equal(got, []int64{1, 1, 1, 1, 1, 0, 0, 0, 0, 0}) {
		t.Errorf("Multinomial with one possible class: %v", got)
	}
}
