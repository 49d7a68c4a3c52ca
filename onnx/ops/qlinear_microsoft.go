package ops

import (
	"fmt"
	"math"

	"github.com/onnxkit/onnxkit/internal/kernel"
	"github.com/onnxkit/onnxkit/onnx/tensors"
)

// The quantized operators of domain com.microsoft that onnxruntime's
// quantizer writes for CNNs in QOperator format: QLinearAdd, QLinearMul,
// QLinearGlobalAveragePool and QLinearSigmoid. Their results are those of
// onnxruntime's MLAS kernels: the float32 arithmetic below, rounded half
// to even, plus the output zero point, saturated. Other com.microsoft
// operators (QLinearConcat, QLinearLeakyRelu, QGemm, ...) are reported as
// not implemented.

// DomainMicrosoft is the domain of onnxruntime's contributed operators.
const DomainMicrosoft = "com.microsoft"

func init() {
	for _, name := range []string{"QLinearAdd", "QLinearMul"} {
		mul := name == "QLinearMul"
		Register(Op{Domain: DomainMicrosoft, Type: name, Since: []int{1},
			Inputs: [2]int{7, 8}, Outputs: [2]int{1, 1},
			Prepare: func(n *Node) (Kernel, error) { return qlinearBinary(mul), nil },
			Infer: func(n *Node, in []tensors.Type) ([]tensors.Type, error) {
				out, err := InferBroadcast(tensors.Undefined)(&Node{Inputs: []string{"a", "b"}}, []tensors.Type{in[0], in[3]})
				if err != nil || len(out) == 0 {
					return out, err
				}
				out[0].DType = in[0].DType
				return out, nil
			},
		})
	}
	Register(Op{Domain: DomainMicrosoft, Type: "QLinearGlobalAveragePool", Since: []int{1},
		Inputs: [2]int{5, 5}, Outputs: [2]int{1, 1}, Attributes: []string{"channels_last"},
		Prepare: prepareQLinearGlobalAveragePool,
		Infer: func(n *Node, in []tensors.Type) ([]tensors.Type, error) {
			return []tensors.Type{{DType: in[0].DType}}, nil
		},
	})
	Register(Op{Domain: DomainMicrosoft, Type: "QLinearSigmoid", Since: []int{1},
		Inputs: [2]int{5, 5}, Outputs: [2]int{1, 1},
		Prepare: prepareQLinearSigmoid,
		Infer:   InferSame,
	})
}

// qscalar reads a per-tensor scale and zero point (of x's element type;
// nil is 0) for the quantized tensor named what.
func qscalar(what string, x, scale, zp *tensors.Tensor) (float32, int32, error) {
	s, err := scales(what, scale, 0, false)
	if err != nil {
		return 0, 0, err
	}
	z, err := zeroPoints(what, x, zp, 1)
	if err != nil {
		return 0, 0, err
	}
	return s[0], z[0], nil
}

// qlinearBinary is QLinearAdd or QLinearMul (A, A_scale, A_zero_point, B,
// B_scale, B_zero_point, C_scale, C_zero_point) with multidirectional
// broadcasting; C has A's element type.
func qlinearBinary(mul bool) Kernel {
	return func(in []*tensors.Tensor) ([]*tensors.Tensor, error) {
		a, b := in[0], in[3]
		if err := q8("A", a); err != nil {
			return nil, err
		}
		if b == nil || b.DType() != a.DType() {
			return nil, fmt.Errorf("B %v must have the element type of A %v", b, a)
		}
		sa, za, err := qscalar("A", a, in[1], in[2])
		if err != nil {
			return nil, err
		}
		sb, zb, err := qscalar("B", b, in[4], in[5])
		if err != nil {
			return nil, err
		}
		sc, zc, err := qscalar("C", a, in[6], Input(in, 7))
		if err != nil {
			return nil, err
		}
		y, err := qlinearBinaryOpFor[a.DType()](a, b, mul, [3]float32{sa, sb, sc}, [3]int32{za, zb, zc})
		return []*tensors.Tensor{y}, err
	}
}

// qlinearBinaryOp computes one QLinearAdd or QLinearMul over broadcast
// operands: add is (sa/sc)(a-za) + (sb/sc)(b-zb), mul is
// (a-za)(b-zb)·(sa·sb/sc), each rounded half to even, plus zc, saturated.
//
//dtypes:quant8
func qlinearBinaryOp[T int8 | uint8](a, b *tensors.Tensor, mul bool, s [3]float32, z [3]int32) (*tensors.Tensor, error) {
	lo, hi := qRange[T]()
	zc := float32(z[2])
	rac, rbc, rabc := s[0]/s[2], s[1]/s[2], s[0]*s[1]/s[2]
	// onnxruntime's vector kernel folds the zero points into one constant
	// and adds each scaled operand with a fused multiply-add.
	fixed := zc - (rac*float32(z[0]) + rbc*float32(z[1]))
	if !mul && a.DType() == tensors.Uint8 && tensors.SameShape(a.Shape(), b.Shape()) {
		out, dst, err := tensors.Make[uint8](a.Shape())
		if err != nil {
			return nil, err
		}
		av, bv := tensors.Data[uint8](a), tensors.Data[uint8](b)
		const chunk = 4096
		kernel.ParallelFor((len(dst)+chunk-1)/chunk, len(dst), func(c0, c1 int) {
			lo, hi := c0*chunk, min(c1*chunk, len(dst))
			kernel.QAddU8(av[lo:hi], bv[lo:hi], rac, rbc, fixed, 0, 255, dst[lo:hi])
		})
		return out, nil
	}
	return tensors.Binary(a, b, func(x, y T) T {
		var v, r float32
		if mul {
			dx, dy := float32(int32(x)-z[0]), float32(int32(y)-z[1])
			v = dx * dy * rabc
			r = float32(math.RoundToEven(float64(v))) + zc
		} else {
			v = fma32(float32(x), rac, fixed)
			v = fma32(float32(y), rbc, v)
			r = float32(math.RoundToEven(float64(v)))
		}
		return T(min(max(r, lo), hi))
	})
}

