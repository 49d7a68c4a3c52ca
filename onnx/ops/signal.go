package ops

import (
	"fmt"
	"math"
	"math/cmplx"
	"slices"

	"github.com/onnxkit/onnxkit/onnx/tensors"
)

// Signal processing (opset 17): DFT, STFT, the HannWindow, HammingWindow
// and BlackmanWindow generators and MelWeightMatrix. Complex values are a
// trailing axis of 2 (real, imaginary); real input has a trailing axis of
// 1. Transforms are computed in float64 by radix-2 FFTs (Bluestein's
// algorithm for lengths that are not powers of two, directly when short).
func init() {
	Register(Op{Type: "DFT", Since: []int{17}, Prepare: prepareDFT})
	Register(Op{Type: "STFT", Since: []int{17}, Prepare: prepareSTFT})
	for _, w := range []struct {
		name string
		fn   func(k, d float64) float64
	}{
		{"HannWindow", func(k, d float64) float64 { return 0.5 - 0.5*math.Cos(2*math.Pi*k/d) }},
		{"HammingWindow", func(k, d float64) float64 { return 25.0/46 - 21.0/46*math.Cos(2*math.Pi*k/d) }},
		{"BlackmanWindow", func(k, d float64) float64 {
			return 0.42 - 0.5*math.Cos(2*math.Pi*k/d) + 0.08*math.Cos(4*math.Pi*k/d)
		}},
	} {
		fn := w.fn
		Register(Op{Type: w.name, Since: []int{17}, Prepare: func(n *Node) (Kernel, error) { return prepareWindow(n, fn) }})
	}
	Register(Op{Type: "MelWeightMatrix", Since: []int{17}, Prepare: prepareMel})
}

// maxSignal bounds transform and window lengths.
const maxSignal = 1 << 26

// scalarInt reads a one-element integer input.
func scalarInt(t *tensors.Tensor, what string) (int64, error) {
	v, err := tensors.AsInt64s(t)
	if err != nil {
		return 0, fmt.Errorf("input %s: %w", what, err)
	}
	if len(v) != 1 {
		return 0, fmt.Errorf("input %s must hold one value, got shape %s", what, tensors.FormatShape(t.Shape()))
	}
	return v[0], nil
}

// scalarFloat reads a one-element numeric input.
func scalarFloat(t *tensors.Tensor, what string) (float64, error) {
	v, err := tensors.AsFloat64s(t)
	if err != nil {
		return 0, fmt.Errorf("input %s: %w", what, err)
	}
	if len(v) != 1 {
		return 0, fmt.Errorf("input %s must hold one value, got shape %s", what, tensors.FormatShape(t.Shape()))
	}
	return v[0], nil
}

// checkDFTScratch bounds the scratch space of a length-n transform (up to
// four complex arrays of the padded length 4n for Bluestein's algorithm).
func checkDFTScratch(n int) error {
	if _, err := tensors.CheckSize(tensors.Float64, []int{32, n}); err != nil {
		return fmt.Errorf("transform of length %d: scratch: %w", n, err)
	}
	return nil
}

// dft transforms x (any length) into a fresh slice of length n (x is
// zero-padded or truncated to n).
func dft(x []complex128, n int, inverse bool) []complex128 {
	in := make([]complex128, n)
	copy(in, x)
	sign := -1.0
	if inverse {
		sign = 1
	}
	var out []complex128
	switch {
	case n > 0 && n&(n-1) == 0:
		out = fft(in, sign)
	case n <= 64:
		out = make([]complex128, n)
		for k := 0; k < n; k++ {
			var s complex128
			for j, v := range in {
				s += v * cmplx.Rect(1, sign*2*math.Pi*float64((k*j)%n)/float64(n))
			}
			out[k] = s
		}
	default:
		out = bluestein(in, sign)
	}
	if inverse {
		for i := range out {
			out[i] /= complex(float64(n), 0)
		}
	}
	return out
}

