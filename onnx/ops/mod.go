package ops

import (
	"errors"
	"math"

	"github.com/onnxkit/onnxkit/onnx/tensors"
)

// Mod (versions 10 and 13) computes the remainder of A / B elementwise with
// broadcasting. With fmod=0 (integers only) the result takes the divisor's
// sign, as Python's %; with fmod=1 it takes the dividend's sign, as C's
// fmod (required for floats). An integer division by zero is an error.

func init() {
	Register(Op{Type: "Mod", Since: []int{10, 13}, Prepare: prepareMod, Infer: InferBroadcast(tensors.Undefined), HalfAsFloat32: true})
}

var errModZero = errors.New("integer division by zero")

func prepareMod(n *Node) (Kernel, error) {
	fmod := n.Attrs.Bool("fmod", false)
	if err := n.Attrs.Err(); err != nil {
		return nil, err
	}
	var fns NumericBinary
	if fmod {
		fns = NumericBinary{
			F32: func(a, b float32) float32 { return float32(math.Mod(float64(a), float64(b))) },
			F64: math.Mod,
			I8:  truncMod[int8], I16: truncMod[int16], I32: truncMod[int32], I64: truncMod[int64],
			U8: truncMod[uint8], U16: truncMod[uint16], U32: truncMod[uint32], U64: truncMod[uint64],
		}
	} else {
		fns = NumericBinary{
			I8: floorMod[int8], I16: floorMod[int16], I32: floorMod[int32], I64: floorMod[int64],
			U8: truncMod[uint8], U16: truncMod[uint16], U32: truncMod[uint32], U64: truncMod[uint64],
		}
	}
	return func(in []*tensors.Tensor) ([]*tensors.Tensor, error) {
		a, b := in[0], in[1]
		if !fmod && (a.DType() == tensors.Float32 || a.DType() == tensors.Float64) {
			return nil, errors.New("fmod must be 1 for float inputs")
		}
		if a.DType() != tensors.Float32 && a.DType() != tensors.Float64 && b.DType() == a.DType() {
			if z, err := hasZero(b); err != nil || z {
				if err != nil {
					return nil, err
				}
				return nil, errModZero
			}
		}
		y, err := fns.Apply(a, b)
		return []*tensors.Tensor{y}, err
	}, nil
}

// hasZero reports whether an integer tensor holds a zero.
func hasZero(t *tensors.Tensor) (bool, error) {
	v, err := tensors.AsInt64s(t)
	if err != nil {
		// uint64 values beyond int64 are not zero; check them directly.
		if t.DType() == tensors.Uint64 {
			for _, x := range tensors.Data[uint64](t) {
				if x == 0 {
					return true, nil
				}
			}
			return false, nil
		}
		return false, err
	}
	for _, x := range v {
		if x == 0 {
			return true, nil
		}
	}
	return false, nil
}

func truncMod[T tensors.Integer](a, b T) T { return a % b }

func floorMod[T tensors.Signed](a, b T) T {
	r := a % b
	if r != 0 && (r < 0) != (b < 0) {
		r += b
	}
	return r
}
