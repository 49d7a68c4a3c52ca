package kernel

import "math"

// parallelMinElems is the length from which the activation kernels split
// their work across goroutines; below it, starting them costs more than
// it saves.
const parallelMinElems = 1 << 16

// Relu writes max(x, 0) into y (len(y) ≥ len(x)).
func Relu[T Float](x, y []T) {
	y = y[:len(x)]
	if len(x) < parallelMinElems {
		relu(x, y)
		return
	}
	l := getLoop[reluLoop[T]]()
	*l = reluLoop[T]{x: x, y: y}
	parallelRun(len(x), l)
	putLoop(l)
}

// reluLoop is the body of a parallel Relu.
type reluLoop[T Float] struct{ x, y []T }

func (l *reluLoop[T]) run(_, lo, hi int) { relu(l.x[lo:hi], l.y[lo:hi]) }

func relu[T Float](x, y []T) {
	y = y[:len(x)]
	done := 0
	if x32, ok := any(&x).(*[]float32); ok {
		done = relu32(*x32, *any(&y).(*[]float32))
	}
	for i := done; i < len(x); i++ {
		if v := x[i]; v < 0 {
			y[i] = 0
		} else {
			y[i] = v // NaN and -0 stay as they are
		}
	}
}

// addBias adds b to every element of x and then, with relu, applies relu
// in the same pass: a convolution's bias and Relu after its product.
func addBias[T Float](x []T, b T, relu bool) {
	done := 0
	if x32, ok := any(&x).(*[]float32); ok {
		done = addBias32(*x32, float32(b), relu)
	}
	for i := done; i < len(x); i++ {
		v := x[i] + b
		if relu && v < 0 {
			v = 0
		}
		x[i] = v
	}
}

// ReluGrad writes into dx the gradient of a ReLU from its output y and the
// output gradient dy: dy where y > 0, else 0.
func ReluGrad[T Float](y, dy, dx []T) {
	dy, dx = dy[:len(y)], dx[:len(y)]
	if len(y) < parallelMinElems {
		reluGrad(y, dy, dx)
		return
	}
	l := getLoop[reluGradLoop[T]]()
	*l = reluGradLoop[T]{y: y, dy: dy, dx: dx}
	parallelRun(len(y), l)
	putLoop(l)
}

// reluGradLoop is the body of a parallel ReluGrad.
type reluGradLoop[T Float] struct{ y, dy, dx []T }

func (l *reluGradLoop[T]) run(_, lo, hi int) { reluGrad(l.y[lo:hi], l.dy[lo:hi], l.dx[lo:hi]) }

func reluGrad[T Float](y, dy, dx []T) {
	done := 0
	if y32, ok := any(&y).(*[]float32); ok {
		done = reluGrad32(*y32, *any(&dy).(*[]float32), *any(&dx).(*[]float32))
	}
	for i := done; i < len(y); i++ {
		if y[i] > 0 {
			dx[i] = dy[i]
		} else {
			dx[i] = 0
		}
	}
}

// ActKind names an Activation.
type ActKind uint8

// The activations a convolution can apply as it computes its output.
const (
	ActNone        ActKind = iota
	ActClip                // min(max(x, A), B), NaN kept (ONNX Clip)
	ActHardSwish           // x·max(0, min(1, A·x + B)) (HardSigmoid(x)·x; HardSwish is A = 1/6, B = 0.5)
	ActSiLU                // x·sigmoid(x) (SiLU, Swish), with Sigmoid's vector kernel
	ActHardSigmoid         // max(0, min(1, A·x + B)) (HardSigmoid, as squeeze-excite blocks gate with)
)

// Activation is an elementwise function applied to a convolution's
// output block by block as it is computed (ConvParams.Act), in place of a
// separate pass over the whole output (forward only).
type Activation struct {
	Kind ActKind
	A, B float32
}

// ApplyActivation applies a to every element of x in place.
func ApplyActivation[T Float](a Activation, x []T) {
	if a.Kind == ActNone {
		return
	}
	if x32, ok := any(x).([]float32); ok {
		x = x[act32(a, x32):]
	}
	lo, hi := T(a.A), T(a.B)
	switch a.Kind {
	case ActClip:
		for i, v := range x {
			if v < lo {
				v = lo
			}
			if v > hi {
				v = hi
			}
			x[i] = v
		}
	case ActHardSwish:
		for i, v := range x {
			x[i] = v * max(0, min(1, lo*v+hi)) // builtin min/max keep NaN
		}
	case ActHardSigmoid:
		for i, v := range x {
			x[i] = max(0, min(1, lo*v+hi)) // as the HardSigmoid operator
		}
	case ActSiLU:
		// The same sigmoid as the Sigmoid operator, so the fused result
		// equals Sigmoid then Mul exactly; serial: this runs inside a
		// convolution's parallel blocks.
		var buf [256]T
		for len(x) > 0 {
			n := min(len(x), len(buf))
			transcendSerial(x[:n], buf[:n], false)
			for i := range n {
				x[i] *= buf[i]
			}
			x = x[n:]
		}
	}
}

// Add sets d[i] = x[i] + y[i] for i < len(d) (x and y hold at least
// len(d) elements; d may be x or y), in vector loops split across the
// workers when long: the residual additions of ResNets.
func Add[T Float](d, x, y []T) { add(d, x, y, false) }

// AddRelu sets d[i] = max(x[i] + y[i], 0) like Add (NaN kept, as Relu
// keeps it): a residual addition and the Relu after it in one pass.
func AddRelu[T Float](d, x, y []T) { add(d, x, y, true) }

