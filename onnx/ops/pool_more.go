package ops

import (
	"fmt"
	"math"
	"slices"

	"github.com/onnxkit/onnxkit/onnx/tensors"
)

// More pools, for any number of spatial axes: GlobalLpPool
// (1, 2) and LpPool (1, 2, 11, 18). Lp pools compute (Σ|x|^p)^(1/p) over
// the window taps inside the input (padding adds nothing). Version 1 of
// both takes p as a float, later versions as an int (default 2); LpPool-18
// adds dilations and ceil_mode.
func init() {
	Register(Op{Type: "GlobalLpPool", Since: []int{1, 2}, Prepare: prepareGlobalLpPool, Infer: inferGlobalPool})
	Register(Op{Type: "LpPool", Since: []int{1, 2, 11, 18}, Prepare: prepareLpPool, Infer: inferLpPool})
}

// readLpP reads the p attribute: a float in version 1, an int later.
func readLpP(n *Node) (float64, error) {
	var p float64
	if n.Since == 1 {
		p = float64(n.Attrs.Float("p", 2))
	} else {
		p = float64(n.Attrs.Int("p", 2))
	}
	if err := n.Attrs.Err(); err != nil {
		return 0, err
	}
	if !(p > 0) || math.IsInf(p, 0) {
		return 0, fmt.Errorf("attribute p = %g, want a positive number", p)
	}
	return p, nil
}

// lpAcc accumulates |x|^p; lpDone finishes (Σ)^(1/p).
func lpAcc(acc, x, p float64) float64 {
	switch p {
	case 1:
		return acc + math.Abs(x)
	case 2:
		return acc + x*x
	}
	return acc + math.Pow(math.Abs(x), p)
}

func lpDone(acc, p float64) float64 {
	switch p {
	case 1:
		return acc
	case 2:
		return math.Sqrt(acc)
	}
	return math.Pow(acc, 1/p)
}

// globalReduce reduces each N×C plane of a float tensor of rank >= 2 to one
// value (output N×C×1×...×1).
func globalReduce(x *tensors.Tensor, f func(plane []float64) float64) (*tensors.Tensor, error) {
	xs := x.Shape()
	if len(xs) < 2 {
		return nil, fmt.Errorf("input X %s must have rank >= 2", tensors.FormatShape(xs))
	}
	v, err := floatInput(x, "X")
	if err != nil {
		return nil, err
	}
	planes, size := xs[0]*xs[1], prodInts(xs[2:])
	out := make([]float64, planes)
	for i := range out {
		out[i] = f(v[i*size : (i+1)*size])
	}
	shape := slices.Clone(xs)
	for i := 2; i < len(shape); i++ {
		shape[i] = 1
	}
	return fromFloat64s(x.DType(), shape, out)
}

func prepareGlobalLpPool(n *Node) (Kernel, error) {
	p, err := readLpP(n)
	if err != nil {
		return nil, err
	}
	return func(in []*tensors.Tensor) ([]*tensors.Tensor, error) {
		y, err := globalReduce(in[0], func(pl []float64) float64 {
			acc := 0.0
			for _, v := range pl {
				acc = lpAcc(acc, v, p)
			}
			return lpDone(acc, p)
		})
		return []*tensors.Tensor{y}, err
	}, nil
}

func prepareLpPool(n *Node) (Kernel, error) {
	spec, err := readWindowSpec(n, windowOpts{kernelRequired: true, dilations: n.Since >= 18, ceil: n.Since >= 18})
	if err != nil {
		return nil, err
	}
	p, err := readLpP(n)
	if err != nil {
		return nil, err
	}
	return func(in []*tensors.Tensor) ([]*tensors.Tensor, error) {
		x := in[0]
		if err := spec.checkRank(x.Rank()); err != nil {
			return nil, fmt.Errorf("X %v: %w", x, err)
		}
		xs := x.Shape()
		g, err := spec.resolve(xs[2:], spec.kernel)
		if err != nil {
			return nil, err
		}
		outShape := append([]int{xs[0], xs[1]}, g.out...)
		if _, err := tensors.CheckSize(x.DType(), outShape); err != nil {
			return nil, fmt.Errorf("output: %w", err)
		}
		v, err := floatInput(x, "X")
		if err != nil {
			return nil, err
		}
		inSp := xs[2:]
		r := len(inSp)
		ist := tensors.Strides(inSp)
		// taps[a][o] lists the input offsets along axis a that output
		// position o reads (window taps inside the input only).
		taps := make([][][]int, r)
		for a := 0; a < r; a++ {
			taps[a] = make([][]int, g.out[a])
			for o := range taps[a] {
				for k := 0; k < g.kernel[a]; k++ {
					c := o*g.strides[a] - g.padBegin[a] + k*g.dilations[a]
					if c >= inSp[a] {
						break
					}
					if c >= 0 {
						taps[a][o] = append(taps[a][o], c*ist[a])
					}
				}
			}
		}
		planes, isz, osz := xs[0]*xs[1], prodInts(inSp), prodInts(g.out)
		out := make([]float64, planes*osz)
		oidx, kidx := make([]int, r), make([]int, r)
		lens := make([]int, r)
		for pl := 0; pl < planes; pl++ {
			src := v[pl*isz : (pl+1)*isz]
			clear(oidx)
			for o := 0; o < osz; o++ {
				acc := 0.0
				empty := false
				for a := range lens {
					lens[a] = len(taps[a][oidx[a]])
					empty = empty || lens[a] == 0
				}
				if !empty {
					clear(kidx)
					for {
						off := 0
						for a, k := range kidx {
							off += taps[a][oidx[a]][k]
						}
						acc = lpAcc(acc, src[off], p)
						a := r - 1
						for ; a >= 0; a-- {
							kidx[a]++
							if kidx[a] < lens[a] {
								break
							}
							kidx[a] = 0
						}
						if a < 0 {
							break
						}
					}
				}
				out[pl*osz+o] = lpDone(acc, p)
				stepIndex(oidx, g.out)
			}
		}
		y, err := fromFloat64s(x.DType(), outShape, out)
		return []*tensors.Tensor{y}, err
	}, nil
}

// stepIndex advances a row-major multi-index over dims.
func stepIndex(idx, dims []int) {
	for a := len(dims) - 1; a >= 0; a-- {
		idx[a]++
		if idx[a] < dims[a] {
			return
		}
		idx[a] = 0
	}
}

func inferLpPool(n *Node, in []tensors.Type) ([]tensors.Type, error) {
	x := in[0]
	if !x.RankKnown {
		return []tensors.Type{{DType: x.DType}}, nil
	}
	return []tensors.Type{rankOf(x.DType, len(x.Dims))}, nil
}
