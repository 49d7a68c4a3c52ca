package ops

import (
	"math"

	"github.com/onnxkit/onnxkit/internal/kernel"
	"github.com/onnxkit/onnxkit/onnx/tensors"
)

// Softmax, LogSoftmax and Hardmax. Before version 13 the input is seen as a
// matrix, its axes before `axis` (default 1) flattened into rows and the
// rest into columns, and each row is normalized; from 13 the operators
// normalize along the single axis `axis` (default -1). Version 11 only
// allows negative axes (accepted by every version here).
//
// Softmax and LogSoftmax subtract the maximum before exponentiating, so
// large inputs do not overflow; sums are accumulated in float64. float32
// rows of consecutive elements (the normalized axis the last, or legacy
// flattening) run kernel.SoftmaxRows, whose exponential is float32 (within
// 2 ulp); the rest compute in float64. Hardmax puts 1 at the first maximum
// and 0 elsewhere.

type softmaxKind int

const (
	kindSoftmax    softmaxKind = 0
	kindLogSoftmax softmaxKind = 1
	kindHardmax    softmaxKind = 2
)

func init() {
	for name, kind := range map[string]softmaxKind{
		"Softmax": kindSoftmax, "LogSoftmax": kindLogSoftmax, "Hardmax": kindHardmax,
	} {
		Register(Op{
			Type:          name,
			HalfAsFloat32: true,
			Since:         []int{1, 11, 13},
			Prepare: func(n *Node) (Kernel, error) {
				legacy := n.Since < 13
				def := -1
				if legacy {
					def = 1
				}
				axis := n.Attrs.Int("axis", def)
				if err := n.Attrs.Err(); err != nil {
					return nil, err
				}
				if t := n.InputType(0); t.RankKnown {
					if _, err := tensors.NormalizeAxis(axis, len(t.Dims)); err != nil {
						return nil, err
					}
				}
				return n.Recycling(func(in, last []*tensors.Tensor) ([]*tensors.Tensor, error) {
					y, err := softmax(in[0], axis, legacy, kind, last)
					return Result(last, y), err
				}), nil
			},
			Infer: InferSame,
		})
	}
}

// softmax normalizes x along axis (legacy: along the flattened axes from
// axis on), writing into last[0] when it can (see Recycle).
func softmax(x *tensors.Tensor, axis int, legacy bool, kind softmaxKind, last []*tensors.Tensor) (*tensors.Tensor, error) {
	shape := x.Shape()
	ax, err := tensors.NormalizeAxis(axis, len(shape))
	if err != nil {
		return nil, err
	}
	outer, n, inner := 1, shape[ax], 1
	for _, d := range shape[:ax] {
		outer *= d
	}
	for _, d := range shape[ax+1:] {
		inner *= d
	}
	if legacy {
		n, inner = n*inner, 1
	}
	switch x.DType() {
	case tensors.Float32:
		return softmaxTyped[float32](x, outer, n, inner, kind, last)
	case tensors.Float64:
		return softmaxTyped[float64](x, outer, n, inner, kind, last)
	}
	return nil, tensors.ErrDType("input", x.DType(), tensors.Float32, tensors.Float64)
}

func softmaxTyped[T tensors.Float](x *tensors.Tensor, outer, n, inner int, kind softmaxKind, last []*tensors.Tensor) (*tensors.Tensor, error) {
	if x32, ok := any(tensors.Data[T](x)).([]float32); ok && inner == 1 && kind != kindHardmax {
		// Rows of consecutive elements: the float32 kernel.
		out, dst, err := Recycle[float32](last, 0, x.Shape())
		if err != nil {
			return nil, err
		}
		kernel.SoftmaxRows(x32, dst, n, kind == kindLogSoftmax)
		return out, nil
	}
	out, dst, err := RecycleZeroed[T](last, 0, x.Shape()) // Hardmax writes only the ones
	if err != nil {
		return nil, err
	}
	xd := tensors.Data[T](x)
	var small [64]float64
	ex := small[:0]
	if n <= len(small) {
		ex = small[:n]
	} else {
		buf := kernel.ScratchFloat64(n)
		defer kernel.PutScratchFloat64(buf)
		ex = *buf
	}
	for o := 0; o < outer; o++ {
		for i := 0; i < inner; i++ {
			base := o*n*inner + i
			m := math.Inf(-1)
			arg := -1
			for k := 0; k < n; k++ {
				if v := float64(xd[base+k*inner]); v > m || arg < 0 {
					m, arg = v, k
				}
			}
			switch kind {
			case kindHardmax:
				if arg >= 0 {
					dst[base+arg*inner] = 1
				}
			case kindSoftmax:
				var sum float64
				for k := range ex {
					ex[k] = math.Exp(float64(xd[base+k*inner]) - m)
					sum += ex[k]
				}
				for k, e := range ex {
					dst[base+k*inner] = T(e / sum)
				}
			case kindLogSoftmax:
				var sum float64
				for k := 0; k < n; k++ {
					sum += math.Exp(float64(xd[base+k*inner]) - m)
				}
				ls := math.Log(sum)
				for k := 0; k < n; k++ {
					j := base + k*inner
					dst[j] = T(float64(xd[j]) - m - ls)
				}
			}
		}
	}
	return out, nil
}