// bluestein transforms a sequence of any length n as a convolution with a
// chirp, computed by power-of-two FFTs of length m >= 2n-1.
func bluestein(x []complex128, sign float64) []complex128 {
	n := len(x)
	m := 1
	for m < 2*n-1 {
		m <<= 1
	}
	chirp := make([]complex128, n)
	for k := range chirp {
		// k² mod 2n keeps the angle accurate for large k.
		k2 := (k * k) % (2 * n)
		chirp[k] = cmplx.Rect(1, sign*math.Pi*float64(k2)/float64(n))
	}
	a, b := make([]complex128, m), make([]complex128, m)
	for k, v := range x {
		a[k] = v * chirp[k]
	}
	b[0] = cmplx.Conj(chirp[0])
	for k := 1; k < n; k++ {
		b[k] = cmplx.Conj(chirp[k])
		b[m-k] = b[k]
	}
	fa, fb := fft(a, -1), fft(b, -1)
	for i := range fa {
		fa[i] *= fb[i]
	}
	conv := fft(fa, 1)
	out := make([]complex128, n)
	for k := range out {
		out[k] = conv[k] / complex(float64(m), 0) * chirp[k]
	}
	return out
}

// fft is a recursive radix-2 transform of a power-of-two length.
func fft(x []complex128, sign float64) []complex128 {
	n := len(x)
	if n == 1 {
		return []complex128{x[0]}
	}
	even, odd := make([]complex128, n/2), make([]complex128, n/2)
	for i := 0; i < n/2; i++ {
		even[i], odd[i] = x[2*i], x[2*i+1]
	}
	e, o := fft(even, sign), fft(odd, sign)
	out := make([]complex128, n)
	for k := 0; k < n/2; k++ {
		t := cmplx.Rect(1, sign*2*math.Pi*float64(k)/float64(n)) * o[k]
		out[k], out[k+n/2] = e[k]+t, e[k]-t
	}
	return out
}

func prepareDFT(n *Node) (Kernel, error) {
	axis := n.Attrs.Int("axis", 1)
	inverse := n.Attrs.Int("inverse", 0) != 0
	onesided := n.Attrs.Int("onesided", 0) != 0
	if err := n.Attrs.Err(); err != nil {
		return nil, err
	}
	return func(in []*tensors.Tensor) ([]*tensors.Tensor, error) {
		x := in[0]
		xs := x.Shape()
		r := len(xs)
		if r < 2 || (xs[r-1] != 1 && xs[r-1] != 2) {
			return nil, fmt.Errorf("input %s must end in an axis of 1 (real) or 2 (complex)", tensors.FormatShape(xs))
		}
		a, err := tensors.NormalizeAxis(axis, r-1)
		if err != nil {
			return nil, fmt.Errorf("attribute axis: %w", err)
		}
		if a == 0 && r > 2 {
			return nil, fmt.Errorf("attribute axis %d is the batch axis", axis)
		}
		v, err := floatInput(x, "input")
		if err != nil {
			return nil, err
		}
		length := xs[a]
		if t := Input(in, 1); t != nil && t.Len() > 0 {
			l, err := scalarInt(t, "dft_length")
			if err != nil {
				return nil, err
			}
			if l < 1 || l > maxSignal {
				return nil, fmt.Errorf("input dft_length = %d is out of range", l)
			}
			length = int(l)
		}
		if onesided && xs[r-1] == 2 {
			return nil, fmt.Errorf("onesided transforms take real input: %w", tensors.ErrUnsupported)
		}
		bins := length
		if onesided {
			bins = length/2 + 1
		}
		if err := checkDFTScratch(length); err != nil {
			return nil, err
		}
		out := slices.Clone(xs)
		out[a], out[r-1] = bins, 2
		if _, err := tensors.CheckSize(x.DType(), out); err != nil {
			return nil, fmt.Errorf("output: %w", err)
		}
		outer, inner := prodInts(xs[:a]), prodInts(xs[a+1:r-1])
		cplx := xs[r-1]
		y := make([]float64, prodInts(out))
		sig := make([]complex128, xs[a])
		for o := 0; o < outer; o++ {
			for i := 0; i < inner; i++ {
				for k := range sig {
					p := ((o*xs[a]+k)*inner + i) * cplx
					if cplx == 2 {
						sig[k] = complex(v[p], v[p+1])
					} else {
						sig[k] = complex(v[p], 0)
					}
				}
				res := dft(sig, length, inverse)
				for k := 0; k < bins; k++ {
					p := ((o*bins+k)*inner + i) * 2
					y[p], y[p+1] = real(res[k]), imag(res[k])
				}
			}
		}
		t, err := fromFloat64s(x.DType(), out, y)
		return []*tensors.Tensor{t}, err
	}, nil
}