func add[T Float](d, x, y []T, relu bool) {
	if len(d) == 0 {
		return
	}
	_, _ = x[len(d)-1], y[len(d)-1]
	l := getLoop[addLoop[T]]()
	*l = addLoop[T]{d: d, x: x, y: y, relu: relu}
	parts := (len(d) + addPart - 1) / addPart
	parallelRunFor(parts, len(d), l)
	putLoop(l)
}

// addPart is the number of elements in a part of an Add's loop.
const addPart = 1 << 12

// addLoop is the body of Add and AddRelu: a range of parts.
type addLoop[T Float] struct {
	d, x, y []T
	relu    bool
}

func (l *addLoop[T]) run(_, lo, hi int) {
	i0, i1 := lo*addPart, min(hi*addPart, len(l.d))
	d, x, y := l.d[i0:i1], l.x[i0:i1], l.y[i0:i1]
	switch {
	case &d[0] == &y[0]:
		// d += x (addition commutes, bit for bit).
		addRows(d, x, len(d), 1, 0, 0)
	case &d[0] != &x[0]:
		copy(d, x)
		fallthrough
	default:
		addRows(d, y, len(d), 1, 0, 0)
	}
	if l.relu {
		relu(d, d) // the part is still in L1
	}
}

// ScaleShiftRows is ScaleShift row by row: for each row r of y (rows of
// inner elements), y[r·inner+i] = x[r·inner+i]·a[r mod len(a)] + b[r mod
// len(b)], a nil a meaning 1 and a nil b −0 (as ScaleShift takes them:
// exact additions and products), the rows split across the workers when
// there are many elements: a per-channel BatchNormalization, Add or Mul
// over NCHW planes.
func ScaleShiftRows[T Float](x, y []T, inner int, a, b []T) {
	scaleShiftRows(x, y, inner, a, b, false)
}

// ScaleShiftRowsRelu is ScaleShiftRows followed by a Relu (max(·, 0), NaN
// and −0 kept), row by row while each is in cache: a BatchNormalization
// and the Relu after it.
func ScaleShiftRowsRelu[T Float](x, y []T, inner int, a, b []T) {
	scaleShiftRows(x, y, inner, a, b, true)
}

func scaleShiftRows[T Float](x, y []T, inner int, a, b []T, relu bool) {
	if inner <= 0 || len(y) == 0 {
		return
	}
	_ = x[len(y)-1]
	l := getLoop[scaleShiftRowsLoop[T]]()
	*l = scaleShiftRowsLoop[T]{x: x, y: y, inner: inner, a: a, b: b, relu: relu}
	// Split from a quarter of parallelMinWork on: the rows usually come
	// from a step both cores wrote, so each core fetching half of them
	// beats one fetching all (MobileNetV3's squeeze-excitation products
	// of 14K-28K elements, 0.157 → 0.112 ms for the nine).
	parallelRunFor(len(y)/inner, 4*len(y), l)
	putLoop(l)
}

// scaleShiftRowsLoop is the body of ScaleShiftRows: a range of rows.
type scaleShiftRowsLoop[T Float] struct {
	x, y, a, b []T
	inner      int
	relu       bool
}

func (l *scaleShiftRowsLoop[T]) run(_, lo, hi int) {
	period := max(len(l.a), len(l.b))
	if x32, ok := any(l.x).([]float32); ok && (len(l.a) == 0 || len(l.a) == period) && (len(l.b) == 0 || len(l.b) == period) {
		// Runs of rows within one period of a and b: one call each.
		y32, a32, b32 := any(l.y).([]float32), any(l.a).([]float32), any(l.b).([]float32)
		for r := lo; r < hi; {
			e := hi
			var ar, br []float32
			if period > 0 {
				e = min(hi, (r/period+1)*period)
			}
			if a32 != nil {
				ar = a32[r%len(a32):][:e-r]
			}
			if b32 != nil {
				br = b32[r%len(b32):][:e-r]
			}
			if !scaleShiftRows32(x32[r*l.inner:e*l.inner], y32[r*l.inner:e*l.inner], l.inner, e-r, ar, br, l.relu) {
				break
			}
			r = e
			lo = r
		}
	}
	negZero := T(math.Copysign(0, -1))
	for r := lo; r < hi; r++ {
		av, bv := T(1), negZero
		if l.a != nil {
			av = l.a[r%len(l.a)]
		}
		if l.b != nil {
			bv = l.b[r%len(l.b)]
		}
		o := r * l.inner
		ScaleShift(l.x[o:o+l.inner], l.y[o:o+l.inner], av, bv)
		if l.relu {
			relu(l.y[o:o+l.inner], l.y[o:o+l.inner])
		}
	}
}

// ScaleShift sets y[i] = x[i]·a + b for i < len(y) (x holds at least
// len(y) elements; y may be x). Float32 elements take one rounding (a
// fused multiply-add) where the CPU has FMA, else two. With a = 1 the
// result is x + b exactly as an addition rounds it, and with b = -0 it is
// x·a exactly as a product rounds it (-0 keeps the sign of a zero
// product): the binary operators with a scalar operand run on it.
func ScaleShift[T Float](x, y []T, a, b T) {
	x = x[:len(y)]
	if y32, ok := any(y).([]float32); ok && len(y) > 0 {
		a32, b32 := []float32{float32(a)}, []float32{float32(b)}
		if scaleShiftRows32(any(x).([]float32), y32, len(y), 1, a32, b32, false) {
			return
		}
	}
	done := 0
	switch {
	case a == 1:
		for i := done; i < len(y); i++ {
			y[i] = x[i] + b
		}
	case b == 0 && math.Signbit(float64(b)):
		for i := done; i < len(y); i++ {
			y[i] = x[i] * a
		}
	default:
		for i := done; i < len(y); i++ {
			y[i] = x[i]*a + b
		}
	}
}
