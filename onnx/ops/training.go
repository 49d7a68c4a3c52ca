package ops

import (
	"fmt"
	"math"

	"github.com/onnxkit/onnxkit/onnx/tensors"
)

// The optimizers of domain ai.onnx.preview.training (version 1): Adagrad,
// Adam and Momentum each compute one update of n tensors. Their inputs are
// the learning rate R (a float or double scalar), the update count T (an
// int64 scalar), then the n tensors X1..Xn, their gradients G1..Gn and
// each kind of optimizer state in turn (Adagrad: H, the accumulated
// squared gradients; Momentum: V, the momenta; Adam: V then H); the
// outputs are the new X1..Xn, then the new state tensors in the same
// order. Each tensor's gradient and states must have its shape and
// element type (float or double); the update is elementwise, computed in
// float64 and rounded to the tensors' type. The formulas are the
// operators' pseudo code in the ONNX specification.

// TrainingDomain is the domain of ONNX's training operators.
const TrainingDomain = "ai.onnx.preview.training"

// optimizer describes one of the operators.
type optimizer struct {
	op     string
	states []string // the state tensors of each X, in input order
	// prepare reads the attributes and returns, for the scalars R and T
	// of a run, the update of one element: from x, its gradient g and
	// its states s (updated in place), the new x.
	prepare func(a *Attrs) (func(r float64, t int64) optimizerStep, error)
}

type optimizerStep func(x, g float64, s []float64) float64

func init() {
	for _, o := range []*optimizer{
		{op: "Adagrad", states: []string{"H"}, prepare: prepareAdagrad},
		{op: "Adam", states: []string{"V", "H"}, prepare: prepareAdam},
		{op: "Momentum", states: []string{"V"}, prepare: prepareMomentum},
	} {
		Register(Op{Domain: TrainingDomain, Type: o.op, Since: []int{1}, Prepare: o.prepareNode, Infer: o.infer})
	}
	notImplemented[opKey{TrainingDomain, "Gradient"}] = "Gradient differentiates the graph that computes its y input, and onnxkit has no graph autodiff"
}

func prepareAdagrad(a *Attrs) (func(float64, int64) optimizerStep, error) {
	decay := float64(a.Float("decay_factor", 0))
	eps := float64(a.Float("epsilon", 1e-6))
	norm := float64(a.Float("norm_coefficient", 0))
	return func(r float64, t int64) optimizerStep {
		r /= 1 + float64(t)*decay
		return func(x, g float64, s []float64) float64 {
			g += norm * x
			s[0] += g * g
			return x - r*g/(math.Sqrt(s[0])+eps)
		}
	}, nil
}

func prepareAdam(a *Attrs) (func(float64, int64) optimizerStep, error) {
	alpha := float64(a.Float("alpha", 0.9))
	beta := float64(a.Float("beta", 0.999))
	eps := float64(a.Float("epsilon", 1e-6))
	norm := float64(a.Float("norm_coefficient", 0))
	post := float64(a.Float("norm_coefficient_post", 0))
	return func(r float64, t int64) optimizerStep {
		if t > 0 {
			r *= math.Sqrt(1-math.Pow(beta, float64(t))) / (1 - math.Pow(alpha, float64(t)))
		}
		return func(x, g float64, s []float64) float64 {
			g += norm * x
			s[0] = alpha*s[0] + (1-alpha)*g
			s[1] = beta*s[1] + (1-beta)*g*g
			return (1 - post) * (x - r*s[0]/(math.Sqrt(s[1])+eps))
		}
	}, nil
}

func prepareMomentum(a *Attrs) (func(float64, int64) optimizerStep, error) {
	alpha := float64(a.RequiredFloat("alpha"))
	beta := float64(a.RequiredFloat("beta"))
	norm := float64(a.RequiredFloat("norm_coefficient"))
	nesterov := a.Enum("mode", "", "standard", "nesterov") == "nesterov"
	if !a.Has("mode") {
		a.RequiredStr("mode")
	}
	return func(r float64, t int64) optimizerStep {
		b := beta
		if t <= 0 {
			b = 1 // the first update takes the whole gradient
		}
		return func(x, g float64, s []float64) float64 {
			g += norm * x
			s[0] = alpha*s[0] + b*g
			if nesterov {
				return x - r*(g+alpha*s[0])
			}
			return x - r*s[0]
		}
	}, nil
}

// groups returns n, the number of tensors a node optimizes, from its
// input and output counts.
func (o *optimizer) groups(n *Node) (int, error) {
	per := 2 + len(o.states)
	in, out := len(n.Inputs)-2, len(n.Outputs)
	if in < per || in%per != 0 {
		return 0, fmt.Errorf("%s takes R, T and then n tensors X, n gradients and n of each state (%v): %d inputs after R and T are not a multiple of %d",
			o.op, o.states, in, per)
	}
	k := in / per
	if out != k*(1+len(o.states)) {
		return 0, fmt.Errorf("%s optimizes %d tensors and must have %d outputs, not %d", o.op, k, k*(1+len(o.states)), out)
	}
	for i, name := range n.Inputs {
		if name == "" {
			return 0, fmt.Errorf("input %d is omitted; %s has no optional inputs", i, o.op)
		}
	}
	return k, nil
}

