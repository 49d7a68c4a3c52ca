package ops

import (
	"errors"
	"testing"

	"github.com/onnxkit/onnxkit/onnx/onnxpb"
	"github.com/onnxkit/onnxkit/onnx/tensors"
)

// refConvTranspose computes ConvTranspose by its definition: each input
// element x[n,c,i] adds x*w[c,mo,k] at output position i*s + k*d - begin.
func refConvTranspose(x, w *tensors.Tensor, group int, s, d, begin, out []int) ([]int, []float64) {
	xs, ws := x.Shape(), w.Shape()
	nb, c, r := xs[0], xs[1], len(xs)-2
	mg := ws[1]
	m := mg * group
	cg := c / group
	shape := append([]int{nb, m}, out...)
	n, _ := tensors.NumElements(shape)
	y := make([]float64, n)
	xv, _ := tensors.AsFloat64s(x)
	wv, _ := tensors.AsFloat64s(w)
	xst, wst, yst := tensors.Strides(xs), tensors.Strides(ws), tensors.Strides(shape)
	xi := make([]int, len(xs))
	ki := make([]int, len(ws))
	for i, v := range xv {
		nnUnravel(i, xs, xi)
		g := xi[1] / cg
		for j, wk := range wv[xi[1]*wst[0] : (xi[1]+1)*wst[0]] {
			nnUnravel(j+xi[1]*wst[0], ws, ki)
			off, ok := xi[0]*yst[0]+(g*mg+ki[1])*yst[1], true
			for a := 0; a < r; a++ {
				o := xi[a+2]*s[a] + ki[a+2]*d[a] - begin[a]
				if o < 0 || o >= out[a] {
					ok = false
					break
				}
				off += o * yst[a+2]
			}
			if ok {
				y[off] += v * wk
			}
		}
	}
	_ = xst
	return shape, y
}

func TestConvTransposeMatchesDefinition(t *testing.T) {
	cases := []struct {
		name    string
		x, w    []int
		group   int
		attrs   []*onnxpb.AttributeProto
		s, d, b []int
		out     []int
	}{
		{"1d strided padded", []int{2, 2, 5}, []int{2, 3, 3}, 1,
			[]*onnxpb.AttributeProto{nnInts("strides", 2), nnInts("pads", 1, 2)},
			[]int{2}, []int{1}, []int{1}, []int{2*4 + 3 - 3}},
		{"2d groups dilations output_padding", []int{1, 4, 3, 4}, []int{4, 1, 2, 3}, 2,
			[]*onnxpb.AttributeProto{nnInt("group", 2), nnInts("strides", 3, 2), nnInts("dilations", 2, 1), nnInts("output_padding", 2, 1)},
			[]int{3, 2}, []int{2, 1}, []int{0, 0}, []int{3*2 + 2 + 3, 2*3 + 1 + 3}},
		{"2d output_shape", []int{1, 1, 3, 3}, []int{1, 2, 3, 3}, 1,
			[]*onnxpb.AttributeProto{nnInts("strides", 3, 2), nnInts("output_shape", 10, 8)},
			[]int{3, 2}, []int{1, 1}, []int{0, 0}, []int{10, 8}},
		{"2d SAME_LOWER", []int{1, 1, 3, 3}, []int{1, 2, 3, 3}, 1,
			[]*onnxpb.AttributeProto{nnStr("auto_pad", "SAME_LOWER"), nnInts("strides", 2, 2)},
			[]int{2, 2}, []int{1, 1}, []int{1, 1}, []int{6, 6}},
		{"3d groups pads", []int{2, 2, 2, 3, 2}, []int{2, 2, 2, 2, 3}, 2,
			[]*onnxpb.AttributeProto{nnInt("group", 2), nnInts("strides", 1, 2, 2), nnInts("pads", 0, 1, 1, 1, 0, 1)},
			[]int{1, 2, 2}, []int{1, 1, 1}, []int{0, 1, 1}, []int{1 + 2 - 1, 4 + 2 - 1, 2 + 3 - 2}},
	}
	for _, c := range cases {
		x, w := nnRand(1, c.x...), nnRand(2, c.w...)
		shape, want := refConvTranspose(x, w, c.group, c.s, c.d, c.b, c.out)
		for _, f32 := range []bool{false, true} {
			xi, wi := x, w
			if f32 {
				xi, wi = nnTo32(x), nnTo32(w)
			}
			out, err := runNode(t, node("ConvTranspose", []string{"x", "w"}, []string{"y"}, c.attrs...), 11, xi, wi)
			if err != nil {
				t.Fatalf("%s: %v", c.name, err)
			}
			nnClose(t, c.name, out[0], shape, want, 1e-5)
		}
	}
}

func TestConvTransposeBias(t *testing.T) {
	x, _ := tensors.New([]int{1, 1, 1}, []float32{2})
	w, _ := tensors.New([]int{1, 2, 1}, []float32{3, 4})
	b := tensors.Vector[float32](10, 20)
	out, err := runNode(t, node("ConvTranspose", []string{"x", "w", "b"}, []string{"y"}, nnInts("output_padding", 1), nnInts("strides", 2)), 11, x, w, b)
	if err != nil {
		t.Fatal(err)
	}
	// Output length 2*0+1+1 = 2; position 1 is reached by no input.
	nnClose(t, "bias", out[0], []int{1, 2, 2}, []float64{16, 10, 28, 20}, 0)
}

func TestConvTransposeHugeOutput(t *testing.T) {
	x := nnTo32(nnRand(1, 1, 1, 4, 4))
	w := nnTo32(nnRand(2, 1, 1, 3, 3))
	_, err := runNode(t, node("ConvTranspose", []string{"x", "w"}, []string{"y"}, nnInts("output_shape", 1<<20, 1<<20)), 11, x, w)
	if !errors.Is(err, tensors.ErrMemoryLimit) {
		t.Fatalf("got %v, want a memory limit error", err)
	}
	_, err = runNode(t, node("ConvTranspose", []string{"x", "w"}, []string{"y"}, nnInts("strides", 1<<19, 1<<19)), 11, x, w)
	if !errors.Is(err, tensors.ErrMemoryLimit) {
		t.Fatalf("got %v, want a memory limit error", err)
	}
}
