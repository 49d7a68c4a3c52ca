package ops

import (
	"fmt"
	"math"
	"slices"

	"github.com/onnxkit/onnxkit/internal/kernel"
	"github.com/onnxkit/onnxkit/onnx/tensors"
)

// Normalization layers: LayerNormalization (17), InstanceNormalization (1,
// 6), GroupNormalization (18: scale and bias per group), LRN (1, 13),
// MeanVarianceNormalization (9, 13) and LpNormalization (1). Float tensors,
// computed in float64 with the variance as the mean of squared deviations.
func init() {
	Register(Op{Type: "LayerNormalization", Since: []int{17}, Prepare: prepareLayerNorm, Infer: inferLayerNorm})
	Register(Op{Type: "InstanceNormalization", Since: []int{1, 6}, Prepare: prepareInstanceNorm, Infer: InferSame})
	Register(Op{Type: "GroupNormalization", Since: []int{18}, Prepare: prepareGroupNorm, Infer: InferSame})
	Register(Op{Type: "LRN", Since: []int{1, 13}, Prepare: prepareLRN, Infer: InferSame})
	Register(Op{Type: "MeanVarianceNormalization", Since: []int{9, 13}, Prepare: prepareMVN, Infer: InferSame})
	Register(Op{Type: "LpNormalization", Since: []int{1}, Prepare: prepareLpNorm, Infer: InferSame})
}

// floatInput reads a float tensor as float64s.
func floatInput(t *tensors.Tensor, what string) ([]float64, error) {
	if !t.DType().IsFloat() {
		return nil, tensors.ErrDType("input "+what, t.DType(), tensors.Float32, tensors.Float64)
	}
	return tensors.AsFloat64s(t)
}

// expandTo broadcasts t (numpy rules, right-aligned) to shape and returns
// its values as float64s.
func expandTo(t *tensors.Tensor, shape []int, what string) ([]float64, error) {
	v, err := floatInput(t, what)
	if err != nil {
		return nil, err
	}
	ts := t.Shape()
	if !tensors.CanBroadcastTo(ts, shape) {
		return nil, fmt.Errorf("input %s %s does not broadcast to %s", what, tensors.FormatShape(ts), tensors.FormatShape(shape))
	}
	if slices.Equal(ts, shape) {
		return v, nil
	}
	n := prodInts(shape)
	out := make([]float64, n)
	st := tensors.Strides(ts)
	off := len(shape) - len(ts)
	idx := make([]int, len(shape))
	for i := range out {
		k := 0
		for a := range ts {
			if ts[a] != 1 {
				k += idx[a+off] * st[a]
			}
		}
		out[i] = v[k]
		for a := len(shape) - 1; a >= 0; a-- {
			idx[a]++
			if idx[a] < shape[a] {
				break
			}
			idx[a] = 0
		}
	}
	return out, nil
}

// normalizeRows normalizes each of rows consecutive runs of cols values in
// place and returns their means and inverse standard deviations.
func normalizeRows(v []float64, rows, cols int, eps float64) (mean, inv []float64) {
	mean, inv = make([]float64, rows), make([]float64, rows)
	for r := 0; r < rows; r++ {
		row := v[r*cols : (r+1)*cols]
		m := 0.0
		for _, x := range row {
			m += x
		}
		if cols > 0 {
			m /= float64(cols)
		}
		s := 0.0
		for _, x := range row {
			s += (x - m) * (x - m)
		}
		if cols > 0 {
			s /= float64(cols)
		}
		iv := 1 / math.Sqrt(s+eps)
		for i, x := range row {
			row[i] = (x - m) * iv
		}
		mean[r], inv[r] = m, iv
	}
	return mean, inv
}

