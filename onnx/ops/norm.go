package ops

import (
	"fmt"
	"math"

	"github.com/onnxkit/onnxkit/internal/kernel"
	"github.com/onnxkit/onnxkit/onnx/tensors"
)

// BatchNormalization of X (N×C×D1×…×Dk, k ≥ 0) with per-channel scale,
// bias B, mean and variance:
//
//	Y = (X - mean) / sqrt(var + epsilon) * scale + B
//
// Inference mode uses the given (running) mean and variance. Training mode,
// defined precisely from version 14 (training_mode=1), normalizes with the
// batch's own statistics (mean and population variance over every axis but
// C) and can output the updated running statistics
// (input·momentum + batch·(1-momentum)). The training mode of versions 1-9
// (is_test=0 in 1 and 6, extra outputs in 7 and 9), whose saved_mean and
// saved_var outputs the standard leaves loosely defined, is not supported.
//
// Versions 1 to 7 have a spatial attribute: with spatial=0 the parameters
// are per activation (shape C×D1×…×Dk) rather than per channel. Version 15
// lets scale and B, and mean and var, have element types other than X's.

func init() {
	Register(Op{
		Type:          "BatchNormalization",
		HalfAsFloat32: true,
		Since:         []int{1, 6, 7, 9, 14, 15},
		Prepare:       prepareBatchNorm,
		Infer:         inferBatchNorm,
	})
}

type batchNorm struct {
	eps, momentum float64
	spatial       bool
	training      bool
}

func prepareBatchNorm(n *Node) (Kernel, error) {
	a := n.Attrs
	bn := batchNorm{spatial: true}
	bn.eps = float64(a.Float("epsilon", 1e-5))
	bn.momentum = float64(a.Float("momentum", 0.9))
	a.Ignore("consumed_inputs")
	if n.Since <= 7 {
		bn.spatial = a.Bool("spatial", true)
	}
	switch {
	case n.Since <= 6:
		if !a.Bool("is_test", false) {
			a.Fail("is_test", "training mode (is_test=0) of version %d is not supported: %w", n.Since, tensors.ErrUnsupported)
		}
	case n.Since <= 9:
		for i := 1; i < len(n.Outputs); i++ {
			if n.HasOutput(i) {
				return nil, fmt.Errorf("output %d requests training mode, which version %d defines loosely: %w", i, n.Since, tensors.ErrUnsupported)
			}
		}
	default:
		bn.training = a.Bool("training_mode", false)
	}
	if err := a.Err(); err != nil {
		return nil, err
	}
	if bn.eps < 0 || math.IsNaN(bn.eps) {
		return nil, fmt.Errorf("attribute \"epsilon\": %g is negative", bn.eps)
	}
	if !bn.training && (n.HasOutput(1) || n.HasOutput(2)) {
		return nil, fmt.Errorf("running mean and variance outputs are only defined in training mode (training_mode=1)")
	}
	// With constant parameters, inference folds them into one
	// multiplier and one offset per channel now.
	var folded *bnCoef
	consts := [4]*tensors.Tensor{n.Const(1), n.Const(2), n.Const(3), n.Const(4)}
	if !bn.training && consts[0] != nil && consts[1] != nil && consts[2] != nil && consts[3] != nil {
		c, err := bn.fold(consts[:])
		if err != nil {
			return nil, err
		}
		folded = c
	}
	// Parameters a step holds as constants in place of the node's (the
	// ones an IR version 3 model computes from defaults of overridable
	// inputs, a ConstantOfShape of a default shape; the scale and B a
	// fused step folds the Mul and Add after it into) are told at load
	// (Compiled.ConstInput): that step's runs, and only they, pass exactly
	// those tensors, and get coefficients folded once.
	var baked struct {
		p [4]*tensors.Tensor
		c *bnCoef
	}
	if !bn.training {
		n.OnConstInput(func(i int, t *tensors.Tensor) {
			if i < 1 || i > 4 {
				return
			}
			baked.p[i-1], baked.c = t, nil
			if p := baked.p[:]; p[0] != nil && p[1] != nil && p[2] != nil && p[3] != nil {
				if c, err := bn.fold(p); err == nil {
					baked.c = c
				}
			}
		})
	}
	// coefs returns the coefficients folded for exactly the parameters
	// in[1:5], or nil (computed in the run).
	coefs := func(in []*tensors.Tensor) *bnCoef {
		switch {
		case len(in) != 5:
			return nil
		case folded != nil && in[1] == consts[0] && in[2] == consts[1] && in[3] == consts[2] && in[4] == consts[3]:
			return folded
		case baked.c != nil && in[1] == baked.p[0] && in[2] == baked.p[1] && in[3] == baked.p[2] && in[4] == baked.p[3]:
			return baked.c
		}
		return nil
	}
	wantStats := n.HasOutput(1) || n.HasOutput(2)
	if !bn.training && !wantStats {
		// With the Relu that alone reads the output: applied to each
		// plane as it is computed.
		n.FusedRelu(func(in, last []*tensors.Tensor) ([]*tensors.Tensor, error) {
			return bn.run(in, coefs(in), false, true, last)
		})
	}
	return n.Recycling(func(in, last []*tensors.Tensor) ([]*tensors.Tensor, error) {
		return bn.run(in, coefs(in), wantStats, false, last)
	}), nil
}

