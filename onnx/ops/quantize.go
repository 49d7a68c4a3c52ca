package ops

import (
	"fmt"
	"math"
	"unsafe"

	"github.com/onnxkit/onnxkit/internal/kernel"
	"github.com/onnxkit/onnxkit/onnx/tensors"
)

// Linear quantization: QuantizeLinear, DequantizeLinear (per tensor, and
// from version 13 per axis) and DynamicQuantizeLinear, with 8-bit integer
// tensors (int8, uint8) and float32 scales.
//
// QuantizeLinear computes y = saturate(round(x / scale) + zero_point) in
// float32, rounding halves to even; DequantizeLinear computes
// y = (x - zero_point) * scale. Scales must be finite and non-zero, zero
// points have the shape of their scale, and a per-axis scale has one entry
// per index of the axis.

func init() {
	Register(Op{
		Type:    "QuantizeLinear",
		Since:   []int{10, 13},
		Prepare: prepareQuantize,
		Infer: func(n *Node, in []tensors.Type) ([]tensors.Type, error) {
			t := in[0]
			t.DType = tensors.Uint8
			if n.HasInput(2) {
				t.DType = in[2].DType
			}
			return []tensors.Type{t}, nil
		},
	})
	Register(Op{
		Type:    "DequantizeLinear",
		Since:   []int{10, 13},
		Prepare: prepareDequantize,
		Infer: func(n *Node, in []tensors.Type) ([]tensors.Type, error) {
			t := in[0]
			t.DType = tensors.Float32
			return []tensors.Type{t}, nil
		},
	})
	Register(Op{
		Type:    "DynamicQuantizeLinear",
		Since:   []int{11},
		Prepare: prepareDynamicQuantize,
		Infer: func(n *Node, in []tensors.Type) ([]tensors.Type, error) {
			t := in[0]
			t.DType = tensors.Uint8
			s := tensors.Type{DType: tensors.Float32, RankKnown: true, Dims: []tensors.Dim{}}
			z := tensors.Type{DType: tensors.Uint8, RankKnown: true, Dims: []tensors.Dim{}}
			return []tensors.Type{t, s, z}, nil
		},
	})
}

// qparams are the scale and zero point of a quantized tensor: one pair per
// tensor, or one per index of axis.
type qparams struct {
	scale []float32
	zp    []int32
	zdt   tensors.DType // element type of the zero point (of the quantized data)
	axis  int           // -1: per tensor
}

// readQParams checks the scale and zero point of the quantized tensor x
// (named what) for an operator that allows a per-axis scale when perAxis
// is set (axis is then the attribute's value). zp may be nil (zero, of
// type zdef).
func readQParams(what string, x, scale, zp *tensors.Tensor, perAxis bool, axis int, zdef tensors.DType, zTypes ...tensors.DType) (qparams, error) {
	p := qparams{axis: -1, zdt: zdef}
	if scale == nil {
		return p, fmt.Errorf("%s scale is missing", what)
	}
	if scale.DType() != tensors.Float32 && !scale.DType().IsHalf() {
		return p, fmt.Errorf("%s scale %v: want float32", what, scale)
	}
	sv := tensors.Data[float32](tensors.HalfToFloat32(scale))
	if scale.Rank() > 1 || len(sv) == 0 {
		return p, fmt.Errorf("%s scale %v: want a scalar or a 1-D tensor of one scale per channel", what, scale)
	}
	if len(sv) > 1 { // a 1-element vector is a per-tensor scale, as in onnxruntime
		if !perAxis {
			return p, fmt.Errorf("%s scale %v: this operator version takes one scale per tensor (a scalar)", what, scale)
		}
		a, err := tensors.NormalizeAxis(axis, x.Rank())
		if err != nil {
			return p, fmt.Errorf("%s: attribute \"axis\": %w", what, err)
		}
		if x.Shape()[a] != len(sv) {
			return p, fmt.Errorf("%s scale %v: want %d scales, one per index of axis %d of %v", what, scale, x.Shape()[a], a, x)
		}
		p.axis = a
	}
	for i, s := range sv {
		if s == 0 || math.IsNaN(float64(s)) || math.IsInf(float64(s), 0) {
			return p, fmt.Errorf("%s scale[%d] = %g: a scale must be finite and non-zero", what, i, s)
		}
	}
	p.scale = sv
	p.zp = make([]int32, len(sv))
	if zp == nil {
		return p, nil
	}
	ok := false
	for _, t := range zTypes {
		ok = ok || zp.DType() == t
	}
	if !ok {
		return p, tensors.ErrDType(what+" zero point", zp.DType(), zTypes...)
	}
	if zp.Len() != len(sv) || zp.Rank() != scale.Rank() && !(zp.Len() == 1 && scale.Len() == 1 && zp.Rank() <= 1) {
		return p, fmt.Errorf("%s zero point %v does not match scale %v", what, zp, scale)
	}
	z, err := tensors.AsInt64s(zp)
	if err != nil {
		return p, fmt.Errorf("%s zero point: %w", what, err)
	}
	for i, v := range z {
		p.zp[i] = int32(v)
	}
	p.zdt = zp.DType()
	return p, nil
}