func prepareSTFT(n *Node) (Kernel, error) {
	onesided := n.Attrs.Int("onesided", 1) != 0
	if err := n.Attrs.Err(); err != nil {
		return nil, err
	}
	return func(in []*tensors.Tensor) ([]*tensors.Tensor, error) {
		x := in[0]
		xs := x.Shape()
		if len(xs) != 3 || (xs[2] != 1 && xs[2] != 2) {
			return nil, fmt.Errorf("input signal %s must be [batch, length, 1 or 2]", tensors.FormatShape(xs))
		}
		v, err := floatInput(x, "signal")
		if err != nil {
			return nil, err
		}
		step, err := scalarInt(in[1], "frame_step")
		if err != nil {
			return nil, err
		}
		var window []float64
		if t := Input(in, 2); t != nil {
			if t.Rank() != 1 {
				return nil, fmt.Errorf("input window %s must be 1-D", tensors.FormatShape(t.Shape()))
			}
			if window, err = floatInput(t, "window"); err != nil {
				return nil, err
			}
		}
		frame := int64(len(window))
		if t := Input(in, 3); t != nil {
			if frame, err = scalarInt(t, "frame_length"); err != nil {
				return nil, err
			}
			if window != nil && int64(len(window)) != frame {
				return nil, fmt.Errorf("input window has %d values, frame_length is %d", len(window), frame)
			}
		}
		if window == nil && Input(in, 3) == nil {
			return nil, fmt.Errorf("neither window nor frame_length is given")
		}
		if step < 1 || frame < 1 || frame > int64(xs[1]) {
			return nil, fmt.Errorf("frame_step %d and frame_length %d must be positive, the frame at most the signal length %d", step, frame, xs[1])
		}
		if onesided && xs[2] == 2 {
			return nil, fmt.Errorf("onesided transforms take real input: %w", tensors.ErrUnsupported)
		}
		fl := int(frame)
		if err := checkDFTScratch(fl); err != nil {
			return nil, err
		}
		frames := (xs[1]-fl)/int(step) + 1
		bins := fl
		if onesided {
			bins = fl/2 + 1
		}
		out := []int{xs[0], frames, bins, 2}
		if _, err := tensors.CheckSize(x.DType(), out); err != nil {
			return nil, fmt.Errorf("output: %w", err)
		}
		y := make([]float64, prodInts(out))
		sig := make([]complex128, fl)
		c := xs[2]
		for b := 0; b < xs[0]; b++ {
			for f := 0; f < frames; f++ {
				for k := 0; k < fl; k++ {
					p := (b*xs[1] + f*int(step) + k) * c
					s := complex(v[p], 0)
					if c == 2 {
						s = complex(v[p], v[p+1])
					}
					if window != nil {
						s *= complex(window[k], 0)
					}
					sig[k] = s
				}
				res := dft(sig, fl, false)
				for k := 0; k < bins; k++ {
					p := ((b*frames+f)*bins + k) * 2
					y[p], y[p+1] = real(res[k]), imag(res[k])
				}
			}
		}
		t, err := fromFloat64s(x.DType(), out, y)
		return []*tensors.Tensor{t}, err
	}, nil
}

// readOutputType reads output_datatype (default float).
func readOutputType(n *Node) (tensors.DType, error) {
	dt := tensors.DType(n.Attrs.Int("output_datatype", int(tensors.Float32)))
	if err := n.Attrs.Err(); err != nil {
		return 0, err
	}
	if !dt.IsNumeric() {
		return 0, fmt.Errorf("attribute output_datatype %v is not supported: %w", dt, tensors.ErrUnsupported)
	}
	return dt, nil
}