// bnCoef holds per-parameter y = x·mul + add coefficients.
type bnCoef struct {
	mul, add     []float64
	mul32, add32 []float32 // the same rounded to float32, as float32 runs use them
}

// fold computes inference coefficients from scale, B, mean and var.
func (bn *batchNorm) fold(p []*tensors.Tensor) (*bnCoef, error) {
	v, err := bnParams(p)
	if err != nil {
		return nil, err
	}
	scale, bias, mean, variance := v[0], v[1], v[2], v[3]
	return newBNCoef(scale, bias, mean, variance, bn.eps), nil
}

// newBNCoef computes the coefficients y = x·mul + add of each channel.
func newBNCoef(scale, bias, mean, variance []float64, eps float64) *bnCoef {
	n := len(scale)
	c := &bnCoef{mul: make([]float64, n), add: make([]float64, n), mul32: make([]float32, n), add32: make([]float32, n)}
	for i := range scale {
		c.mul[i] = scale[i] / math.Sqrt(variance[i]+eps)
		c.add[i] = bias[i] - mean[i]*c.mul[i]
		c.mul32[i], c.add32[i] = float32(c.mul[i]), float32(c.add[i])
	}
	return c
}

// bnParams reads scale, B, mean and var, which must be float tensors of one
// shape.
func bnParams(p []*tensors.Tensor) ([][]float64, error) {
	names := []string{"scale", "B", "mean", "var"}
	out := make([][]float64, len(p))
	for i, t := range p {
		if !t.DType().IsFloat() {
			return nil, tensors.ErrDType(names[i], t.DType(), tensors.Float32, tensors.Float64)
		}
		if !tensors.SameShape(t.Shape(), p[0].Shape()) {
			return nil, fmt.Errorf("%s %v and scale %v have different shapes", names[i], t, p[0])
		}
		out[i], _ = tensors.AsFloat64s(t)
	}
	return out, nil
}