// layout returns how the channels of p lie in a tensor of shape: outer
// blocks, channels per block and elements per channel run.
func (p *qparams) layout(shape []int) (outer, ch, inner int) {
	if p.axis < 0 {
		n := 1
		for _, d := range shape {
			n *= d
		}
		return 1, 1, n
	}
	outer, inner = 1, 1
	for _, d := range shape[:p.axis] {
		outer *= d
	}
	for _, d := range shape[p.axis+1:] {
		inner *= d
	}
	return outer, shape[p.axis], inner
}

// quantAxis reads the axis attribute of versions 13+.
func quantAxis(n *Node) int {
	if n.Since >= 13 {
		return n.Attrs.Int("axis", 1)
	}
	return 1
}

func prepareQuantize(n *Node) (Kernel, error) {
	axis := quantAxis(n)
	if err := n.Attrs.Err(); err != nil {
		return nil, err
	}
	return n.Recycling(func(in, last []*tensors.Tensor) ([]*tensors.Tensor, error) {
		x := in[0]
		if x.DType() != tensors.Float32 && x.DType() != tensors.Int32 {
			return nil, tensors.ErrDType("x", x.DType(), tensors.Float32, tensors.Int32)
		}
		p, err := readQParams("y", x, in[1], Input(in, 2), n.Since >= 13, axis, tensors.Uint8, tensors.Uint8, tensors.Int8)
		if err != nil {
			return nil, err
		}
		xf, err := CastTensor(x, tensors.Float32)
		if err != nil {
			return nil, err
		}
		y, err := quantizeFor[p.zdt](tensors.Data[float32](xf), x.Shape(), &p, last)
		return []*tensors.Tensor{y}, err
	}), nil
}

// quantize computes saturate(round_half_even(x / scale) + zero_point).
//
//dtypes:quant8
func quantize[T int8 | uint8](x []float32, shape []int, p *qparams, last []*tensors.Tensor) (*tensors.Tensor, error) {
	out, dst, err := Recycle[T](last, 0, shape)
	if err != nil {
		return nil, err
	}
	lo, hi := qRange[T]()
	outer, ch, inner := p.layout(shape)
	// int8 results are written as their bytes.
	var d8 []uint8
	if len(dst) > 0 {
		d8 = unsafe.Slice((*uint8)(unsafe.Pointer(&dst[0])), len(dst))
	}
	if ch == 1 { // one scale: any split of the values will do
		inner = 4096
		outer = (len(x) + inner - 1) / inner
	}
	kernel.ParallelFor(outer*ch, len(x), func(r0, r1 int) {
		for row := r0; row < r1; row++ {
			c := row % ch
			end := min((row+1)*inner, len(x))
			kernel.Quantize8(x[row*inner:end], p.scale[c], int32(p.zp[c]), int32(lo), int32(hi), d8[row*inner:end])
		}
	})
	return out, nil
}

// quantizeValue is one element of QuantizeLinear: x / s rounded half to
// even, plus z, clamped to [lo, hi]; NaN gives z.
func quantizeValue(x, s, z, lo, hi float32) int32 {
	v := x / s
	if v != v {
		return int32(z)
	}
	r := float32(math.RoundToEven(float64(v))) + z
	return int32(min(max(r, lo), hi))
}

