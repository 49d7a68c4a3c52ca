package ops

import (
	"math"
	"strings"
	"testing"

	"github.com/onnxkit/onnxkit/onnx/tensors"
)

func TestLosses(t *testing.T) {
	// N=2, C=3, d1=2: log-probabilities given directly to NLL.
	x, _ := tensors.New([]int{2, 3, 2}, []float64{-1, -2, -3, -4, -5, -6, -7, -8, -9, -10, -11, -12})
	target, _ := tensors.New([]int{2, 2}, []int64{0, 2, 1, -1})
	w := tensors.Vector(1.0, 2, 3)
	// Element losses: x[0,0,0]=-1 w1; x[0,2,1]=-6 w3; x[1,1,0]=-9 w2;
	// the last target is ignored.
	none := []float64{1, 18, 18, 0}
	for _, c := range []struct {
		red  string
		want []float64
	}{{"none", none}, {"sum", []float64{37}}, {"mean", []float64{37.0 / 6}}} {
		out, err := runNode(t, node("NegativeLogLikelihoodLoss", []string{"x", "t", "w"}, []string{"y"}, nnStr("reduction", c.red), nnInt("ignore_index", -1)), 13, x, target, w)
		if err != nil {
			t.Fatal(err)
		}
		shape := []int{}
		if c.red == "none" {
			shape = []int{2, 2}
		}
		nnClose(t, "nll "+c.red, out[0], shape, c.want, 1e-12)
	}
	// Without ignore_index, -1 is out of range.
	_, err := runNode(t, node("NegativeLogLikelihoodLoss", []string{"x", "t"}, []string{"y"}), 13, x, target)
	if err == nil || !strings.Contains(err.Error(), "target value -1") {
		t.Errorf("out-of-range target: %v", err)
	}
	// SoftmaxCrossEntropyLoss of uniform scores is log(C), log_prob -log(C).
	s, _ := tensors.New([]int{1, 4}, []float32{2, 2, 2, 2})
	out, err := runNode(t, node("SoftmaxCrossEntropyLoss", []string{"s", "l"}, []string{"y", "lp"}), 13, s, tensors.Vector[int64](3))
	if err != nil {
		t.Fatal(err)
	}
	nnClose(t, "sce", out[0], []int{}, []float64{math.Log(4)}, 1e-6)
	l4 := -math.Log(4)
	nnClose(t, "log_prob", out[1], []int{1, 4}, []float64{l4, l4, l4, l4}, 1e-6)
}