func (o *optimizer) prepareNode(n *Node) (Kernel, error) {
	step, err := o.prepare(n.Attrs)
	if err != nil {
		return nil, err
	}
	if err := n.Attrs.Err(); err != nil {
		return nil, err
	}
	k, err := o.groups(n)
	if err != nil {
		return nil, err
	}
	per := 1 + len(o.states) // outputs per tensor: X_new and its states
	return func(in []*tensors.Tensor) ([]*tensors.Tensor, error) {
		r, t, err := optimizerScalars(in[0], in[1])
		if err != nil {
			return nil, err
		}
		update := step(r, t)
		out := make([]*tensors.Tensor, k*per)
		group := make([]*tensors.Tensor, 1+per)
		for i := 0; i < k; i++ {
			for j := range group {
				group[j] = in[2+j*k+i]
			}
			x := group[0]
			fn, ok := optimizerUpdateTFor[x.DType()]
			if !ok {
				return nil, tensors.ErrDType(n.Inputs[2+i], x.DType(), tensors.Float32, tensors.Float64)
			}
			for j, v := range group[1:] {
				what := "gradient"
				if j > 0 {
					what = "state " + o.states[j-1]
				}
				if v.DType() != x.DType() || !tensors.SameShape(v.Shape(), x.Shape()) {
					return nil, fmt.Errorf("%s %q is %v%s but tensor %q is %v%s", what, n.Inputs[2+(j+1)*k+i], v.DType(), tensors.FormatShape(v.Shape()),
						n.Inputs[2+i], x.DType(), tensors.FormatShape(x.Shape()))
				}
			}
			res, err := fn(group, update)
			if err != nil {
				return nil, fmt.Errorf("tensor %q: %w", n.Inputs[2+i], err)
			}
			for j, v := range res {
				out[j*k+i] = v
			}
		}
		return out, nil
	}, nil
}

// optimizerScalars reads the learning rate R and the update count T.
func optimizerScalars(r, t *tensors.Tensor) (float64, int64, error) {
	if r.Len() != 1 || r.Rank() > 1 {
		return 0, 0, fmt.Errorf("learning rate R has shape %v: want a scalar", r.Shape())
	}
	if r.DType() != tensors.Float32 && r.DType() != tensors.Float64 {
		return 0, 0, tensors.ErrDType("learning rate R", r.DType(), tensors.Float32, tensors.Float64)
	}
	if t.Len() != 1 || t.Rank() > 1 {
		return 0, 0, fmt.Errorf("update count T has shape %v: want a scalar", t.Shape())
	}
	if t.DType() != tensors.Int64 {
		return 0, 0, tensors.ErrDType("update count T", t.DType(), tensors.Int64)
	}
	rv, err := tensors.AsFloat64s(r)
	if err != nil {
		return 0, 0, err
	}
	return rv[0], tensors.Data[int64](t)[0], nil
}

// optimizerUpdateT applies update to every element of group[0] (X) with
// group[1] (G) and the states group[2:], returning X_new and the new
// states.
//
//dtypes:float
func optimizerUpdateT[T tensors.Float](group []*tensors.Tensor, update optimizerStep) ([]*tensors.Tensor, error) {
	x, g := tensors.Data[T](group[0]), tensors.Data[T](group[1])
	states := group[2:]
	out := make([]*tensors.Tensor, 1+len(states))
	dst := make([][]T, len(out))
	for j := range out {
		var err error
		if out[j], dst[j], err = tensors.Make[T](group[0].Shape()); err != nil {
			return nil, err
		}
	}
	src := make([][]T, len(states))
	for j, s := range states {
		src[j] = tensors.Data[T](s)
	}
	s := make([]float64, len(states))
	for e := range x {
		for j := range s {
			s[j] = float64(src[j][e])
		}
		dst[0][e] = T(update(float64(x[e]), float64(g[e]), s))
		for j, v := range s {
			dst[1+j][e] = T(v)
		}
	}
	return out, nil
}

// infer gives every output the type of the tensor it updates.
func (o *optimizer) infer(n *Node, in []tensors.Type) ([]tensors.Type, error) {
	k, err := o.groups(n)
	if err != nil {
		return nil, nil // Prepare reports it
	}
	per := 1 + len(o.states)
	out := make([]tensors.Type, k*per)
	for i := 0; i < k; i++ {
		for j := 0; j < per; j++ {
			src := 2 + i // X_new has X's type
			if j > 0 {
				src = 2 + (j+1)*k + i // each state keeps its input's
			}
			out[j*k+i] = in[src]
		}
	}
	return out, nil
}