// qRange returns the limits of T as float32s.
func qRange[T int8 | uint8]() (float32, float32) {
	var z T
	if _, ok := any(z).(int8); ok {
		return math.MinInt8, math.MaxInt8
	}
	return 0, math.MaxUint8
}

func prepareDequantize(n *Node) (Kernel, error) {
	axis := quantAxis(n)
	if err := n.Attrs.Err(); err != nil {
		return nil, err
	}
	return n.Recycling(func(in, last []*tensors.Tensor) ([]*tensors.Tensor, error) {
		x := in[0]
		f := dequantizeFor[x.DType()]
		if dt := x.DType(); dt != tensors.Int8 && dt != tensors.Uint8 && dt != tensors.Int32 {
			return nil, tensors.ErrDType("x", x.DType(), tensors.Int8, tensors.Uint8, tensors.Int32)
		}
		p, err := readQParams("x", x, in[1], Input(in, 2), n.Since >= 13, axis, x.DType(), x.DType())
		if err != nil {
			return nil, err
		}
		if x.DType() == tensors.Int32 {
			for i, z := range p.zp {
				if z != 0 {
					return nil, fmt.Errorf("x zero point[%d] = %d: an int32 x must have zero point 0", i, z)
				}
			}
		}
		y, err := f(x, &p, last)
		return []*tensors.Tensor{y}, err
	}), nil
}

// dequantize computes (x - zero_point) * scale in float32.
//
//dtypes:integer
func dequantize[T tensors.Integer](x *tensors.Tensor, p *qparams, last []*tensors.Tensor) (*tensors.Tensor, error) {
	out, dst, err := Recycle[float32](last, 0, x.Shape())
	if err != nil {
		return nil, err
	}
	src := tensors.Data[T](x)
	outer, ch, inner := p.layout(x.Shape())
	if u8, ok := any(src).([]uint8); ok {
		if ch == 1 { // one scale: any split of the values will do
			inner = 4096
			outer = (len(u8) + inner - 1) / inner
		}
		kernel.ParallelFor(outer*ch, len(u8), func(r0, r1 int) {
			for row := r0; row < r1; row++ {
				c := row % ch
				end := min((row+1)*inner, len(u8))
				kernel.DequantizeU8(u8[row*inner:end], p.zp[c], p.scale[c], dst[row*inner:end])
			}
		})
		return out, nil
	}
	i := 0
	for o := 0; o < outer; o++ {
		for c := 0; c < ch; c++ {
			s, z := p.scale[c], p.zp[c]
			for range inner {
				dst[i] = float32(int32(src[i])-z) * s
				i++
			}
		}
	}
	return out, nil
}

func prepareDynamicQuantize(n *Node) (Kernel, error) {
	return func(in []*tensors.Tensor) ([]*tensors.Tensor, error) {
		x := in[0]
		if x.DType() != tensors.Float32 {
			return nil, tensors.ErrDType("x", x.DType(), tensors.Float32)
		}
		xs := tensors.Data[float32](x)
		// The range always holds 0, as onnxruntime computes it.
		var lo, hi float32
		for i, v := range xs {
			if v != v {
				return nil, fmt.Errorf("x[%d] is NaN: no quantization range", i)
			}
			lo, hi = min(lo, v), max(hi, v)
		}
		if math.IsInf(float64(lo), 0) || math.IsInf(float64(hi), 0) {
			return nil, fmt.Errorf("x %v holds an infinity: no quantization range", x)
		}
		scale := float32(1)
		if hi != lo {
			scale = (hi - lo) / 255
		}
		zp := float32(math.RoundToEven(float64(min(max(0-lo/scale, 0), 255))))
		p := qparams{scale: []float32{scale}, zp: []int32{int32(zp)}, zdt: tensors.Uint8, axis: -1}
		y, err := quantize[uint8](xs, x.Shape(), &p, nil)
		if err != nil {
			return nil, err
		}
		return []*tensors.Tensor{y, tensors.Scalar(scale), tensors.Scalar(uint8(zp))}, nil
	}, nil
}
