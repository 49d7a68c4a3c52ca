package kernel

import "math"

// Sigmoid and tanh in float32.
//
// Both are built on one float32 exponential: e^t = 2^n · p(r) with
// n = round(t·log2 e), r = t - n·ln 2 (ln 2 split in a short high part,
// whose product with n is exact, and a low part; |r| ≤ ln2/2) and p the
// degree-7 Taylor polynomial of e^r, whose truncation error (< 6e-9
// relative) is well below float32's rounding. t is first clamped to
// [expLo, expHi], where n stays in [-126, 128] and 2^n is built directly
// from its exponent bits: 2^128 comes out as +Inf, which makes e^t
// overflow (to +Inf, for t > 88.38) exactly where the saturated results
// need it.
//
//	sigmoid(x) = 1 / (1 + e^-x)
//	tanh(x)    = sign(x) · (1 - 2/(e^2|x| + 1))   for |x| ≥ tanhSmall
//	           = x + x³·q(x²)                      for |x| < tanhSmall
//
// The second tanh form is a least-squares fit (q of degree 4, relative
// error 2e-9) on |x| < 0.55; above 0.55 the result is at least 0.5 and
// the subtraction loses nothing. The result is within 2.5 ulp of the
// exact value for every float32 input whose result is a normal float32
// (the tests sweep the whole range; the worst seen is 2.3 ulp for sigmoid
// of large negative x, 1.5 ulp for tanh): saturation (sigmoid → 0 or 1,
// tanh → ±1) comes out of the clamped exponential, NaN passes through
// unchanged, and results below the smallest normal float32 (sigmoid(x)
// for x < -87.3) are within 1e-38 of the exact value. The vector loops (AVX2 and
// AVX-512, transcend_amd64.s) compute exactly these steps with the same
// constants; the Go loops here do the elements they leave, and everything
// on other CPUs.
const (
	expLo     = -87.0
	expHi     = 89
	expLog2e  = 1.44269504
	expLn2Hi  = 0.693359375
	expLn2Lo  = -2.12194442e-4
	tanhSmall = 0.55
	tanhQ0    = -0.333333194
	tanhQ1    = 0.133326322
	tanhQ2    = -0.0538566634
	tanhQ3    = 0.0210881848
	tanhQ4    = -0.00629601208
)

// exp32 is e^t for t in [expLo, expHi].
func exp32(t float32) float32 {
	n := float32(math.RoundToEven(float64(t * expLog2e)))
	r := t - n*expLn2Hi
	r -= n * expLn2Lo
	p := float32(1.0 / 5040)
	p = p*r + 1.0/720
	p = p*r + 1.0/120
	p = p*r + 1.0/24
	p = p*r + 1.0/6
	p = p*r + 0.5
	p = p*r + 1
	p = p*r + 1
	return p * math.Float32frombits(uint32(int32(n)+127)<<23)
}

// sigmoid32 is the scalar float32 sigmoid.
func sigmoid32(x float32) float32 {
	if x != x {
		return x
	}
	t := min(max(-x, expLo), expHi)
	return 1 / (1 + exp32(t))
}

// tanh32 is the scalar float32 tanh.
func tanh32(x float32) float32 {
	if x != x {
		return x
	}
	a := float32(math.Abs(float64(x)))
	var y float32
	if a < tanhSmall {
		s := a * a
		q := float32(tanhQ4)
		q = q*s + tanhQ3
		q = q*s + tanhQ2
		q = q*s + tanhQ1
		q = q*s + tanhQ0
		y = a*s*q + a
	} else {
		y = 1 - 2/(exp32(min(a+a, expHi))+1)
	}
	return float32(math.Copysign(float64(y), float64(x)))
}

// sigmoid64 is the float64 sigmoid, without overflow for large |x|.
func sigmoid64(x float64) float64 {
	if x >= 0 {
		return 1 / (1 + math.Exp(-x))
	}
	e := math.Exp(x)
	return e / (1 + e)
}

// Sigmoid writes 1/(1 + e^-x) of every element of x into y (len(y) ≥
// len(x); y may be x). float32 runs the vector kernel described above
// (within 2 ulp), float64 runs package math.
func Sigmoid[T Float](x, y []T) { transcend(x, y, false) }

// Tanh writes tanh of every element of x into y (len(y) ≥ len(x); y may
// be x), with Sigmoid's precision.
func Tanh[T Float](x, y []T) { transcend(x, y, true) }

func transcend[T Float](x, y []T, tanh bool) {
	y = y[:len(x)]
	if len(x) < parallelMinElems/4 {
		transcendSerial(x, y, tanh)
		return
	}
	l := getLoop[transcendLoop[T]]()
	*l = transcendLoop[T]{x: x, y: y, tanh: tanh}
	parallelRun(len(x), l)
	putLoop(l)
}

// transcendLoop is the body of a parallel Sigmoid or Tanh.
type transcendLoop[T Float] struct {
	x, y []T
	tanh bool
}

func (l *transcendLoop[T]) run(_, lo, hi int) { transcendSerial(l.x[lo:hi], l.y[lo:hi], l.tanh) }

func transcendSerial[T Float](x, y []T, tanh bool) {
	if x32, ok := any(x).([]float32); ok {
		y32 := any(y).([]float32)
		var done int
		if tanh {
			done = tanhVec32(x32, y32)
			for i := done; i < len(x32); i++ {
				y32[i] = tanh32(x32[i])
			}
		} else {
			done = sigmoidVec32(x32, y32)
			for i := done; i < len(x32); i++ {
				y32[i] = sigmoid32(x32[i])
			}
		}
		return
	}
	if tanh {
		for i, v := range x {
			y[i] = T(math.Tanh(float64(v)))
		}
		return
	}
	for i, v := range x {
		y[i] = T(sigmoid64(float64(v)))
	}
}