func (bn *batchNorm) run(in []*tensors.Tensor, folded *bnCoef, wantStats, relu bool, last []*tensors.Tensor) ([]*tensors.Tensor, error) {
	x := in[0]
	xs := x.Shape()
	if len(xs) < 2 {
		return nil, fmt.Errorf("X %v: want rank 2 or more (N, C, ...)", x)
	}
	// The parameters cover the channels (or, with spatial=0, the
	// activations of one N slice); each applies to `inner` consecutive
	// elements.
	want, inner := []int{xs[1]}, 1
	if bn.spatial {
		for _, d := range xs[2:] {
			inner *= d
		}
	} else {
		want = xs[1:]
	}
	if !tensors.SameShape(in[1].Shape(), want) {
		return nil, fmt.Errorf("scale %v does not fit X %v: want shape %v", in[1], x, tensors.FormatShape(want))
	}
	src := bnSource{c: folded, eps: bn.eps}
	var params [][]float64
	var batchMean, batchVar []float64
	if folded == nil && !bn.training && bnDirect(in[1:5]) {
		// Inference with float32 or float64 parameters given at run time:
		// the coefficients are computed per channel as they are applied,
		// without allocating.
		copy(src.p[:], in[1:5])
	} else if folded == nil {
		var err error
		if params, err = bnParams(in[1:5]); err != nil {
			return nil, err
		}
		mean, variance := params[2], params[3]
		if bn.training {
			if batchMean, batchVar, err = batchStats(x, len(params[0]), inner); err != nil {
				return nil, err
			}
			mean, variance = batchMean, batchVar
		}
		src.c = newBNCoef(params[0], params[1], mean, variance, bn.eps)
	}
	var y *tensors.Tensor
	var err error
	switch x.DType() {
	case tensors.Float32:
		y, err = bnApply[float32](x, src, inner, relu, last)
	case tensors.Float64:
		y, err = bnApply[float64](x, src, inner, relu, last)
	default:
		return nil, tensors.ErrDType("X", x.DType(), tensors.Float32, tensors.Float64)
	}
	if err != nil || !wantStats || !bn.training {
		return Result(last, y), err
	}
	// Running statistics, in the element types of the mean and var inputs.
	out := []*tensors.Tensor{y}
	for k, stat := range [][]float64{batchMean, batchVar} {
		run := make([]float64, len(stat))
		for i := range run {
			run[i] = params[2+k][i]*bn.momentum + stat[i]*(1-bn.momentum)
		}
		t, err := fromFloat64s(in[3+k].DType(), in[3+k].Shape(), run)
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, nil
}

// batchStats returns the mean and population variance of x over every
// axis but C, per parameter: x is seen as N×np×inner.
func batchStats(x *tensors.Tensor, np, inner int) ([]float64, []float64, error) {
	xv, err := tensors.AsFloat64s(x)
	if err != nil {
		return nil, nil, err
	}
	n := x.Shape()[0]
	count := float64(n * inner)
	mean, variance := make([]float64, np), make([]float64, np)
	for p := 0; p < np; p++ {
		var s float64
		for b := 0; b < n; b++ {
			for _, v := range xv[(b*np+p)*inner : (b*np+p+1)*inner] {
				s += v
			}
		}
		m := s / count
		var q float64
		for b := 0; b < n; b++ {
			for _, v := range xv[(b*np+p)*inner : (b*np+p+1)*inner] {
				q += (v - m) * (v - m)
			}
		}
		mean[p], variance[p] = m, q/count
	}
	return mean, variance, nil
}

// bnSource gives the coefficients of each parameter: from c when it is not
// nil, else computed from the float32 or float64 scale, B, mean and var p
// (checked by bnDirect) as bn.fold does.
type bnSource struct {
	c   *bnCoef
	p   [4]*tensors.Tensor
	eps float64
}

func (s *bnSource) len() int {
	if s.c != nil {
		return len(s.c.mul)
	}
	return s.p[0].Len()
}

func (s *bnSource) at(i int) (mul, add float64) {
	if s.c != nil {
		return s.c.mul[i], s.c.add[i]
	}
	var v [4]float64
	for k, t := range s.p {
		switch d := t.Data().(type) {
		case []float32:
			v[k] = float64(d[i])
		case []float64:
			v[k] = d[i]
		}
	}
	mul = v[0] / math.Sqrt(v[3]+s.eps)
	return mul, v[1] - v[2]*mul
}

// bnDirect reports whether the parameters p (scale, B, mean, var) are
// float32 or float64 tensors of one shape, which bnSource reads directly.
func bnDirect(p []*tensors.Tensor) bool {
	for _, t := range p {
		if dt := t.DType(); (dt != tensors.Float32 && dt != tensors.Float64) || !tensors.SameShape(t.Shape(), p[0].Shape()) {
			return false
		}
	}
	return true
}

// bnApply computes x·mul + add per parameter, then max(·, 0) when relu is
// set, writing into last[0] when it can (see Recycle).
func bnApply[T tensors.Float](x *tensors.Tensor, src bnSource, inner int, relu bool, last []*tensors.Tensor) (*tensors.Tensor, error) {
	out, dst, err := Recycle[T](last, 0, x.Shape()) // every element is written
	if err != nil {
		return nil, err
	}
	xd := tensors.Data[T](x)
	np := src.len()
	if inner == 0 || np == 0 {
		return out, nil
	}
	if c := src.c; c != nil {
		// Constant coefficients: the planes split across the workers.
		var a, b []T
		switch any(T(0)).(type) {
		case float32:
			a, b = any(c.mul32).([]T), any(c.add32).([]T)
		case float64:
			a, b = any(c.mul).([]T), any(c.add).([]T)
		}
		if relu {
			kernel.ScaleShiftRowsRelu(xd, dst, inner, a, b)
		} else {
			kernel.ScaleShiftRows(xd, dst, inner, a, b)
		}
		return out, nil
	}
	for i := 0; i < len(xd); i += inner {
		p := i / inner % np
		mul, add := src.at(p)
		kernel.ScaleShift(xd[i:i+inner], dst[i:i+inner], T(mul), T(add))
		if relu {
			kernel.Relu(dst[i:i+inner], dst[i:i+inner])
		}
	}
	return out, nil
}

// fromFloat64s builds a float tensor of element type dt from float64s.
func fromFloat64s(dt tensors.DType, shape []int, v []float64) (*tensors.Tensor, error) {
	switch dt {
	case tensors.Float64:
		return tensors.New(shape, v)
	case tensors.Float32:
		f := make([]float32, len(v))
		for i, x := range v {
			f[i] = float32(x)
		}
		return tensors.New(shape, f)
	}
	return nil, tensors.ErrDType("statistics", dt, tensors.Float32, tensors.Float64)
}

func inferBatchNorm(n *Node, in []tensors.Type) ([]tensors.Type, error) {
	if n.Since >= 14 {
		return []tensors.Type{in[0], in[3], in[4]}, nil
	}
	return []tensors.Type{in[0]}, nil
}