func prepareLayerNorm(n *Node) (Kernel, error) {
	axis := n.Attrs.Int("axis", -1)
	eps := float64(n.Attrs.Float("epsilon", 1e-5))
	stash := n.Attrs.Int("stash_type", 1)
	if err := n.Attrs.Err(); err != nil {
		return nil, err
	}
	var statType tensors.DType
	switch stash {
	case 1:
		statType = tensors.Float32
	case 11:
		statType = tensors.Float64
	default:
		return nil, fmt.Errorf("attribute stash_type = %d is not supported: %w", stash, tensors.ErrUnsupported)
	}
	return func(in []*tensors.Tensor) ([]*tensors.Tensor, error) {
		x, scale, b := in[0], in[1], Input(in, 2)
		xs := x.Shape()
		a, err := tensors.NormalizeAxis(axis, len(xs))
		if err != nil {
			return nil, fmt.Errorf("attribute axis: %w", err)
		}
		ns := xs[a:]
		rows, cols := prodInts(xs[:a]), prodInts(ns)
		if y, ok := layerNorm32(x, scale, b, rows, cols, eps); ok && !n.HasOutput(1) && !n.HasOutput(2) {
			return []*tensors.Tensor{y}, nil
		}
		v, err := floatInput(x, "X")
		if err != nil {
			return nil, err
		}
		sc, err := expandTo(scale, ns, "Scale")
		if err != nil {
			return nil, err
		}
		var bias []float64
		if b != nil {
			if bias, err = expandTo(b, ns, "B"); err != nil {
				return nil, err
			}
		}
		mean, inv := normalizeRows(v, rows, cols, eps)
		for r := 0; r < rows; r++ {
			row := v[r*cols : (r+1)*cols]
			for i := range row {
				row[i] *= sc[i]
				if bias != nil {
					row[i] += bias[i]
				}
			}
		}
		y, err := fromFloat64s(x.DType(), slices.Clone(xs), v)
		if err != nil {
			return nil, err
		}
		out := []*tensors.Tensor{y, nil, nil}
		statShape := slices.Clone(xs)
		for i := a; i < len(statShape); i++ {
			statShape[i] = 1
		}
		if n.HasOutput(1) {
			if out[1], err = fromFloat64s(statType, statShape, mean); err != nil {
				return nil, err
			}
		}
		if n.HasOutput(2) {
			if out[2], err = fromFloat64s(statType, slices.Clone(statShape), inv); err != nil {
				return nil, err
			}
		}
		return out[:len(n.Outputs)], nil
	}, nil
}

// layerNorm32 is LayerNormalization of float32 x whose scale and bias are
// float32 and hold exactly the normalized elements (the form exporters
// write), without the optional statistics outputs: each row is read once
// for its mean and variance (accumulated in float64) and written once,
// rows split across the cores. It reports false for other forms, which
// the general path computes.
func layerNorm32(x, scale, b *tensors.Tensor, rows, cols int, eps float64) (*tensors.Tensor, bool) {
	if x.DType() != tensors.Float32 || scale.DType() != tensors.Float32 || scale.Len() != cols ||
		(b != nil && (b.DType() != tensors.Float32 || b.Len() != cols)) || cols == 0 {
		return nil, false
	}
	y, dst, err := tensors.Make[float32](x.Shape())
	if err != nil {
		return nil, false
	}
	src, sc := tensors.Data[float32](x), tensors.Data[float32](scale)
	var bias []float32
	if b != nil {
		bias = tensors.Data[float32](b)
	}
	kernel.ParallelFor(rows, rows*cols, func(lo, hi int) {
		for r := lo; r < hi; r++ {
			row, out := src[r*cols:(r+1)*cols], dst[r*cols:(r+1)*cols]
			m := 0.0
			for _, v := range row {
				m += float64(v)
			}
			m /= float64(cols)
			q := 0.0
			for _, v := range row {
				d := float64(v) - m
				q += d * d
			}
			inv := 1 / math.Sqrt(q/float64(cols)+eps)
			for i, v := range row {
				z := (float64(v) - m) * inv * float64(sc[i])
				if bias != nil {
					z += float64(bias[i])
				}
				out[i] = float32(z)
			}
		}
	})
	return y, true
}