// fma32 is x·y + z rounded once to float32 (the product of two float32s
// is exact in float64).
func fma32(x, y, z float32) float32 { return float32(float64(x)*float64(y) + float64(z)) }

func prepareQLinearGlobalAveragePool(n *Node) (Kernel, error) {
	last := n.Attrs.Int("channels_last", 0) != 0
	if err := n.Attrs.Err(); err != nil {
		return nil, err
	}
	return func(in []*tensors.Tensor) ([]*tensors.Tensor, error) {
		x := in[0]
		if err := q8("X", x); err != nil {
			return nil, err
		}
		if x.Rank() < 3 {
			return nil, fmt.Errorf("X %v: want N×C×D1×… (or N×D1×…×C with channels_last)", x)
		}
		sx, zx, err := qscalar("x", x, in[1], in[2])
		if err != nil {
			return nil, err
		}
		sy, zy, err := qscalar("y", x, in[3], in[4])
		if err != nil {
			return nil, err
		}
		y, err := qlinearGlobalAvgFor[x.DType()](x, last, sx, zx, sy, zy)
		return []*tensors.Tensor{y}, err
	}, nil
}

// qlinearGlobalAvg averages each channel over the spatial axes: the int32
// sum less zx per element, times sx/(sy·count) in float32, rounded half to
// even, plus zy, saturated (onnxruntime's MlasQLinearGlobalAveragePool).
//
//dtypes:quant8
func qlinearGlobalAvg[T int8 | uint8](x *tensors.Tensor, channelsLast bool, sx float32, zx int32, sy float32, zy int32) (*tensors.Tensor, error) {
	xs := x.Shape()
	nImg, c := xs[0], xs[1]
	if channelsLast {
		c = xs[len(xs)-1]
	}
	count := x.Len() / max(nImg*c, 1)
	shape := make([]int, len(xs))
	for i := range shape {
		shape[i] = 1
	}
	shape[0] = nImg
	if channelsLast {
		shape[len(shape)-1] = c
	} else {
		shape[1] = c
	}
	out, dst, err := tensors.Make[T](shape)
	if err != nil || len(dst) == 0 {
		return out, err
	}
	src := tensors.Data[T](x)
	lo, hi := qRange[T]()
	scale := sx / (sy * float32(count))
	for img := 0; img < nImg; img++ {
		for ch := 0; ch < c; ch++ {
			var sum int32
			for i := 0; i < count; i++ {
				if channelsLast {
					sum += int32(src[(img*count+i)*c+ch])
				} else {
					sum += int32(src[(img*c+ch)*count+i])
				}
			}
			v := float32(sum-zx*int32(count)) * scale
			r := float32(math.RoundToEven(float64(v))) + float32(zy)
			dst[img*c+ch] = T(min(max(r, lo), hi))
		}
	}
	return out, nil
}

func prepareQLinearSigmoid(n *Node) (Kernel, error) {
	return func(in []*tensors.Tensor) ([]*tensors.Tensor, error) {
		x := in[0]
		if err := q8("X", x); err != nil {
			return nil, err
		}
		sx, zx, err := qscalar("X", x, in[1], in[2])
		if err != nil {
			return nil, err
		}
		sy, zy, err := qscalar("Y", x, in[3], in[4])
		if err != nil {
			return nil, err
		}
		y, err := qlinearLookupFor[x.DType()](x, func(v float32) float32 {
			return float32(1 / (1 + math.Exp(-float64(v))))
		}, sx, zx, sy, zy)
		return []*tensors.Tensor{y}, err
	}, nil
}

// qlinearLookup applies f to dequantized values through a 256-entry table,
// as onnxruntime does: each table entry is f(dequantize(v)) quantized with
// the output's scale and zero point.
//
//dtypes:quant8
func qlinearLookup[T int8 | uint8](x *tensors.Tensor, f func(float32) float32, sx float32, zx int32, sy float32, zy int32) (*tensors.Tensor, error) {
	lo, hi := qRange[T]()
	var table [256]T
	for i := range table {
		v := T(i) // every bit pattern of T
		y := f(float32(int32(v)-zx) * sx)
		table[uint8(v)] = T(quantizeValue(y, sy, float32(zy), lo, hi))
	}
	return tensors.Unary(x, func(v T) T { return table[uint8(v)] })
}
