package ops_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"gorgonia.org/tensor"

	"github.com/onnxkit/onnxkit/internal/ort"
	"github.com/onnxkit/onnxkit/internal/peer"
	"github.com/onnxkit/onnxkit/onnx"
	"github.com/onnxkit/onnxkit/onnx/onnxpb"
	"github.com/onnxkit/onnxkit/onnx/tensors"
)

// TestCenterCropPadAndCol2ImMatchORT runs the two opset-18 operators
// through onnxruntime and onnxkit on the same inputs: crops, pads and
// both at once, odd and even differences, chosen and negative axes; Col2Im
// in one, two and three spatial axes with strides, dilations and pads.
func TestCenterCropPadAndCol2ImMatchORT(t *testing.T) {
	if _, err := ort.Library(); err != nil {
		peer.Require(t, err)
	}
	r := rand.New(rand.NewPCG(3, 5))
	ints := func(name string, v ...int64) *onnxpb.AttributeProto {
		return &onnxpb.AttributeProto{Name: name, Type: onnxpb.AttributeProto_INTS, Ints: v}
	}
	type attrs = []*onnxpb.AttributeProto
	cols := func(n, c, positions int) *tensors.Tensor {
		return ewGen(r, tensors.Float32, []int{n, c, positions}, -3, 3)
	}
	cases := []struct {
		op    string
		attrs attrs
		in    []*tensors.Tensor
	}{
		{"CenterCropPad", nil, []*tensors.Tensor{ewGen(r, tensors.Float32, []int{5, 6, 3}, -5, 5), tensors.Vector[int64](3, 9, 3)}},
		{"CenterCropPad", nil, []*tensors.Tensor{ewGen(r, tensors.Int32, []int{4, 7}, -50, 50), tensors.Vector[int64](7, 2)}},
		{"CenterCropPad", attrs{ints("axes", 1, -1)}, []*tensors.Tensor{ewGen(r, tensors.Float32, []int{2, 5, 4}, -5, 5), tensors.Vector[int64](2, 7)}},
		{"CenterCropPad", attrs{ints("axes", 0)}, []*tensors.Tensor{ewGen(r, tensors.Uint8, []int{3, 4}, 0, 255), tensors.Vector[int64](8)}},
		// Col2Im: 2-D with padding, stride 2 and dilation; 1-D; 3-D.
		{"Col2Im", attrs{ints("pads", 1, 0, 1, 2), ints("strides", 2, 1), ints("dilations", 1, 2)}, []*tensors.Tensor{
			cols(2, 3*2*3, col2imPositions([]int{5, 6}, []int{2, 3}, []int{1, 2}, []int{1, 0, 1, 2}, []int{2, 1})),
			tensors.Vector[int64](5, 6), tensors.Vector[int64](2, 3)}},
		{"Col2Im", nil, []*tensors.Tensor{cols(1, 2*3, col2imPositions([]int{7}, []int{3}, []int{1}, []int{0, 0}, []int{1})),
			tensors.Vector[int64](7), tensors.Vector[int64](3)}},
		{"Col2Im", attrs{ints("strides", 1, 2, 1)}, []*tensors.Tensor{cols(1, 2*2*2*2, col2imPositions([]int{3, 4, 3}, []int{2, 2, 2}, []int{1, 1, 1}, []int{0, 0, 0, 0, 0, 0}, []int{1, 2, 1})),
			tensors.Vector[int64](3, 4, 3), tensors.Vector[int64](2, 2, 2)}},
	}
	dir := t.TempDir()
	for ci, c := range cases {
		name := fmt.Sprintf("%s%v", c.op, c.in)
		path, names := ewModelFile(t, dir, ci, c.op, 18, c.attrs, c.in, c.in[0].DType())
		feeds := map[string]*tensor.Dense{}
		for i, x := range c.in {
			d, err := onnx.ToDense(x)
			if err != nil {
				t.Fatal(err)
			}
			feeds[names[i]] = d
		}
		got, want, ok := runWithORT(t, name, path, feeds)
		if !ok {
			continue
		}
		gt, _ := onnx.FromDense(got["y"])
		wt, _ := onnx.FromDense(want["y"])
		if gt.DType() != wt.DType() || !tensors.SameShape(gt.Shape(), wt.Shape()) {
			t.Errorf("%s: got %v, onnxruntime %v", name, gt, wt)
			continue
		}
		gv, _ := tensors.AsFloat64s(gt)
		wv, _ := tensors.AsFloat64s(wt)
		for i := range wv {
			if math.Abs(gv[i]-wv[i]) > 1e-5*(1+math.Abs(wv[i])) {
				t.Errorf("%s: element %d is %g, onnxruntime %g", name, i, gv[i], wv[i])
				break
			}
		}
	}

}

// col2imPositions is the number of sliding block positions (L) over an
// image.
func col2imPositions(image, block, dil, pads, strides []int) int {
	n := 1
	for i := range image {
		n *= (image[i]+pads[i]+pads[len(image)+i]-dil[i]*(block[i]-1)-1)/strides[i] + 1
	}
	return n
}