func inferLayerNorm(n *Node, in []tensors.Type) ([]tensors.Type, error) {
	return []tensors.Type{in[0]}, nil
}

func prepareInstanceNorm(n *Node) (Kernel, error) {
	n.Attrs.Ignore("consumed_inputs")
	eps := float64(n.Attrs.Float("epsilon", 1e-5))
	if err := n.Attrs.Err(); err != nil {
		return nil, err
	}
	return func(in []*tensors.Tensor) ([]*tensors.Tensor, error) {
		x := in[0]
		xs := x.Shape()
		if len(xs) < 2 {
			return nil, fmt.Errorf("input X %s must have rank >= 2", tensors.FormatShape(xs))
		}
		c := xs[1]
		v, err := floatInput(x, "X")
		if err != nil {
			return nil, err
		}
		sc, err := expandTo(in[1], []int{c}, "scale")
		if err != nil {
			return nil, err
		}
		b, err := expandTo(in[2], []int{c}, "B")
		if err != nil {
			return nil, err
		}
		rows := xs[0] * c
		cols := prodInts(xs[2:])
		normalizeRows(v, rows, cols, eps)
		for r := 0; r < rows; r++ {
			row := v[r*cols : (r+1)*cols]
			for i := range row {
				row[i] = row[i]*sc[r%c] + b[r%c]
			}
		}
		y, err := fromFloat64s(x.DType(), slices.Clone(xs), v)
		return []*tensors.Tensor{y}, err
	}, nil
}

func prepareGroupNorm(n *Node) (Kernel, error) {
	eps := float64(n.Attrs.Float("epsilon", 1e-5))
	groups := n.Attrs.RequiredInt("num_groups")
	if err := n.Attrs.Err(); err != nil {
		return nil, err
	}
	if groups < 1 {
		return nil, fmt.Errorf("attribute num_groups = %d, want >= 1", groups)
	}
	return func(in []*tensors.Tensor) ([]*tensors.Tensor, error) {
		x := in[0]
		xs := x.Shape()
		if len(xs) < 2 || xs[1]%groups != 0 {
			return nil, fmt.Errorf("input X %s must have rank >= 2 and a channel count divisible by num_groups %d", tensors.FormatShape(xs), groups)
		}
		v, err := floatInput(x, "X")
		if err != nil {
			return nil, err
		}
		sc, err := expandTo(in[1], []int{groups}, "scale")
		if err != nil {
			return nil, err
		}
		b, err := expandTo(in[2], []int{groups}, "bias")
		if err != nil {
			return nil, err
		}
		rows := xs[0] * groups
		cols := xs[1] / groups * prodInts(xs[2:])
		normalizeRows(v, rows, cols, eps)
		for r := 0; r < rows; r++ {
			row := v[r*cols : (r+1)*cols]
			for i := range row {
				row[i] = row[i]*sc[r%groups] + b[r%groups]
			}
		}
		y, err := fromFloat64s(x.DType(), slices.Clone(xs), v)
		return []*tensors.Tensor{y}, err
	}, nil
}