func prepareWindow(n *Node, fn func(k, d float64) float64) (Kernel, error) {
	periodic := n.Attrs.Int("periodic", 1) != 0
	dt, err := readOutputType(n)
	if err != nil {
		return nil, err
	}
	return func(in []*tensors.Tensor) ([]*tensors.Tensor, error) {
		size, err := scalarInt(in[0], "size")
		if err != nil {
			return nil, err
		}
		if size < 0 || size > maxSignal {
			return nil, fmt.Errorf("input size = %d is out of range", size)
		}
		if _, err := tensors.CheckSize(tensors.Float64, []int{int(size)}); err != nil {
			return nil, fmt.Errorf("output: %w", err)
		}
		d := float64(size)
		if !periodic {
			d--
		}
		v := make([]float64, size)
		for k := range v {
			v[k] = fn(float64(k), d)
		}
		if size == 1 {
			v[0] = 1
		}
		t, err := CastTensor(tensors.Vector(v...), dt)
		return []*tensors.Tensor{t}, err
	}, nil
}

func prepareMel(n *Node) (Kernel, error) {
	dt, err := readOutputType(n)
	if err != nil {
		return nil, err
	}
	return func(in []*tensors.Tensor) ([]*tensors.Tensor, error) {
		bins, err := scalarInt(in[0], "num_mel_bins")
		if err != nil {
			return nil, err
		}
		length, err := scalarInt(in[1], "dft_length")
		if err != nil {
			return nil, err
		}
		rate, err := scalarInt(in[2], "sample_rate")
		if err != nil {
			return nil, err
		}
		lo, err := scalarFloat(in[3], "lower_edge_hertz")
		if err != nil {
			return nil, err
		}
		hi, err := scalarFloat(in[4], "upper_edge_hertz")
		if err != nil {
			return nil, err
		}
		if bins < 1 || bins > 1<<16 || length < 1 || length > maxSignal || rate < 1 || !(lo >= 0) || !(hi > lo) || math.IsInf(hi, 0) {
			return nil, fmt.Errorf("num_mel_bins %d, dft_length %d, sample_rate %d, lower_edge_hertz %g, upper_edge_hertz %g are out of range", bins, length, rate, lo, hi)
		}
		spec := int(length/2 + 1)
		nb := int(bins)
		out := []int{spec, nb}
		if _, err := tensors.CheckSize(tensors.Float64, out); err != nil {
			return nil, fmt.Errorf("output: %w", err)
		}
		mel := func(f float64) float64 { return 2595 * math.Log10(1+f/700) }
		lm, hm := mel(lo), mel(hi)
		// As the ONNX reference: the mel range divided into num_mel_bins+2
		// steps (the last point falls short of upper_edge_hertz).
		step := (hm - lm) / float64(nb+2)
		pts := make([]int, nb+2)
		for i := range pts {
			f := 700 * (math.Pow(10, (float64(i)*step+lm)/2595) - 1)
			// Points far outside the spectrum only matter through the
			// slopes they give inside; ±2^40 keeps them exact enough.
			pts[i] = int(max(-1<<40, min(1<<40, math.Floor(float64(length+1)*f/float64(rate)))))
		}
		w := make([]float64, spec*nb)
		for i := 0; i < nb; i++ {
			l, c, h := pts[i], pts[i+1], pts[i+2]
			if c == l {
				if c >= 0 && c < spec {
					w[c*nb+i] = 1
				}
			} else {
				for j := max(l, 0); j <= min(c, spec-1); j++ {
					w[j*nb+i] = float64(j-l) / float64(c-l)
				}
			}
			if h > c {
				for j := max(c, 0); j < min(h, spec); j++ {
					w[j*nb+i] = float64(h-j) / float64(h-c)
				}
			}
		}
		t, err := tensors.New(out, w)
		if err != nil {
			return nil, err
		}
		t, err = CastTensor(t, dt)
		return []*tensors.Tensor{t}, err
	}, nil
}
