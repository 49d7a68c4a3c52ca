package ops

import (
	"math"
	"testing"

	"github.com/onnxkit/onnxkit/onnx/tensors"
)

func TestDFT(t *testing.T) {
	// Length 3 (direct) and 4 (FFT) transforms of [1, 2, 3(, 4)].
	for _, n := range []int{3, 4} {
		v := make([]float64, n)
		for i := range v {
			v[i] = float64(i + 1)
		}
		x, _ := tensors.New([]int{1, n, 1}, v)
		out, err := runNode(t, node("DFT", []string{"x"}, []string{"y"}), 17, x)
		if err != nil {
			t.Fatal(err)
		}
		want := make([]float64, 0, 2*n)
		for k := 0; k < n; k++ {
			var re, im float64
			for j, s := range v {
				a := -2 * math.Pi * float64(k*j) / float64(n)
				re += s * math.Cos(a)
				im += s * math.Sin(a)
			}
			want = append(want, re, im)
		}
		nnClose(t, "dft", out[0], []int{1, n, 2}, want, 1e-9)
		// The inverse of the transform gives the signal back.
		back, err := runNode(t, node("DFT", []string{"x"}, []string{"y"}, nnInt("inverse", 1)), 17, out[0])
		if err != nil {
			t.Fatal(err)
		}
		round := make([]float64, 0, 2*n)
		for _, s := range v {
			round = append(round, s, 0)
		}
		nnClose(t, "idft", back[0], []int{1, n, 2}, round, 1e-9)
		// Onesided with a zero-padding dft_length.
		one, err := runNode(t, node("DFT", []string{"x", "l"}, []string{"y"}, nnInt("onesided", 1)), 17, x, tensors.Scalar[int64](8))
		if err != nil {
			t.Fatal(err)
		}
		if s := one[0].Shape(); s[1] != 5 {
			t.Errorf("onesided length-8 DFT has %d bins, want 5", s[1])
		}
	}
}

func TestWindowsAndSTFT(t *testing.T) {
	out, err := runNode(t, node("HannWindow", []string{"n"}, []string{"y"}, nnInt("periodic", 0)), 17, tensors.Scalar[int64](5))
	if err != nil {
		t.Fatal(err)
	}
	nnClose(t, "hann symmetric", out[0], []int{5}, []float64{0, 0.5, 1, 0.5, 0}, 1e-7)
	out, err = runNode(t, node("BlackmanWindow", []string{"n"}, []string{"y"}, nnInt("output_datatype", int64(tensors.Float64))), 17, tensors.Scalar[int32](4))
	if err != nil {
		t.Fatal(err)
	}
	nnClose(t, "blackman periodic", out[0], []int{4}, []float64{0, 0.34, 1, 0.34}, 1e-12)
	// STFT of a constant signal with a rectangular window: all energy in bin 0.
	x, _ := tensors.New([]int{1, 6, 1}, []float32{1, 1, 1, 1, 1, 1})
	out, err = runNode(t, node("STFT", []string{"x", "s", "", "l"}, []string{"y"}), 17, x, tensors.Scalar[int64](2), nil, tensors.Scalar[int64](4))
	if err != nil {
		t.Fatal(err)
	}
	nnClose(t, "stft", out[0], []int{1, 2, 3, 2}, []float64{4, 0, 0, 0, 0, 0, 4, 0, 0, 0, 0, 0}, 1e-6)
	if _, err := runNode(t, node("STFT", []string{"x", "s", "", "l"}, []string{"y"}), 17, x, tensors.Scalar[int64](0), nil, tensors.Scalar[int64](4)); err == nil {
		t.Error("frame_step 0 accepted")
	}
}

func TestDFTLengths(t *testing.T) {
	// Bluestein (lengths 65..) against the direct sum.
	for _, n := range []int{65, 100, 127} {
		x := make([]complex128, n)
		for i := range x {
			x[i] = complex(math.Sin(float64(i)*0.37), math.Cos(float64(i*i)*0.01))
		}
		got := dft(x, n, false)
		for k := 0; k < n; k++ {
			var want complex128
			for j, v := range x {
				a := -2 * math.Pi * float64(k*j) / float64(n)
				want += v * complex(math.Cos(a), math.Sin(a))
			}
			if d := got[k] - want; math.Hypot(real(d), imag(d)) > 1e-9*float64(n) {
				t.Fatalf("n=%d bin %d: got %v, want %v", n, k, got[k], want)
			}
		}
	}
}