func prepareLRN(n *Node) (Kernel, error) {
	a := n.Attrs
	size := a.RequiredInt("size")
	alpha := float64(a.Float("alpha", 1e-4))
	beta := float64(a.Float("beta", 0.75))
	bias := float64(a.Float("bias", 1))
	if err := a.Err(); err != nil {
		return nil, err
	}
	if size < 1 {
		return nil, fmt.Errorf("attribute size = %d, want >= 1", size)
	}
	lo, hi := (size-1)/2, (size-1)-(size-1)/2
	return func(in []*tensors.Tensor) ([]*tensors.Tensor, error) {
		x := in[0]
		xs := x.Shape()
		if len(xs) < 2 {
			return nil, fmt.Errorf("input X %s must have rank >= 2", tensors.FormatShape(xs))
		}
		v, err := floatInput(x, "X")
		if err != nil {
			return nil, err
		}
		c, inner := xs[1], prodInts(xs[2:])
		out := make([]float64, len(v))
		pre := make([]float64, c+1) // prefix sums of squares along channels
		for nb := 0; nb < xs[0]; nb++ {
			base := nb * c * inner
			for i := 0; i < inner; i++ {
				for ch := 0; ch < c; ch++ {
					t := v[base+ch*inner+i]
					pre[ch+1] = pre[ch] + t*t
				}
				for ch := 0; ch < c; ch++ {
					s := pre[min(c-1, ch+hi)+1] - pre[max(0, ch-lo)]
					p := base + ch*inner + i
					out[p] = v[p] / math.Pow(bias+alpha/float64(size)*s, beta)
				}
			}
		}
		y, err := fromFloat64s(x.DType(), slices.Clone(xs), out)
		return []*tensors.Tensor{y}, err
	}, nil
}

func prepareMVN(n *Node) (Kernel, error) {
	axes := n.Attrs.Ints("axes", []int{0, 2, 3})
	if err := n.Attrs.Err(); err != nil {
		return nil, err
	}
	return func(in []*tensors.Tensor) ([]*tensors.Tensor, error) {
		x := in[0]
		v, err := floatInput(x, "X")
		if err != nil {
			return nil, err
		}
		p, err := planReduce(x.Shape(), axes, true)
		if err != nil {
			return nil, fmt.Errorf("attribute axes: %w", err)
		}
		count := float64(len(p.offs) * p.n)
		out := make([]float64, len(v))
		for _, b := range p.base {
			m, sq := 0.0, 0.0
			visitReduce(v, b, p.offs, p.n, p.step, func(t float64) { m += t; sq += t * t })
			m /= count
			sd := math.Sqrt(sq/count-m*m) + 1e-9
			for _, o := range p.offs {
				for k := 0; k < p.n; k++ {
					i := b + o + k*p.step
					out[i] = (v[i] - m) / sd
				}
			}
		}
		y, err := fromFloat64s(x.DType(), slices.Clone(x.Shape()), out)
		return []*tensors.Tensor{y}, err
	}, nil
}

func prepareLpNorm(n *Node) (Kernel, error) {
	axis := n.Attrs.Int("axis", -1)
	pn := n.Attrs.Int("p", 2)
	if err := n.Attrs.Err(); err != nil {
		return nil, err
	}
	if pn != 1 && pn != 2 {
		return nil, fmt.Errorf("attribute p = %d, want 1 or 2", pn)
	}
	return func(in []*tensors.Tensor) ([]*tensors.Tensor, error) {
		x := in[0]
		xs := x.Shape()
		a, err := tensors.NormalizeAxis(axis, len(xs))
		if err != nil {
			return nil, fmt.Errorf("attribute axis: %w", err)
		}
		v, err := floatInput(x, "X")
		if err != nil {
			return nil, err
		}
		outer, size, inner := prodInts(xs[:a]), xs[a], prodInts(xs[a+1:])
		for o := 0; o < outer; o++ {
			for i := 0; i < inner; i++ {
				base := o*size*inner + i
				s := 0.0
				for k := 0; k < size; k++ {
					t := v[base+k*inner]
					if pn == 1 {
						s += math.Abs(t)
					} else {
						s += t * t
					}
				}
				if pn == 2 {
					s = math.Sqrt(s)
				}
				for k := 0; k < size; k++ {
					if s == 0 {
						v[base+k*inner] = 0
					} else {
						v[base+k*inner] /= s
					}
				}
			}
		}
		y, err := fromFloat64s(x.DType(), slices.Clone(xs), v)
		return []*tensors.Tensor{y}, err
	}, nil
}
