package ops

import (
	"fmt"
	"math"

	"github.com/onnxkit/onnxkit/onnx/tensors"
)

// More elementwise math: the inverse and hyperbolic trigonometric
// functions, Tan, Erf and Round (halves to even), and Det, the determinant
// of square matrices. Float tensors only, computed in float64.
func init() {
	for _, f := range []struct {
		name  string
		since []int
		fn    func(float64) float64
	}{
		{"Acos", []int{7}, math.Acos},
		{"Asin", []int{7}, math.Asin},
		{"Atan", []int{7}, math.Atan},
		{"Tan", []int{7}, math.Tan},
		{"Acosh", []int{9}, math.Acosh},
		{"Asinh", []int{9}, math.Asinh},
		{"Atanh", []int{9}, math.Atanh},
		{"Cosh", []int{9}, math.Cosh},
		{"Sinh", []int{9}, math.Sinh},
		{"Erf", []int{9, 13}, math.Erf},
		{"Round", []int{11}, math.RoundToEven},
	} {
		registerMathUnary(f.name, f.since, viaFloat64(f.fn))
	}
	Register(Op{Type: "Det", Since: []int{11}, Prepare: prepareDet, Infer: inferDet})
}

func prepareDet(n *Node) (Kernel, error) {
	return func(in []*tensors.Tensor) ([]*tensors.Tensor, error) {
		x := in[0]
		if !x.DType().IsFloat() {
			return nil, tensors.ErrDType("input X", x.DType(), tensors.Float32, tensors.Float64)
		}
		s := x.Shape()
		r := len(s)
		if r < 2 || s[r-1] != s[r-2] {
			return nil, fmt.Errorf("input X %s must be a batch of square matrices [*, M, M]", tensors.FormatShape(s))
		}
		m := s[r-1]
		v, err := tensors.AsFloat64s(x)
		if err != nil {
			return nil, err
		}
		batch := s[:r-2]
		count := prodInts(batch)
		dets := make([]float64, count)
		a := make([]float64, m*m)
		for b := range dets {
			copy(a, v[b*m*m:(b+1)*m*m])
			dets[b] = determinant(a, m)
		}
		if x.DType() == tensors.Float64 {
			y, err := tensors.New(append([]int{}, batch...), dets)
			return []*tensors.Tensor{y}, err
		}
		y, d, err := tensors.Make[float32](append([]int{}, batch...))
		if err != nil {
			return nil, err
		}
		for i, v := range dets {
			d[i] = float32(v)
		}
		return []*tensors.Tensor{y}, nil
	}, nil
}

// determinant computes the determinant of the m×m row-major matrix a by LU
// decomposition with partial pivoting, overwriting a.
func determinant(a []float64, m int) float64 {
	det := 1.0
	for c := 0; c < m; c++ {
		p := c
		for r := c + 1; r < m; r++ {
			if math.Abs(a[r*m+c]) > math.Abs(a[p*m+c]) {
				p = r
			}
		}
		if a[p*m+c] == 0 {
			return 0
		}
		if p != c {
			for k := 0; k < m; k++ {
				a[p*m+k], a[c*m+k] = a[c*m+k], a[p*m+k]
			}
			det = -det
		}
		piv := a[c*m+c]
		det *= piv
		for r := c + 1; r < m; r++ {
			f := a[r*m+c] / piv
			if f == 0 {
				continue
			}
			for k := c + 1; k < m; k++ {
				a[r*m+k] -= f * a[c*m+k]
			}
		}
	}
	return det
}

func inferDet(n *Node, in []tensors.Type) ([]tensors.Type, error) {
	x := in[0]
	if !x.RankKnown || len(x.Dims) < 2 {
		return []tensors.Type{{DType: x.DType}}, nil
	}
	return []tensors.Type{{DType: x.DType, RankKnown: true, Dims: append([]tensors.Dim{}, x.Dims[:len(x.Dims)-2]...)}}, nil
}
